"""The reads that moved into sharing.selectors: what may leave Commons, what is in force, the
register and the disclosure log; each isolated to what its caller may see."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from sharing import selectors, services
from sharing.models import Agreement, DisclosureAction, SharedRecord, Status

pytestmark = pytest.mark.django_db


def _draft(member, manager, *, purpose: str) -> Agreement:
    """An all-members draft of ``member``'s organisations' names."""
    return services.agreement_create(
        provider=member, acting_user=manager, recipient_ids=[], all_members=True,
        title="Draft", purpose=purpose, record_types=["organisation"],
        organisation_fields=["name"],
    )  # fmt: skip


def test_only_records_of_an_export_or_copy_agreement_are_exportable(shared_world, member_a,
                                                                    member_b):  # fmt: skip
    """A view-only agreement's records are shown but never exportable; an export
    agreement's are; the provider itself, a recipient of neither, exports nothing."""
    viewed = shared_world["agree"]()
    assert selectors.shared_records_for(member=member_b).filter(agreement=viewed).exists()
    assert not selectors.shared_records_exportable_for(member=member_b).exists()
    exported = shared_world["agree"](title="Exportable", access_mode="export")
    exportable = set(selectors.shared_records_exportable_for(member=member_b))
    assert exportable == set(SharedRecord.objects.filter(agreement=exported))
    assert exportable
    assert not selectors.shared_records_exportable_for(member=member_a).exists()


def test_in_force_means_active_and_within_its_dates(shared_world, member_a, user):
    """An active agreement is in force; one suspended, or one whose end date has passed, is
    not; a draft never is. The map's list and the single answer agree."""
    active = shared_world["agree"]()
    draft = _draft(member_a, user("manager-a"), purpose="directory")
    assert selectors.agreement_in_force(agreement=active)
    assert not selectors.agreement_in_force(agreement=draft)
    assert set(selectors.agreements_in_force()) == {active}
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    Agreement.objects.filter(pk=active.pk).update(start_date=yesterday, end_date=yesterday)
    assert not selectors.agreement_in_force(agreement=active)
    assert not selectors.agreements_in_force().exists()
    Agreement.objects.filter(pk=active.pk).update(end_date=None, status=Status.SUSPENDED)
    assert not selectors.agreement_in_force(agreement=active)


def test_the_register_lists_agreements_by_state_and_purpose(shared_world, member_a, user):
    """The consortium's register holds every agreement in any state, filtered by state and
    purpose when asked."""
    active = shared_world["agree"]()
    draft = _draft(member_a, user("manager-a"), purpose="event_promotion")
    assert {active, draft} <= set(selectors.agreements_register())
    assert draft not in selectors.agreements_register(status=Status.ACTIVE)
    assert set(selectors.agreements_register(purpose="event_promotion")) == {draft}


def test_the_disclosure_log_is_the_providers_own(shared_world, member_a, member_b, user):
    """A provider's log holds the views of its records only: the recipient, whose own log is
    of what it shares, sees none of them there."""
    shared_world["agree"]()
    records = list(selectors.shared_records_for(member=member_b))
    services.disclosure_record(acting_user=user("staff-b"), member=member_b, records=records,
                               action=DisclosureAction.VIEW, reason="test")  # fmt: skip
    log = selectors.disclosures_of(provider=member_a, limit=None)
    assert log.exists()
    assert {entry.provider_id for entry in log} == {member_a.pk}
    assert not selectors.disclosures_of(provider=member_b, limit=None).exists()
    assert len(selectors.disclosures_of(provider=member_a, limit=1)) == 1
