"""Research pooling: pseudonymised responses flow in with a research agreement, one per
organisation across members, and leave in the same transaction as the agreement ends."""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from reporting import research
from reporting.models import PooledResponse, SnapshotRow
from sharing import services as sharing
from sharing.models import SharedRecord
from surveys import services as surveys

from .conftest import pool_rows

pytestmark = pytest.mark.django_db


def test_pool_holds_consenting_responses_pseudonymised(pooled_world, member_a):
    """Only responses with research consent; no name, e-mail or identifier; free text only
    where the agreement lists it; only the organisation fields the agreement allows."""
    rows = list(PooledResponse.objects.filter(provider_id=member_a.pk))
    assert len(rows) == 1  # the other organisation at A declined research
    row = rows[0]
    assert row.attributes == {"district": "Ryedale", "org_type": "charity"}
    assert row.answers == {"size": "Small", "staff": 4, "needs": "Funding"}
    text = str(row.attributes) + str(row.answers) + row.match_key
    for secret in ("Malton", "shed@example.org", "1100001", "GB-CHC"):
        assert secret not in text
    # A research agreement feeds the pool, never the shared directory.
    assert not SharedRecord.objects.filter(agreement=pooled_world["alpha"]["agreement"]).exists()


def test_one_response_per_organisation_across_members(pooled_world, member_a, member_b,
                                                      client_for, user):  # fmt: skip
    """A and B both surveyed the Men's Shed (same charity number): the pool keeps A's
    earlier answer, and B's research page says another member's was kept, not whose."""
    shed = PooledResponse.objects.filter(provider_id__in=[member_a.pk, member_b.pk])
    keys = {}
    for row in shed:
        keys.setdefault(row.match_key, []).append(row)
    pair = next(rows for rows in keys.values() if len(rows) == 2)
    kept = {row.provider_id: row.kept for row in pair}
    assert kept == {member_a.pk: True, member_b.pk: False}
    page = client_for(user("manager-b"), member_b).get("/reports/research/").content.decode()
    assert "Another member’s earlier answer was kept" in page
    assert "Alpha Voluntary Action" not in page  # whose answer, and when, stays unsaid
    assert "Yours" in page  # B's other organisation is kept as B's own
    assert "Malton Men&#x27;s Shed" in page  # B's own record, named on B's own site


def test_ending_an_agreement_removes_its_responses_in_the_same_transaction(
    pooled_world, member_a, member_b, user
):
    """Terminating A's agreement removes A's pooled responses and snapshot rows inside the
    terminating transaction, and B's answer for the shared organisation is kept instead."""
    project = research.project_create(
        acting_user=user("admin-c"), title="Sector health", purpose="Trends",
        ethics_reference="ETH-1", end_date="2099-01-01",
        researcher_ids=[user("researcher-r").pk], dataset_ids=[pooled_world["dataset"].pk],
    )  # fmt: skip
    research.snapshot_take(project=project, dataset=pooled_world["dataset"], year=2026,
                           acting_user=user("researcher-r"))  # fmt: skip
    agreement = pooled_world["alpha"]["agreement"]
    assert SnapshotRow.objects.filter(agreement_id=agreement.pk).exists()
    with transaction.atomic():
        sharing.agreement_terminate(
            agreement=agreement, member=member_a, acting_user=user("manager-a"), reason="Study over"
        )
        # Still inside the transaction that ended the agreement:
        assert not PooledResponse.objects.filter(agreement_id=agreement.pk).exists()
        assert not SnapshotRow.objects.filter(agreement_id=agreement.pk).exists()
    assert PooledResponse.objects.filter(provider_id=member_b.pk, kept=True).count() == 2


def test_suspension_and_resumption_follow(pooled_world, member_b, user):
    agreement = pooled_world["beta"]["agreement"]
    sharing.agreement_suspend(agreement=agreement, member=member_b, acting_user=user("manager-b"))
    assert not PooledResponse.objects.filter(agreement_id=agreement.pk).exists()
    sharing.agreement_resume(agreement=agreement, acting_user=user("manager-b"))
    assert PooledResponse.objects.filter(agreement_id=agreement.pk).count() == 2


