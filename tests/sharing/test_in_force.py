"""Only an active agreement is in force (issue 11, A13): its dates alone never make a draft,
a proposal or a suspended agreement show anything to a recipient."""

from __future__ import annotations

import pytest
from django.utils import timezone

from sharing import selectors, services
from sharing.models import Agreement, SharedRecord, Status

pytestmark = pytest.mark.django_db


def test_an_unsigned_agreement_within_its_dates_is_not_in_force(
    shared_world, member_a, member_b, user, client_for
):
    """A draft and a proposal naming Beta, starting today, are not agreements Beta receives:
    absent from the selector and from Beta's shared directory page."""

    def starting_today(title: str) -> Agreement:
        return services.agreement_create(
            provider=member_a, acting_user=user("manager-a"), recipient_ids=[member_b.pk],
            title=title, purpose="directory", record_types=["organisation"],
            organisation_fields=["name"], criteria_tags=["Directory 2026"],
            start_date=timezone.localdate(),
        )  # fmt: skip

    draft = starting_today("Quillfeather draft")
    proposed = starting_today("Quillfeather proposal")
    services.agreement_propose(agreement=proposed, acting_user=user("manager-a"))
    assert draft.start_date <= timezone.localdate()
    received = set(selectors.agreements_received_by(member=member_b))
    assert draft not in received
    assert proposed not in received
    page = client_for(user("staff-b"), member_b).get("/shared/").content.decode()
    assert "Quillfeather" not in page


def test_a_suspended_agreements_leftover_projections_are_not_shown(
    shared_world, member_b, user, client_for
):
    """Even if projections of a suspended agreement were left behind (a writer that missed
    the suspension), the recipient sees none of them: in force means status active."""
    agreement = shared_world["agree"]()
    assert agreement.status == Status.ACTIVE
    assert selectors.shared_records_for(member=member_b).filter(agreement=agreement).exists()
    kept = SharedRecord.objects.filter(agreement=agreement).count()
    # Past the services, which would delete the projections with the state change.
    Agreement.objects.filter(pk=agreement.pk).update(status=Status.SUSPENDED)
    assert SharedRecord.objects.filter(agreement=agreement).count() == kept > 0
    assert agreement not in set(selectors.agreements_received_by(member=member_b))
    assert not selectors.shared_records_for(member=member_b).exists()
    page = client_for(user("staff-b"), member_b).get("/shared/").content.decode()
    assert "Malton Men" not in page
