"""The shared directory as a projection: provider records copied into one public table with
only the fields an active agreement allows, in the same transaction as the change.

Serialisation per provider (transaction-level advisory locks): record writes take the lock
shared, agreement state changes take it exclusively, so a back-fill, a suspension or a
termination never interleaves with a provider's edit and leaves a stale or forbidden row.

Tenant assumptions: record-change listeners run on the provider's schema (the writer's);
agreement changes run on any schema; SQL names the provider's schema explicitly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import connection
from django.utils import timezone

from tenants.provisioning import quote_ident as quote

from .criteria import Selection, agreement_selection
from .models import Agreement, Purpose, RecordType, SharedRecord, Status
from .rules import ProjectionLimits, projection_limits

LOCK_NAMESPACE = 1_936_225  # "sharing": the first key of the two-int advisory locks

CONTACT_EXPR = {
    "first_name": "r.first_name", "last_name": "r.last_name",
    "preferred_name": "r.preferred_name", "email": "r.email", "phone": "r.phone",
    "mobile": "r.mobile", "town": "r.town", "postcode": "r.postcode",
    "organisations": (
        "(SELECT coalesce(jsonb_agg(jsonb_build_object('name', o.name, 'role', cr.role) "
        "ORDER BY o.name), '[]'::jsonb) FROM {s}.crm_contactrole cr "
        "JOIN {s}.crm_organisation o ON o.id = cr.organisation_id "
        "WHERE cr.contact_id = r.id AND o.id <> ALL(%(leaving_orgs)s))"
    ),
}  # fmt: skip
ORGANISATION_EXPR = {
    "name": "r.name", "other_names": "to_jsonb(r.other_names)", "org_type": "r.org_type",
    "identifiers": (
        "(SELECT coalesce(jsonb_agg(i.scheme || '-' || i.value ORDER BY i.is_preferred DESC, "
        "i.id), '[]'::jsonb) FROM {s}.crm_organisationidentifier i "
        "WHERE i.organisation_id = r.id)"
    ),
    "email": "r.email", "phone": "r.phone", "address_line1": "r.address_line1",
    "town": "r.town", "postcode": "r.postcode", "district": "r.district",
    "website": "r.website", "areas_of_work": "to_jsonb(r.areas_of_work)",
    "beneficiaries": "to_jsonb(r.beneficiaries)",
}  # fmt: skip
# Which allowed fields search may read: search never sees a field the agreement withholds.
SEARCHABLE: dict[str, list[str]] = {
    RecordType.CONTACT: ["first_name", "preferred_name", "last_name", "email", "town", "postcode"],
    RecordType.ORGANISATION: ["name", "email", "town", "postcode"],
}
TABLES: dict[str, str] = {
    RecordType.CONTACT: "crm_contact",
    RecordType.ORGANISATION: "crm_organisation",
}


def lock_provider(provider_id: int, *, exclusive: bool) -> None:
    kind = "pg_advisory_xact_lock" if exclusive else "pg_advisory_xact_lock_shared"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {kind}(%s, %s)", [LOCK_NAMESPACE, provider_id])


def _select_sql(agreement: Agreement, record_type: str, schema: str, *, ids: bool,
                limits: ProjectionLimits, selection: Selection) -> str:  # fmt: skip
    """SELECT of (record_id, display_name, data, search_text) for the records ``selection``
    (the agreement's criteria) picks.

    Defence in depth: a field the consortium's rules forbid for this purpose is left out
    whatever the agreement says (an agreement breaking a rule is also suspended)."""
    s = quote(schema)
    exprs = CONTACT_EXPR if record_type == RecordType.CONTACT else ORGANISATION_EXPR
    allowed = [
        f for f in agreement.fields_for(record_type)
        if f in exprs and limits.permits(agreement.purpose, record_type, f)
    ]  # fmt: skip
    data = ", ".join(f"'{f}', {exprs[f].format(s=s)}" for f in allowed) or "'id', r.id"
    searchable = [exprs[f] for f in SEARCHABLE[record_type] if f in allowed]
    if "postcode" in allowed:
        searchable.append("replace(r.postcode, ' ', '')")
    if "identifiers" in allowed:
        searchable.append(
            "(SELECT string_agg(i.scheme || '-' || i.value, ' ') "
            f"FROM {s}.crm_organisationidentifier i WHERE i.organisation_id = r.id)"
        )
    search_parts = ", ".join(searchable) or "''"
    search = f"public.commons_fold(concat_ws(' ', {search_parts}))"
    if record_type == RecordType.CONTACT:
        names = [exprs[f] for f in ("first_name", "last_name") if f in allowed]
        display = f"NULLIF(btrim(concat_ws(' ', {', '.join(names)})), '')" if names else "NULL"
        display = f"coalesce({display}, 'Contact ' || r.id)"
    else:
        display = "r.name" if "name" in allowed else "'Organisation ' || r.id"
    where = [selection.sql]
    if ids:
        where.append("r.id = ANY(%(ids)s)")
    return (
        f"SELECT r.id, left({display}, 300), jsonb_build_object({data}), {search} "
        f"FROM {s}.{TABLES[record_type]} r WHERE {' AND '.join(where)}"
    )


def _insert(agreement: Agreement, record_type: str, schema: str, ids: list[int] | None,
            leaving_orgs: list[int], limits: ProjectionLimits) -> int:  # fmt: skip
    selection = agreement_selection(agreement, record_type, schema=schema, limits=limits)
    select = _select_sql(agreement, record_type, schema, ids=ids is not None, limits=limits,
                         selection=selection)  # fmt: skip
    params: dict[str, Any] = {
        "agreement": agreement.pk, "provider": agreement.provider_id, "ids": ids or [],
        "leaving_orgs": leaving_orgs, "now": timezone.now(), **selection.params,
    }  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO public.sharing_sharedrecord
                (agreement_id, provider_id, record_type, record_id, display_name, data,
                 search_text, search_vector, updated_at)
            SELECT %(agreement)s, %(provider)s, '{record_type}', x.id, x.name, x.data,
                   x.search, to_tsvector('simple', x.search), %(now)s
              FROM ({select}) AS x (id, name, data, search)
            ON CONFLICT (agreement_id, record_type, record_id) DO UPDATE
               SET display_name = EXCLUDED.display_name, data = EXCLUDED.data,
                   search_text = EXCLUDED.search_text,
                   search_vector = EXCLUDED.search_vector, updated_at = EXCLUDED.updated_at
            """,
            params,
        )
        return cursor.rowcount