def test_new_and_changed_responses_follow_at_once(pooled_world, member_a, in_member):
    """A response entered while the agreement is in force joins the pool in its own
    transaction; withdrawing research consent takes it out."""
    with in_member(member_a):
        wave = pooled_world["alpha"]["wave"]
        other = pooled_world["alpha"]["other"]
        surveys.response_enter(wave=wave, organisation=other, raw={"size": "Large"},
                               research_consent=True, acting_user=None)  # fmt: skip
    assert PooledResponse.objects.filter(provider_id=member_a.pk).count() == 2
    with in_member(member_a):
        surveys.response_enter(wave=wave, organisation=other, raw={"size": "Large"},
                               research_consent=False, acting_user=None)  # fmt: skip
    assert PooledResponse.objects.filter(provider_id=member_a.pk).count() == 1
    assert connection.schema_name == "public"


def test_only_a_research_agreement_can_feed_a_dataset(pooled_world, member_a, user):
    from django.core.exceptions import ValidationError

    directory = sharing.agreement_create(
        provider=member_a, acting_user=user("manager-a"), recipient_ids=[], all_members=True,
        title="Directory", purpose="directory", record_types=["organisation"],
        organisation_fields=["name"],
    )  # fmt: skip
    with pytest.raises(ValidationError):
        research.research_terms_set(
            agreement=directory,
            dataset=pooled_world["dataset"],
            free_text_questions=[],
            acting_user=user("manager-a"),
        )


def test_organisation_edits_deletes_and_merges_follow_in_the_pool(pooled_world, member_b,
                                                                 in_member):  # fmt: skip
    """Editing a surveyed organisation re-pools its answer; merging moves the answer to the
    organisation kept (and the pool follows); deleting it takes it out of the pool."""
    from crm import merging
    from crm import services as crm
    from surveys.models import Response

    other = pooled_world["beta"]["other"]
    shed = pooled_world["beta"]["shed"]
    with in_member(member_b):
        crm.organisation_update(organisation=other, acting_user=None, district="York")
    row = PooledResponse.objects.get(provider_id=member_b.pk, organisation_id=other.pk)
    assert row.attributes["district"] == "York"
    with in_member(member_b):
        twin = crm.organisation_create(acting_user=None, name="Other Group (dup)")
        Response.objects.filter(organisation=other).update(organisation=twin)
        merging.organisation_merge(keep=other, drop=twin, acting_user=None)
        assert Response.objects.filter(organisation=other).count() == 1
    assert PooledResponse.objects.filter(provider_id=member_b.pk, organisation_id=other.pk
                                         ).count() == 1  # fmt: skip
    with in_member(member_b):
        crm.organisation_delete(organisation=shed, acting_user=None)
    assert not PooledResponse.objects.filter(provider_id=member_b.pk,
                                             organisation_id=shed.pk).exists()  # fmt: skip


def test_a_new_version_of_the_agreement_keeps_pooling(pooled_world, member_a, user):
    """Amending a research agreement: the old version's rows leave, the new version (with
    the same research terms) pools them again once signed."""
    old = pooled_world["alpha"]["agreement"]
    new = sharing.agreement_amend(agreement=old, acting_user=user("manager-a"),
                                  title="Research 2026 (v2)")  # fmt: skip
    sharing.agreement_propose(agreement=new, acting_user=user("manager-a"))
    sharing.agreement_sign(agreement=new, member=member_a, acting_user=user("manager-a"))
    assert not PooledResponse.objects.filter(agreement_id=old.pk).exists()
    assert PooledResponse.objects.filter(agreement_id=new.pk).count() == 1
    assert new.research_terms.free_text_questions == ["needs"]


def test_research_terms_of_an_agreement_in_force_cannot_change(pooled_world, member_a, user,
                                                               client_for):  # fmt: skip
    """Research terms on an active agreement are fixed: neither the service nor the member's
    page widens the pool (here: letting "comments" through) without a new, signed version."""
    from django.core.exceptions import ValidationError

    agreement = pooled_world["alpha"]["agreement"]
    with pytest.raises(ValidationError, match="amend the agreement"):
        research.research_terms_set(
            agreement=agreement, dataset=pooled_world["dataset"],
            free_text_questions=["needs", "comments"], acting_user=user("manager-a"),
        )  # fmt: skip
    client = client_for(user("manager-a"), member_a)
    client.post("/reports/research/", {"agreement": agreement.pk,
                                       "dataset": pooled_world["dataset"].pk,
                                       "free_text": "needs, comments"})  # fmt: skip
    agreement.refresh_from_db()
    assert agreement.research_terms.free_text_questions == ["needs"]
    row = PooledResponse.objects.get(agreement_id=agreement.pk)
    assert "comments" not in row.answers


