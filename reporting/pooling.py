"""The research pool: members' survey responses flow into a consortium research dataset,
pseudonymised, while a research agreement is in force, and leave in the same transaction
as the agreement stops.

What flows: responses to the dataset's survey (matched by survey code) whose organisation
gave research consent in the survey and meets the agreement's selection criteria; the
organisation attributes the agreement lists (under organisations, a record type it must
share) that are safe to pool and that the consortium's rules permit for research (never a
name, e-mail, phone, address, postcode or website); every answer to a question whose type
matches the dataset's codebook, except free text the agreement's research terms do not
list. Organisations are matched across members by their identifiers (charity number first,
then company number) hashed with the consortium's key (only where the agreement lists
identifiers and the rules permit them for research; otherwise a key of the member's own),
so the pool holds one response per organisation and wave: the earliest submitted is kept.

Tenant assumptions: SQL names the provider's schema explicitly; listeners run inside the
writer's transaction (sharing's lifecycle, or a member's survey write on its own schema).

One module of a little over 400 lines, on purpose: what enters the pool, the back-fill, the
removal and the three listeners share one locking order (the provider's lock, then the
datasets' in ascending order) that keeps concurrent writers from deadlocking; split, that
order would have to be kept in step across modules. Match keys and pseudonyms are
:mod:`reporting.pseudonyms`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from django.db import connection

from sharing.criteria import agreement_selection
from sharing.models import Agreement, Purpose, RecordType, Status
from sharing.projection import lock_provider, quote
from sharing.rules import ProjectionLimits, projection_limits

from .models import DatasetQuestion, PooledResponse, ResearchTerms, SnapshotRow
from .pseudonyms import match_key, pseudonym

LOCK_NAMESPACE = 1_919_250  # "reporting": the first key of its two-int advisory locks
# Organisation fields that may enter the pool when an agreement lists them.
POOLABLE_ATTRIBUTES = ("district", "org_type", "areas_of_work", "beneficiaries", "town")
IDENTIFIER_ORDER = (
    "ORDER BY (i.scheme = 'GB-CHC') DESC, (i.scheme = 'GB-COH') DESC, i.scheme, i.value"
)


def loads(value: Any) -> Any:
    """jsonb from a raw cursor: Django's psycopg2 set-up leaves it as text."""
    return json.loads(value) if isinstance(value, str) else value


def _lock_dataset(dataset_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [LOCK_NAMESPACE, dataset_id])


def _lock_datasets(dataset_ids: Iterable[int]) -> None:
    """Every dataset lock a write needs, taken up front in ascending order, so that two
    writers touching the same datasets cannot each hold one the other waits for."""
    for dataset_id in sorted(set(dataset_ids)):
        _lock_dataset(dataset_id)


def _questions(schema: str, survey_code: str) -> list[tuple]:
    s = quote(schema)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT w.year, q.code, q.text, q.kind, q.choices FROM {s}.surveys_question q "
            f"JOIN {s}.surveys_wave w ON w.id = q.wave_id "
            f"JOIN {s}.surveys_survey v ON v.id = w.survey_id WHERE v.code = %s "
            "ORDER BY w.year, q.id",
            [survey_code],
        )
        return cursor.fetchall()


