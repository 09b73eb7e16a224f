"""Who may do what with data sharing (sharing.permissions): the predicates, the services that
ask them (no acting user is nobody: refused, never taken for the system), and the audit rows
of the writes they guard."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from sharing import permissions, rule_services, services
from sharing.models import AgreementTemplate, FieldRule, RuleChange, SharedRecord, Status
from tenants.models import AuditEntry

pytestmark = pytest.mark.django_db

TEMPLATE = {
    "name": "Event promotion", "description": "Events members run", "purpose": "event_promotion",
    "all_members": True, "record_types": ["organisation"], "contact_fields": [],
    "organisation_fields": ["name", "email"], "criteria_tags": ["Events"],
    "requires_consent": True, "access_mode": "view", "expected_benefit": "",
    "retention": "", "security_notes": "",
}  # fmt: skip


@pytest.mark.parametrize(
    ("username", "manages_a", "admin"),
    [("manager-a", True, False), ("staff-a", False, False), ("manager-b", False, False),
     ("admin-c", False, True), (None, False, False)],
)  # fmt: skip
def test_predicates_answer_by_role_and_refuse_nobody(user, member_a, username, manages_a, admin):
    """Only A's managers manage A's agreements; only consortium admins approve agreements,
    oversee sharing and change the rules; no user (None) and an anonymous visitor may do
    none of it."""
    who = user(username) if username else None
    assert permissions.can_manage_agreements(who, member_a) is manages_a
    for predicate in (permissions.can_approve_agreements, permissions.can_oversee_sharing,
                      permissions.can_change_rules):  # fmt: skip
        assert predicate(who) is admin
        assert predicate(AnonymousUser()) is False
    assert permissions.can_manage_agreements(AnonymousUser(), member_a) is False


@pytest.mark.parametrize("username", ["staff-a", "manager-b", "admin-c", None])
def test_only_a_manager_passes_the_agreements_refusal(user, member_a, username):
    """The refusal the services make passes A's managers and refuses anyone else (no user
    included) with a 403 naming the member."""
    permissions.agreements_manager_require(user("manager-a"), member_a)
    who = user(username) if username else None
    message = permissions.NOT_A_MANAGER.format(member=member_a)
    with pytest.raises(PermissionDenied, match=message):
        permissions.agreements_manager_require(who, member_a)


def test_copying_is_allowed_only_where_the_agreement_says_copy(shared_world, user):
    """A record shared to view or export cannot be copied; one shared to copy can."""
    viewed = shared_world["agree"](access_mode="export")
    record = SharedRecord.objects.filter(agreement=viewed).first()
    assert not permissions.can_copy_shared_record(user("staff-b"), record)
    copied = shared_world["agree"](access_mode="copy", title="Copy")
    record = SharedRecord.objects.filter(agreement=copied).first()
    assert permissions.can_copy_shared_record(user("staff-b"), record)


def test_rule_changes_refuse_no_acting_user(user):
    """Changing a field rule, a purpose's policy or a standing agreement with no acting user
    is refused with the rule's message, and nothing is changed or logged."""
    before = RuleChange.objects.count()
    with pytest.raises(PermissionDenied, match=rule_services.NOT_ADMIN):
        rule_services.field_rule_set(record_type="contact", field="email", mode="never",
                                     purposes=[], acting_user=None)  # fmt: skip
    with pytest.raises(PermissionDenied, match=rule_services.NOT_ADMIN):
        rule_services.purpose_policy_set(purpose="directory", acting_user=None,
                                         dpia_required=True)  # fmt: skip
    with pytest.raises(PermissionDenied, match=rule_services.NOT_ADMIN):
        rule_services.standing_agreement_save(acting_user=None, name="Quietly")
    assert not FieldRule.objects.filter(record_type="contact", field="email").exists()
    assert RuleChange.objects.count() == before


def test_a_managers_steps_refuse_no_acting_user(shared_world, member_a, user):
    """Making or ending an agreement with no acting user is refused: such a step is a
    manager's, and nobody is no manager."""
    with pytest.raises(PermissionDenied, match="Only a manager of Alpha"):
        services.agreement_create(provider=member_a, acting_user=None, recipient_ids=[],
                                  all_members=True, title="Nobody's", purpose="directory",
                                  record_types=["organisation"],
                                  organisation_fields=["name"])  # fmt: skip
    agreement = shared_world["agree"]()
    with pytest.raises(PermissionDenied):
        services.agreement_terminate(agreement=agreement, member=member_a, acting_user=None)
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE


def test_a_template_is_added_through_its_service_with_an_audit_row(user):
    """A consortium admin adds a template; the audit log says who. Anyone else is refused
    and nothing is added."""
    admin = user("admin-c")
    template = services.agreement_template_create(acting_user=admin, **TEMPLATE)
    entry = AuditEntry.objects.get(action="sharing.agreement_template_created")
    assert (entry.actor_id, entry.member_id, entry.target) == (admin.pk, None, "Event promotion")
    assert entry.details == {"template_id": template.pk}
    for who in (user("manager-a"), None):
        with pytest.raises(PermissionDenied, match=services.NOT_AN_OVERSEER):
            services.agreement_template_create(acting_user=who, **TEMPLATE | {"name": "Other"})
    assert not AgreementTemplate.objects.filter(name="Other").exists()


def test_the_templates_page_saves_through_the_service(client_for, user):
    """The consortium's templates page adds a template and its audit row; a member's
    manager is refused (403) and adds nothing."""
    form = {k: v for k, v in TEMPLATE.items() if not isinstance(v, bool | list)}
    form |= {"record_types": ["organisation"], "organisation_fields": ["name", "email"],
             "criteria_tags": "Events", "all_members": "on", "requires_consent": "on"}  # fmt: skip
    refused = client_for(user("manager-a"), None).post("/sharing/templates/", form)
    assert refused.status_code == 403
    assert not AgreementTemplate.objects.filter(name="Event promotion").exists()
    saved = client_for(user("admin-c"), None).post("/sharing/templates/", form)
    assert saved.status_code == 302
    template = AgreementTemplate.objects.get(name="Event promotion")
    assert template.criteria_tags == ["Events"]
    entry = AuditEntry.objects.get(action="sharing.agreement_template_created")
    assert entry.actor_id == user("admin-c").pk


def test_linking_a_shared_organisation_is_audited_once(shared_world, client_for, user, member_b,
                                                       in_member):  # fmt: skip
    """Confirming that a shared organisation is one of ours writes one audit row for the
    recipient member, naming who confirmed; confirming it again writes none."""
    from crm import services as crm

    shared_world["agree"]()
    with in_member(member_b):
        ours = crm.organisation_create(acting_user=user("staff-b"), name="Our Shed")
    record = SharedRecord.objects.get(display_name="Malton Men's Shed")
    client = client_for(user("staff-b"), member_b)
    for _ in range(2):
        client.post(f"/shared/{record.pk}/link/", {"organisation": ours.pk, "reason": "name"})
    entry = AuditEntry.objects.get(action="sharing.organisation_linked")
    assert (entry.actor_id, entry.member_id) == (user("staff-b").pk, member_b.pk)
    assert entry.details["provider_record_id"] == record.record_id