def test_an_amendment_carries_the_research_terms_and_is_signed_with_them(
    pooled_world, member_a, user, client_for
):
    """The new version starts with the old terms (shown on the agreement page the parties
    sign); they may change on the draft and pool only once it is signed."""
    old = pooled_world["alpha"]["agreement"]
    manager = user("manager-a")
    new = sharing.agreement_amend(agreement=old, acting_user=manager, title="Research v2")
    assert new.research_terms.dataset == pooled_world["dataset"]
    assert new.research_terms.free_text_questions == ["needs"]
    research.research_terms_set(agreement=new, dataset=pooled_world["dataset"],
                                free_text_questions=["comments", "needs"],
                                acting_user=manager)  # fmt: skip
    page = client_for(manager, member_a).get(f"/agreements/{new.pk}/").content.decode()
    assert "free-text answers let through: comments, needs" in page
    # Until signed, the old terms are what the pool holds.
    assert "comments" not in PooledResponse.objects.get(agreement_id=old.pk).answers
    sharing.agreement_propose(agreement=new, acting_user=manager)
    sharing.agreement_sign(agreement=new, member=member_a, acting_user=manager)
    assert "comments" in PooledResponse.objects.get(agreement_id=new.pk).answers


def test_changing_research_terms_while_awaiting_clears_signatures(pooled_world, member_a,
                                                                  member_b, user):  # fmt: skip
    """What a party signed is what comes into force: a change of terms after a signature
    needs that signature again."""
    manager = user("manager-a")
    draft = sharing.agreement_create(
        provider=member_a, acting_user=manager, recipient_ids=[member_b.pk], title="R2",
        purpose="research", record_types=["organisation"], organisation_fields=["district"],
    )  # fmt: skip
    research.research_terms_set(agreement=draft, dataset=pooled_world["dataset"],
                                free_text_questions=[], acting_user=manager)  # fmt: skip
    sharing.agreement_propose(agreement=draft, acting_user=manager)
    sharing.agreement_sign(agreement=draft, member=member_a, acting_user=manager)
    assert draft.parties.filter(signed_at__isnull=False).count() == 1
    research.research_terms_set(agreement=draft, dataset=pooled_world["dataset"],
                                free_text_questions=["comments"], acting_user=manager)  # fmt: skip
    assert not draft.parties.filter(signed_at__isnull=False).exists()


def test_pooling_keeps_field_rules_and_record_types(pooled_world, member_a, user):
    """The pool only takes organisation attributes the agreement lists under a record type it
    shares and the consortium's rules permit for research; an agreement that does not share
    organisations pools nothing, whatever stale field list it carries."""
    from reporting.pooling import agreement_pool
    from sharing.models import Agreement, FieldRule

    agreement = pooled_world["alpha"]["agreement"]
    FieldRule.objects.update_or_create(
        record_type="organisation", field="district",
        defaults={"mode": "purposes", "purposes": ["directory"]},
    )  # fmt: skip
    agreement_pool(agreement)
    row = PooledResponse.objects.get(agreement_id=agreement.pk)
    assert row.attributes == {"org_type": "charity"}
    # A row written before the record-type check: organisations unticked, fields left over.
    Agreement.objects.filter(pk=agreement.pk).update(record_types=["contact"],
                                                     contact_fields=["first_name"])  # fmt: skip
    agreement.refresh_from_db()
    assert agreement_pool(agreement) == 0


def test_fields_of_unticked_record_types_are_cleared(member_a, user):
    """Validation is per ticked record type, so fields listed under an unticked one are
    dropped when an agreement is made or amended."""
    manager = user("manager-a")
    agreement = sharing.agreement_create(
        provider=member_a, acting_user=manager, recipient_ids=[], all_members=True,
        title="Contacts only", purpose="research", record_types=["contact"],
        contact_fields=["first_name"], organisation_fields=["district", "town"],
    )  # fmt: skip
    assert agreement.organisation_fields == []
    new = sharing.agreement_amend(agreement=agreement, acting_user=manager,
                                  organisation_fields=["district"])  # fmt: skip
    assert new.organisation_fields == []