def _responses(schema: str, survey_code: str, ids: list[int] | None,
               agreement: Agreement) -> list[tuple]:  # fmt: skip
    """The consenting responses to pool, of the organisations the agreement's selection
    criteria pick (sharing.criteria: the projection's own definition)."""
    s = quote(schema)
    selection = agreement_selection(agreement, RecordType.ORGANISATION, schema=schema, alias="o")
    where = "AND r.id = ANY(%(ids)s)" if ids is not None else ""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT r.id, w.year, r.answers, r.submitted_at, o.id,
                   jsonb_build_object('district', o.district, 'org_type', o.org_type,
                                      'areas_of_work', to_jsonb(o.areas_of_work),
                                      'beneficiaries', to_jsonb(o.beneficiaries),
                                      'town', o.town),
                   (SELECT i.scheme || '-' || i.value FROM {s}.crm_organisationidentifier i
                     WHERE i.organisation_id = o.id {IDENTIFIER_ORDER} LIMIT 1)
              FROM {s}.surveys_response r
              JOIN {s}.surveys_wave w ON w.id = r.wave_id
              JOIN {s}.surveys_survey v ON v.id = w.survey_id
              JOIN {s}.crm_organisation o ON o.id = r.organisation_id
             WHERE v.code = %(code)s AND r.research_consent AND {selection.sql} {where}
            """,
            {"code": survey_code, "ids": ids or [], **selection.params},
        )
        return cursor.fetchall()


def poolable_attributes(agreement: Agreement,
                        limits: ProjectionLimits | None = None) -> list[str]:  # fmt: skip
    """The organisation attributes an agreement lets into the pool: listed by it under
    organisations (a record type it shares), and permitted for its purpose by the
    consortium's field rules whatever the agreement says (the projection's second guard)."""
    if RecordType.ORGANISATION not in agreement.record_types:
        return []
    limits = limits or projection_limits()
    return [
        a for a in POOLABLE_ATTRIBUTES if a in agreement.organisation_fields
        and limits.permits(agreement.purpose, RecordType.ORGANISATION, a)
    ]  # fmt: skip


def _codebook_merge(dataset: Any, provider_id: int,
                    questions: list[tuple]) -> dict[tuple[int, str], str]:  # fmt: skip
    """Add the provider's questions to the dataset's codebook and return the ones to pool
    from it, by (year, code) -> type. A question's type is fixed by its first definition: a
    provider whose copy has another type is flagged on the question and its answers to it
    are not pooled (a text answer must never become a table's category)."""
    existing = {(q.year, q.code): q for q in DatasetQuestion.objects.filter(dataset=dataset)}
    poolable: dict[tuple[int, str], str] = {}
    for year, code, text, kind, choices in questions:
        question = existing.get((year, code))
        if question is None:
            question, _ = DatasetQuestion.objects.get_or_create(
                dataset=dataset, year=year, code=code,
                defaults={"text": text, "kind": kind, "options": list(choices or [])},
            )  # fmt: skip
        flagged = provider_id in question.mismatched_providers
        if question.kind == kind:
            poolable[(year, code)] = kind
            if flagged:
                question.mismatched_providers.remove(provider_id)
                question.save(update_fields=["mismatched_providers"])
        elif not flagged:
            question.mismatched_providers.append(provider_id)
            question.save(update_fields=["mismatched_providers"])
    return poolable


def identifiers_usable(agreement: Agreement, limits: ProjectionLimits | None = None) -> bool:
    """Whether the pool may match this agreement's organisations with other members' by
    their identifiers: only when it lists identifiers and the rules permit them for its
    purpose. Otherwise each organisation gets a key of the member's own."""
    return (
        RecordType.ORGANISATION in agreement.record_types
        and "identifiers" in agreement.organisation_fields
        and (limits or projection_limits()).permits(agreement.purpose,
                                                    RecordType.ORGANISATION, "identifiers")
    )  # fmt: skip


def _pool(agreement: Agreement, terms: ResearchTerms, ids: list[int] | None) -> set[str]:
    """Insert (or replace) the agreement's pooled responses; returns the match keys touched.
    Survey responses are organisations' records: an agreement that does not share
    organisations pools none."""
    if RecordType.ORGANISATION not in agreement.record_types:
        return set()
    schema = agreement.provider.schema_name
    dataset = terms.dataset
    poolable = _codebook_merge(dataset, agreement.provider_id,
                               _questions(schema, dataset.survey_code))  # fmt: skip
    allowed_text = set(terms.free_text_questions)
    limits = projection_limits()
    attributes = poolable_attributes(agreement, limits)
    match_by_identifier = identifiers_usable(agreement, limits)
    rows = []
    keys: set[str] = set()
    for response_id, year, answers, submitted_at, org_id, attrs, identifier in _responses(
        schema, dataset.survey_code, ids, agreement
    ):
        answers, attrs = loads(answers), loads(attrs)
        kept_answers = {
            code: value for code, value in answers.items()
            if (kind := poolable.get((year, code))) and (kind != "text" or code in allowed_text)
        }  # fmt: skip
        key = match_key(identifier if match_by_identifier else None,
                        provider_id=agreement.provider_id, organisation_id=org_id)  # fmt: skip
        keys.add(key)
        rows.append(PooledResponse(
            dataset=dataset, provider_id=agreement.provider_id, agreement_id=agreement.pk,
            response_id=response_id, organisation_id=org_id, year=year, match_key=key,
            attributes={a: attrs.get(a) for a in attributes}, answers=kept_answers,
            submitted_at=submitted_at,
        ))  # fmt: skip
    if ids is not None:
        previous = PooledResponse.objects.filter(agreement_id=agreement.pk, response_id__in=ids)
        keys |= set(previous.values_list("match_key", flat=True))
        previous.delete()
        # A response that no longer pools (research consent withdrawn, response or
        # organisation gone) leaves the projects' snapshots too.
        gone = set(ids) - {row.response_id for row in rows}
        snapshot_rows_forget(provider_id=agreement.provider_id, response_ids=gone,
                             dataset_id=dataset.pk)  # fmt: skip
    PooledResponse.objects.bulk_create(rows, batch_size=2000)
    return keys


def snapshot_rows_forget(*, provider_id: int, response_ids: Iterable[int],
                         dataset_id: int | None = None) -> int:  # fmt: skip
    """Delete the snapshot rows of a member's responses from every project's snapshots."""
    ids = list(response_ids)
    if not ids:
        return 0
    rows = SnapshotRow.objects.filter(provider_id=provider_id, response_id__in=ids)
    if dataset_id is not None:
        rows = rows.filter(snapshot__dataset_id=dataset_id)
    removed, _ = rows.delete()
    return removed


def keep_one_per_organisation(*, dataset_id: int, keys: Iterable[str]) -> None:
    """One response per organisation and wave is kept: the earliest submitted."""
    key_list = sorted(set(keys))
    if not key_list:
        return
    # The keys are joined as a set (unnest), not tested with = ANY per row: with thousands of
    # keys (a back-fill) the latter is quadratic.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            WITH keys AS (SELECT DISTINCT unnest(%(keys)s::text[]) AS key),
            first AS (
                SELECT DISTINCT ON (r.year, r.match_key) r.id
                  FROM public.reporting_pooledresponse r JOIN keys ON r.match_key = keys.key
                 WHERE r.dataset_id = %(dataset)s
                 ORDER BY r.year, r.match_key, r.submitted_at, r.id)
            UPDATE public.reporting_pooledresponse p
               SET kept = p.id IN (SELECT id FROM first)
              FROM keys
             WHERE p.dataset_id = %(dataset)s AND p.match_key = keys.key
               AND p.kept IS DISTINCT FROM (p.id IN (SELECT id FROM first))
            """,
            {"dataset": dataset_id, "keys": key_list},
        )


def agreement_pool(agreement: Agreement) -> int:
    """Back-fill the pool from an agreement that has come into force."""
    terms = ResearchTerms.objects.filter(agreement=agreement).select_related("dataset").first()
    if terms is None and agreement.previous_id:
        # A new version of an agreement keeps the research terms of the one it replaces.
        earlier = ResearchTerms.objects.filter(agreement_id=agreement.previous_id).first()
        if earlier is not None:
            terms = ResearchTerms.objects.create(
                agreement=agreement, dataset=earlier.dataset,
                free_text_questions=earlier.free_text_questions,
            )  # fmt: skip
    if terms is None:
        return 0
    _lock_dataset(terms.dataset_id)
    previous = PooledResponse.objects.filter(agreement_id=agreement.pk)
    # Keys this agreement no longer uses may leave another member's answer to be kept.
    earlier_keys = set(previous.values_list("match_key", flat=True))
    previous.delete()
    keys = _pool(agreement, terms, None) | earlier_keys
    keep_one_per_organisation(dataset_id=terms.dataset_id, keys=keys)
    if agreement.previous_id:
        snapshots_carry_over(agreement, terms)
    return PooledResponse.objects.filter(agreement_id=agreement.pk).count()


def _earlier_versions(agreement: Agreement) -> list[int]:
    found, earlier_id = [], agreement.previous_id
    while earlier_id and earlier_id not in found:
        found.append(earlier_id)
        earlier_id = Agreement.objects.filter(pk=earlier_id).values_list(
            "previous_id", flat=True).first()  # fmt: skip
    return found


def snapshots_carry_over(agreement: Agreement, terms: ResearchTerms) -> int:
    """A new version has come into force in the transaction that superseded the old one:
    the projects' snapshot rows of the old version move to it, trimmed to what its terms
    allow (its organisation attributes, its free text), and those of responses it no longer
    pools are deleted. Returns how many rows moved."""
    rows = list(SnapshotRow.objects.filter(agreement_id__in=_earlier_versions(agreement))
                .select_related("snapshot__project"))  # fmt: skip
    if not rows:
        return 0
    pooled = dict(PooledResponse.objects.filter(agreement_id=agreement.pk)
                  .values_list("response_id", "match_key"))  # fmt: skip
    attributes = set(poolable_attributes(agreement))
    allowed_text = set(terms.free_text_questions)
    allowed_answers = {
        (q.year, q.code) for q in DatasetQuestion.objects.filter(dataset_id=terms.dataset_id)
        if agreement.provider_id not in q.mismatched_providers
        and (q.kind != "text" or q.code in allowed_text)
    }  # fmt: skip
    moved, gone = [], []
    for row in rows:
        key = pooled.get(row.response_id) if row.response_id is not None else None
        if key is None or row.snapshot.dataset_id != terms.dataset_id:
            gone.append(row.pk)
            continue
        year = row.snapshot.year
        row.agreement_id = agreement.pk
        row.pseudonym = pseudonym(row.snapshot.project, key)
        row.attributes = {k: v for k, v in row.attributes.items() if k in attributes}
        row.answers = {c: v for c, v in row.answers.items() if (year, c) in allowed_answers}
        moved.append(row)
    SnapshotRow.objects.filter(pk__in=gone).delete()
    SnapshotRow.objects.bulk_update(moved, ["agreement_id", "pseudonym", "attributes",
                                            "answers"], batch_size=2000)  # fmt: skip
    return len(moved)


def agreement_unpool(agreement: Agreement, *, keep_snapshots: bool = False) -> int:
    """Remove an agreement's responses from the pool and from every project's snapshots;
    released tables keep what they published. With ``keep_snapshots`` (a superseded version,
    whose successor comes into force in the same transaction) the snapshot rows stay for
    the new version to take over (``snapshots_carry_over``) or delete."""
    pooled = PooledResponse.objects.filter(agreement_id=agreement.pk)
    dataset_ids = set(pooled.values_list("dataset_id", flat=True))
    _lock_datasets(dataset_ids)
    keys_by_dataset: dict[int, set[str]] = {}
    for dataset_id, key in pooled.values_list("dataset_id", "match_key"):
        keys_by_dataset.setdefault(dataset_id, set()).add(key)
    removed, _ = pooled.delete()
    if not keep_snapshots:
        SnapshotRow.objects.filter(agreement_id=agreement.pk).delete()
    for dataset_id, keys in keys_by_dataset.items():
        keep_one_per_organisation(dataset_id=dataset_id, keys=keys)
    return removed


def on_agreement_state_changed(sender: Any, *, agreement: Agreement, active: bool,
                               **_: Any) -> None:  # fmt: skip
    """sharing's lifecycle signal: runs in its transaction, under the provider's lock."""
    if agreement.purpose != Purpose.RESEARCH:
        return
    if active:
        agreement_pool(agreement)
    else:
        # Only sharing's activation of a new version supersedes, in that same transaction.
        agreement_unpool(agreement, keep_snapshots=agreement.status == Status.SUPERSEDED)


def on_responses_changed(sender: Any, *, survey_code: str, response_ids: list[int],
                         **_: Any) -> None:  # fmt: skip
    """surveys' signal: a member's responses changed; re-pool them under every research
    agreement of that member in force for this survey. Runs on the member's schema."""
    from tenants.models import Member

    provider_id = (
        Member.objects.filter(schema_name=getattr(connection, "schema_name", ""), kind="member")
        .values_list("pk", flat=True).first()
    )  # fmt: skip
    if provider_id is None:
        return
    lock_provider(provider_id, exclusive=False)
    terms = list(ResearchTerms.objects.filter(
        agreement__provider_id=provider_id, agreement__status=Status.ACTIVE,
        agreement__purpose=Purpose.RESEARCH, dataset__survey_code=survey_code,
    ).select_related("agreement__provider", "dataset"))  # fmt: skip
    _lock_datasets(term.dataset_id for term in terms)
    for term in terms:
        keys = _pool(term.agreement, term, list(response_ids))
        keep_one_per_organisation(dataset_id=term.dataset_id, keys=keys)


def on_records_changed(sender: Any, *, record_type: str, ids: list[int], action: str,
                       **_: Any) -> None:  # fmt: skip
    """crm's announcements: an organisation's edit (its locality, type or identifiers) is
    re-pooled; a deleted organisation leaves the pool. Runs in the writer's transaction, on
    the member's schema."""
    from crm.changes import DELETED
    from tenants.models import Member

    if record_type != "organisation":
        return
    schema = getattr(connection, "schema_name", "")
    provider_id = (
        Member.objects.filter(schema_name=schema, kind="member")
        .values_list("pk", flat=True).first()
    )  # fmt: skip
    if provider_id is None:
        return
    terms = list(ResearchTerms.objects.filter(
        agreement__provider_id=provider_id, agreement__status=Status.ACTIVE,
        agreement__purpose=Purpose.RESEARCH,
    ).select_related("agreement__provider", "dataset"))  # fmt: skip
    if not terms:
        return
    lock_provider(provider_id, exclusive=False)
    if action == DELETED:
        gone = PooledResponse.objects.filter(provider_id=provider_id, organisation_id__in=ids)
        touched: dict[int, set[str]] = {}
        responses: set[int] = set()
        for dataset_id, key, response_id in gone.values_list("dataset_id", "match_key",
                                                             "response_id"):  # fmt: skip
            touched.setdefault(dataset_id, set()).add(key)
            responses.add(response_id)
        _lock_datasets(touched)
        gone.delete()
        snapshot_rows_forget(provider_id=provider_id, response_ids=responses)
        for dataset_id, keys in sorted(touched.items()):
            keep_one_per_organisation(dataset_id=dataset_id, keys=keys)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {quote(schema)}.surveys_response WHERE organisation_id = ANY(%s)",
            [list(ids)],
        )
        response_ids = [row[0] for row in cursor.fetchall()]
    if not response_ids:
        return
    _lock_datasets(term.dataset_id for term in terms)
    for term in terms:
        keys = _pool(term.agreement, term, response_ids)
        keep_one_per_organisation(dataset_id=term.dataset_id, keys=keys)