def agreement_backfill(agreement: Agreement) -> int:
    """Project every matching record of the provider (set-based). Caller holds the
    provider's exclusive lock, inside the transaction that activates the agreement.

    A research agreement feeds the research pool (reporting), never the directory."""
    if agreement.purpose == Purpose.RESEARCH:
        return 0
    schema = agreement.provider.schema_name
    limits = projection_limits()
    return sum(_insert(agreement, t, schema, None, [], limits) for t in agreement.record_types)


def agreement_unproject(agreement: Agreement) -> int:
    """Remove every shared record of the agreement; returns how many."""
    removed, _ = SharedRecord.objects.filter(agreement=agreement).delete()
    return removed


def records_reproject(*, provider_id: int, schema: str, record_type: str, ids: Iterable[int],
                      deleted: bool = False) -> None:  # fmt: skip
    """Bring the projection of these provider records up to date (or remove them)."""
    id_list = list(ids)
    lock_provider(provider_id, exclusive=False)
    SharedRecord.objects.filter(
        provider_id=provider_id, record_type=record_type, record_id__in=id_list
    ).delete()
    agreements = list(
        Agreement.objects.filter(
            provider_id=provider_id, status=Status.ACTIVE, record_types__contains=[record_type]
        )
        .exclude(purpose=Purpose.RESEARCH)
        .select_related("provider")
    )
    limits = projection_limits() if agreements else None
    if limits is not None and not deleted:
        for agreement in agreements:
            _insert(agreement, record_type, schema, id_list, [], limits)
    if record_type == RecordType.ORGANISATION:
        # Contacts shared with their organisations show the organisation's name.
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT DISTINCT contact_id FROM {quote(schema)}.crm_contactrole "
                "WHERE organisation_id = ANY(%s)",
                [id_list],
            )
            contact_ids = [r[0] for r in cursor.fetchall()]
        if contact_ids:
            contact_agreements = Agreement.objects.filter(
                provider_id=provider_id, status=Status.ACTIVE,
                record_types__contains=[RecordType.CONTACT],
                contact_fields__contains=["organisations"],
            ).exclude(purpose=Purpose.RESEARCH).select_related("provider")  # fmt: skip
            for agreement in contact_agreements:
                limits = limits or projection_limits()
                SharedRecord.objects.filter(
                    agreement=agreement, record_type=RecordType.CONTACT,
                    record_id__in=contact_ids,
                ).delete()  # fmt: skip
                _insert(agreement, RecordType.CONTACT, schema, contact_ids,
                        id_list if deleted else [], limits)  # fmt: skip


def on_records_changed(sender: Any, *, record_type: str, ids: list[int], action: str,
                       **_: Any) -> None:  # fmt: skip
    """crm.changes listener: runs inside the writer's transaction, on the provider's schema."""
    from tenants.models import Member, MemberKind

    schema = getattr(connection, "schema_name", "")
    provider_id = (
        Member.objects.filter(schema_name=schema, kind=MemberKind.MEMBER)
        .values_list("pk", flat=True)
        .first()
    )
    if provider_id is None:
        return
    records_reproject(
        provider_id=provider_id, schema=schema, record_type=record_type, ids=ids,
        deleted=action == "deleted",
    )  # fmt: skip


def lock_providers(provider_ids: list[int]) -> None:
    """Every listed provider's lock, exclusively, in ascending id order (the one order for
    any transaction that takes several), in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_advisory_xact_lock(%s, p::integer)) FROM "
            "(SELECT p FROM unnest(%s::bigint[]) AS u(p) ORDER BY p) AS ordered",
            [LOCK_NAMESPACE, sorted(provider_ids)],
        )