def test_a_question_keeps_its_first_type_and_free_text_never_becomes_a_category(
    pooled_world, member_a, member_b, in_member, user, client_for
):
    """B's copy of the single-choice "size" turns into free text: the dataset keeps "size"
    as single choice, B is flagged and its "size" answers stay out; a stray value in a
    choice dimension shows only as "Other" in a table."""
    from reporting.models import DatasetQuestion
    from reporting.pooling import agreement_pool
    from surveys.models import Question, Response

    dataset = pooled_world["dataset"]
    with in_member(member_b):
        Question.objects.filter(code="size").update(kind="text", choices=[])
        for response in Response.objects.all():
            response.answers = {**response.answers, "size": "Ring Jo at Malton Men's Shed"}
            response.save(update_fields=["answers"])
    agreement_pool(pooled_world["beta"]["agreement"])
    question = DatasetQuestion.objects.get(dataset=dataset, year=2026, code="size")
    assert question.kind == "single"
    assert question.mismatched_providers == [member_b.pk]
    for row in PooledResponse.objects.filter(provider_id=member_b.pk):
        assert "size" not in row.answers
    page = client_for(user("manager-b"), member_b).get("/reports/research/").content.decode()
    assert "Questions not pooled from you" in page
    # Even a value that slipped into the pool is never a row label of its own.
    pool_rows(dataset=dataset, provider_id=member_a.pk,
              agreement_id=pooled_world["alpha"]["agreement"].pk,
              rows=[({"district": "York"}, {"size": "Ring Jo on 01234"})] * 12
              + [({"district": "York"}, {"size": "Small"})] * 12)  # fmt: skip
    project = research.project_create(
        acting_user=user("admin-c"), title="Labels", purpose="Labels", ethics_reference="E",
        end_date="2099-01-01", researcher_ids=[user("researcher-r").pk],
        dataset_ids=[dataset.pk],
    )  # fmt: skip
    research.snapshot_take(project=project, dataset=dataset, year=2026,
                           acting_user=user("researcher-r"))  # fmt: skip
    table = research.table_compute(project=project, dataset=dataset, year=2026, rows="size",
                                   cols="", measure="count")  # fmt: skip
    assert "Other" in table["rows"]
    assert not any("Ring" in label for label in table["rows"])


@pytest.mark.parametrize("how", ["not listed", "ruled out"])
def test_identifiers_match_across_members_only_where_agreed_and_permitted(
    pooled_world, member_a, member_b, how
):
    """Without identifiers among A's agreed fields, or with a rule keeping identifiers out of
    research, A's Men's Shed gets a key of A's own: it is not matched with B's, and both
    answers are kept."""
    from reporting.pooling import agreement_pool
    from sharing.models import Agreement, FieldRule

    agreement = pooled_world["alpha"]["agreement"]
    if how == "not listed":
        Agreement.objects.filter(pk=agreement.pk).update(organisation_fields=["district"])
        agreement.refresh_from_db()
    else:
        FieldRule.objects.update_or_create(record_type="organisation", field="identifiers",
                                           defaults={"mode": "never"})  # fmt: skip
    agreement_pool(agreement)
    a_shed = PooledResponse.objects.get(provider_id=member_a.pk)
    b_shed = PooledResponse.objects.get(
        provider_id=member_b.pk, organisation_id=pooled_world["beta"]["shed"].pk
    )
    assert a_shed.match_key != b_shed.match_key
    assert a_shed.kept
    assert b_shed.kept


def test_withdrawn_consent_and_deleted_organisations_leave_snapshots(
    pooled_world, member_a, member_b, in_member, user
):
    """A frozen snapshot loses a response the moment its research consent is withdrawn or
    its organisation is deleted, as the pool does."""
    from crm import services as crm

    dataset = pooled_world["dataset"]
    project = research.project_create(
        acting_user=user("admin-c"), title="Snap", purpose="Trends", ethics_reference="E",
        end_date="2099-01-01", researcher_ids=[user("researcher-r").pk],
        dataset_ids=[dataset.pk],
    )  # fmt: skip
    snapshot = research.snapshot_take(project=project, dataset=dataset, year=2026,
                                      acting_user=user("researcher-r"))  # fmt: skip
    assert set(snapshot.rows.values_list("provider_id", flat=True)) == {member_a.pk,
                                                                        member_b.pk}  # fmt: skip
    with in_member(member_b):
        surveys.response_enter(wave=pooled_world["beta"]["wave"],
                               organisation=pooled_world["beta"]["other"], acting_user=None,
                               research_consent=False, raw={"size": "Large"})  # fmt: skip
    assert not snapshot.rows.filter(provider_id=member_b.pk).exists()
    with in_member(member_a):
        crm.organisation_delete(organisation=pooled_world["alpha"]["shed"], acting_user=None)
    assert not snapshot.rows.filter(provider_id=member_a.pk).exists()


