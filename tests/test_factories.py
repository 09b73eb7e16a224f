"""The factories build as the product does: through the services, so what they make is
validated, shared under agreements in force and audited like any other record."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from tests.factories import (
    AgreementFactory,
    ContactFactory,
    OrganisationFactory,
    UserFactory,
    manager_of,
)

pytestmark = pytest.mark.django_db


def test_an_organisation_made_under_an_agreement_in_force_is_shared(member_a, member_b, in_member):
    """An agreement in force is active, and an organisation a factory makes afterwards reaches
    the recipient at once (the service announced it to the projection)."""
    from sharing.models import SharedRecord, Status

    agreement = AgreementFactory(provider=member_a, recipients=[member_b],
                                 criteria_tags=["Factory directory"], in_force=True)  # fmt: skip
    assert agreement.status == Status.ACTIVE
    with in_member(member_a):
        org = OrganisationFactory(name="Factory Shed", tags=["Factory directory"])
    shared = SharedRecord.objects.get(agreement=agreement, record_id=org.pk)
    assert shared.display_name == "Factory Shed"


def test_a_contact_is_validated_and_normalised_by_the_service(at_a):
    """A contact gets the service's postcode normalising, and a bad e-mail is refused."""
    assert ContactFactory(postcode="yo17 7aa").postcode == "YO17 7AA"
    with pytest.raises(ValidationError):
        ContactFactory(email="not an e-mail")


def test_a_user_made_a_manager_is_audited_and_acts_for_the_member(member_a):
    """UserFactory(member=, role=) adds the membership through membership_add, whose audit row
    names the member and the role."""
    from tenants.models import AuditEntry, Role

    person = UserFactory(member=member_a, role=Role.MANAGER)
    entry = AuditEntry.objects.get(action="membership.added", target=person.username)
    assert entry.member_id == member_a.pk
    assert entry.actor_id is None
    assert entry.details["role"] == Role.MANAGER
    assert person.check_password("correct-horse-battery-staple")
    assert manager_of(member_a).username == "manager-a"  # the first manager still signs