def test_an_amendment_moves_snapshot_rows_to_the_new_version_within_its_terms(
    pooled_world, member_a, user
):
    """Amending A's research agreement (narrower: no free text, no organisation type) keeps
    A's rows in the project's frozen snapshot, under the new version and trimmed to its
    terms, instead of deleting them."""
    dataset = pooled_world["dataset"]
    manager = user("manager-a")
    project = research.project_create(
        acting_user=user("admin-c"), title="Snap", purpose="Trends", ethics_reference="E",
        end_date="2099-01-01", researcher_ids=[user("researcher-r").pk],
        dataset_ids=[dataset.pk],
    )  # fmt: skip
    snapshot = research.snapshot_take(project=project, dataset=dataset, year=2026,
                                      acting_user=user("researcher-r"))  # fmt: skip
    before = snapshot.rows.get(provider_id=member_a.pk)
    assert before.answers["needs"] == "Funding"
    old = pooled_world["alpha"]["agreement"]
    new = sharing.agreement_amend(agreement=old, acting_user=manager,
                                  organisation_fields=["district", "identifiers"])  # fmt: skip
    research.research_terms_set(agreement=new, dataset=dataset, free_text_questions=[],
                                acting_user=manager)  # fmt: skip
    sharing.agreement_propose(agreement=new, acting_user=manager)
    sharing.agreement_sign(agreement=new, member=member_a, acting_user=manager)
    after = snapshot.rows.get(provider_id=member_a.pk)
    assert after.agreement_id == new.pk
    assert after.pseudonym == before.pseudonym
    assert after.attributes == {"district": "Ryedale"}
    assert after.answers == {"size": "Small", "staff": 4}
    assert snapshot.rows.count() == 2  # B's row untouched


def test_pooling_applies_the_agreements_selection_criteria(pooled_world, member_b,
                                                           in_member):  # fmt: skip
    """An agreement for organisations in Ryedale only pools B's Ryedale organisation, as the
    directory projection would; an edit that moves it out of Ryedale takes it out; a tag
    criterion pools only tagged organisations."""
    from crm import services as crm
    from reporting.pooling import agreement_pool
    from sharing.models import Agreement

    agreement = pooled_world["beta"]["agreement"]
    Agreement.objects.filter(pk=agreement.pk).update(criteria_districts=["Ryedale"])
    agreement.refresh_from_db()
    agreement_pool(agreement)
    pooled = PooledResponse.objects.filter(agreement_id=agreement.pk)
    assert set(pooled.values_list("organisation_id", flat=True)) == {
        pooled_world["beta"]["shed"].pk}  # fmt: skip
    with in_member(member_b):
        crm.organisation_update(organisation=pooled_world["beta"]["shed"], acting_user=None,
                                district="York")  # fmt: skip
    assert not pooled.exists()
    Agreement.objects.filter(pk=agreement.pk).update(criteria_districts=[],
                                                     criteria_tags=["Sector survey"])  # fmt: skip
    agreement.refresh_from_db()
    agreement_pool(agreement)
    assert not pooled.exists()
    with in_member(member_b):
        from crm.models import Tag

        pooled_world["beta"]["other"].tags.add(Tag.objects.create(name="Sector survey"))
    agreement_pool(agreement)
    assert set(pooled.values_list("organisation_id", flat=True)) == {
        pooled_world["beta"]["other"].pk}  # fmt: skip


def test_dataset_locks_are_taken_up_front_in_order(pooled_world, member_a, in_member, user):
    """An organisation edit that re-pools into two datasets takes both datasets' locks, in
    ascending order, before it writes to the pool (no lock-order deadlock between writers)."""
    import re

    from django.test.utils import CaptureQueriesContext

    from crm import services as crm

    from .conftest import research_agreement

    second = research.dataset_create(acting_user=user("admin-c"), title="Second",
                                     survey_code="second-survey")  # fmt: skip
    research_agreement(member_a, user("manager-a"), title="Second research",
                       terms={"dataset": second, "free_text_questions": []})  # fmt: skip
    with in_member(member_a), CaptureQueriesContext(connection) as queries:
        crm.organisation_update(organisation=pooled_world["alpha"]["shed"], acting_user=None,
                                district="Selby")  # fmt: skip
    sqls = [q["sql"] for q in queries.captured_queries]
    locks = [i for i, sql in enumerate(sqls) if "pg_advisory_xact_lock(1919250" in sql]
    locked = [int(re.search(r"1919250, (\d+)", sqls[i]).group(1)) for i in locks]
    assert sorted(set(locked)) == sorted({pooled_world["dataset"].pk, second.pk})
    assert locked == sorted(locked)
    write = re.compile(r'(INSERT INTO|DELETE FROM) "reporting_pooledresponse"')
    first_write = min(i for i, sql in enumerate(sqls) if write.match(sql))
    assert max(locks) < first_write
