"""The consortium's sharing rules: what they refuse (naming the rule), what a tightening
suspends at once (and who is told), what a loosening does not widen, the projection's own
check, standing agreements on onboarding, and the pages."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.utils import timezone

from crm import services as crm
from sharing import rule_services, selectors, services
from sharing.models import (
    Agreement,
    AgreementEvent,
    FieldRule,
    RuleChange,
    SharedRecord,
    StandingAgreement,
    Status,
)
from sharing.rules import projection_limits

pytestmark = pytest.mark.django_db


def seen_by(member) -> dict[str, dict]:
    return {r.display_name: r.data for r in selectors.shared_records_for(member=member)}


def forbid(field, user, *, record_type="contact", mode="never", purposes=()):
    return rule_services.field_rule_set(
        record_type=record_type, field=field, mode=mode, purposes=list(purposes),
        acting_user=user("admin-c"),
    )  # fmt: skip


def test_an_agreement_sharing_a_forbidden_field_is_refused_naming_the_rule(
    shared_world, member_a, member_b, user
):
    """Once e-mail of contacts is never shared, no agreement offering it can be made; the
    error sits on the field and names the rule and its date."""
    forbid("email", user)
    with pytest.raises(ValidationError) as caught:
        shared_world["agree"]()
    errors = caught.value.message_dict
    assert "contact_fields" in errors
    message = errors["contact_fields"][0]
    assert "E-mail of contacts is never shared" in message
    assert timezone.localdate().strftime("%B %Y") in message
    assert "cannot be shared: email" in message


def test_fields_shared_only_for_named_purposes(shared_world, member_b, user):
    """Phone numbers only for joint delivery: refused for a directory, accepted for joint
    delivery."""
    forbid("phone", user, mode="purposes", purposes=["joint_delivery"])
    with pytest.raises(ValidationError, match="shared only for joint service delivery"):
        shared_world["agree"](contact_fields=["first_name", "phone"])
    agreement = shared_world["agree"](
        contact_fields=["first_name", "phone"], purpose="joint_delivery", title="Delivery"
    )
    assert agreement.status == Status.ACTIVE
    assert seen_by(member_b)["Ada"]["phone"] == "01904 000001"


def test_tightening_suspends_at_once_tells_the_parties_and_logs_old_and_new(
    shared_world, member_a, member_b, user, django_capture_on_commit_callbacks
):
    """A rule that now forbids a field an active agreement shares suspends it in the same
    transaction: its records are gone, the event says why, every party's managers get an
    e-mail, and the change is logged with who, old and new."""
    agreement = shared_world["agree"]()
    assert "Ada Lovelace" in seen_by(member_b)
    with django_capture_on_commit_callbacks(execute=True):
        _, suspended = forbid("email", user)
    assert [a.pk for a in suspended] == [agreement.pk]
    agreement.refresh_from_db()
    assert agreement.status == Status.SUSPENDED
    assert seen_by(member_b) == {}
    assert not SharedRecord.objects.filter(agreement=agreement).exists()
    event = AgreementEvent.objects.filter(agreement_id=agreement.pk).last()
    assert event.action == services.RULES_SUSPENDED
    assert "E-mail of contacts is never shared" in event.detail
    assert len(mail.outbox) == 1
    assert set(mail.outbox[0].to) >= {user("manager-a").email, user("manager-b").email}
    assert "Directory" in mail.outbox[0].subject
    change = RuleChange.objects.get(rule="field:contact:email")
    assert change.actor_id == user("admin-c").pk
    assert change.old == {"mode": "any", "purposes": []}
    assert change.new == {"mode": "never", "purposes": []}
    assert change.suspended == [agreement.pk]


def test_loosening_widens_nothing_and_the_parties_can_amend(shared_world, member_a, member_b, user):
    """Relaxing the rule leaves the suspended agreement suspended (and it cannot be resumed
    while it breaks a rule); a new version without the field is signed and shares again."""
    agreement = shared_world["agree"]()
    forbid("email", user)
    with pytest.raises(ValidationError, match="never shared"):
        services.agreement_resume(agreement=agreement, acting_user=user("manager-a"))
    v2 = services.agreement_amend(
        agreement=agreement, acting_user=user("manager-a"),
        contact_fields=["first_name", "last_name", "organisations"],
    )  # fmt: skip
    services.agreement_propose(agreement=v2, acting_user=user("manager-a"))
    services.agreement_sign(agreement=v2, member=member_a, acting_user=user("manager-a"))
    services.agreement_sign(agreement=v2, member=member_b, acting_user=user("manager-b"))
    assert "email" not in seen_by(member_b)["Ada Lovelace"]
    forbid("email", user, mode="any")
    agreement.refresh_from_db()
    assert agreement.status == Status.SUPERSEDED
    assert "email" not in seen_by(member_b)["Ada Lovelace"]


def test_an_awaiting_agreement_that_now_breaks_a_rule_cannot_be_signed(
    shared_world, member_a, member_b, user
):
    agreement = services.agreement_create(
        provider=member_a, acting_user=user("manager-a"), recipient_ids=[member_b.pk],
        title="Pending", purpose="directory", record_types=["organisation"],
        organisation_fields=["name", "website"],
    )  # fmt: skip
    services.agreement_propose(agreement=agreement, acting_user=user("manager-a"))
    forbid("website", user, record_type="organisation")
    with pytest.raises(ValidationError, match="Website of organisations is never shared"):
        services.agreement_sign(agreement=agreement, member=member_a, acting_user=user("manager-a"))


def test_the_projection_leaves_out_a_forbidden_field_whatever_the_agreement_says(
    shared_world, member_a, member_b, user, in_member
):
    """Defence in depth: even with a rule row written behind the services' back (so nothing
    was suspended), the next projection of a record drops the field."""
    shared_world["agree"]()
    FieldRule.objects.create(record_type="contact", field="email", mode="never")
    assert projection_limits().permits("directory", "contact", "email") is False
    with in_member(member_a):
        crm.contact_update(contact=shared_world["ada"], acting_user=None, first_name="Augusta")
    assert "email" not in seen_by(member_b)["Augusta Lovelace"]


@pytest.mark.parametrize(
    ("policy", "changes", "field", "words"),
    [
        ({"lawful_bases": ["consent"]}, {}, "lawful_basis", "lawful bases: consent"),
        ({"lawful_bases": ["consent"]}, {"lawful_basis": "legitimate_interests"},
         "lawful_basis", "allows only"),
        ({"dpia_required": True}, {}, "dpia_reference", "impact assessment"),
        ({"max_term_months": 12}, {}, "end_date", "limits agreements to 12 months"),
        ({"review_months": 6}, {"review_date": datetime.date(2030, 1, 1)}, "review_date",
         "review at least every 6 months"),
        ({"contacts_need_consent": True}, {"requires_consent": False}, "requires_consent",
         "recorded consent"),
        ({"parties_restricted": True}, {}, "recipients", "only these members"),
        ({"parties_restricted": True}, {"all_members": True, "recipient_ids": []},
         "all_members", "cannot be shared with all members"),
    ],
)  # fmt: skip
def test_purpose_policies_refuse_on_the_field_to_change(
    shared_world, member_b, user, policy, changes, field, words
):
    rule_services.purpose_policy_set(purpose="directory", acting_user=user("admin-c"), **policy)
    with pytest.raises(ValidationError) as caught:
        shared_world["agree"](**changes)
    assert field in caught.value.message_dict
    assert words in " ".join(caught.value.message_dict[field])


def test_a_policy_that_is_kept_lets_the_agreement_through(shared_world, member_a, member_b, user):
    rule_services.purpose_policy_set(
        purpose="research", acting_user=user("admin-c"), lawful_bases=["public_task"],
        dpia_required=True, max_term_months=12, review_months=6, parties_restricted=True,
        eligible_members=[member_a.pk, member_b.pk],
    )  # fmt: skip
    start = timezone.localdate()
    agreement = shared_world["agree"](
        purpose="research", lawful_basis="public_task", dpia_reference="DPIA-2026-04",
        start_date=start, end_date=start + datetime.timedelta(days=300),
        review_date=start + datetime.timedelta(days=150), title="Research",
    )  # fmt: skip
    assert agreement.status == Status.ACTIVE


def test_admin_approval_per_purpose(shared_world, member_b, user, settings):
    """Approval is asked per purpose; the old setting stays the default for the rest."""
    settings.COMMONS_SHARING_ADMIN_APPROVAL = False
    rule_services.purpose_policy_set(purpose="research", acting_user=user("admin-c"),
                                     admin_approval=True)  # fmt: skip
    assert shared_world["agree"]().status == Status.ACTIVE
    research = shared_world["agree"](purpose="research", title="Study")
    assert research.status == Status.AWAITING
    services.agreement_approve(agreement=research, acting_user=user("admin-c"))
    research.refresh_from_db()
    assert research.status == Status.ACTIVE


def test_a_policy_tightening_suspends_only_what_breaks_it(shared_world, member_b, user):
    directory = shared_world["agree"]()
    research = shared_world["agree"](purpose="research", title="Study")
    _, suspended = rule_services.purpose_policy_set(
        purpose="research", acting_user=user("admin-c"), dpia_required=True
    )
    assert [a.pk for a in suspended] == [research.pk]
    directory.refresh_from_db()
    assert directory.status == Status.ACTIVE
    assert {r.agreement_id for r in selectors.shared_records_for(member=member_b)} == {directory.pk}
    assert RuleChange.objects.filter(rule="purpose:research:dpia_required").exists()


def test_only_consortium_admins_change_rules(user):
    with pytest.raises(PermissionDenied):
        rule_services.field_rule_set(record_type="contact", field="email", mode="never",
                                     purposes=[], acting_user=user("manager-a"))  # fmt: skip
    with pytest.raises(PermissionDenied):
        rule_services.purpose_policy_set(purpose="research", acting_user=user("researcher-r"),
                                         dpia_required=True)  # fmt: skip


def test_locked_rules_cannot_be_relaxed(user):
    with pytest.raises(ValidationError, match="cannot be relaxed"):
        rule_services.field_rule_set(record_type="contact", field="date_of_birth", mode="any",
                                     purposes=[], acting_user=user("admin-c"))  # fmt: skip
    assert FieldRule.objects.get(record_type="contact", field="restricted").mode == "never"


def test_tightening_while_a_recipient_is_mid_search_shows_nothing_forbidden_next_page(
    shared_world, member_a, member_b, user, in_member
):
    """A recipient pages through results; a rule forbids e-mail between pages: the next
    page (a new request, a new query) holds nothing with an e-mail, and nothing of the
    suspended agreement."""
    with in_member(member_a):
        for n in range(30):
            contact = crm.contact_create(acting_user=None, first_name=f"Pat{n:02}",
                                         last_name="Searcher", email=f"pat{n}@example.org",
                                         tags=[shared_world["tag"]])  # fmt: skip
            crm.consent_record(contact=contact, purpose="sharing", status="granted",
                               acting_user=None)  # fmt: skip
    agreement = shared_world["agree"]()
    first = Paginator(selectors.shared_records_for(member=member_b, search="searcher"), 10)
    page_one = first.get_page(1)
    assert all("email" in r.data for r in page_one.object_list)
    forbid("email", user)
    again = Paginator(selectors.shared_records_for(member=member_b, search="searcher"), 10)
    page_two = again.get_page(2)
    assert all("email" not in r.data for r in page_two.object_list)
    assert not [r for r in page_two.object_list if r.agreement_id == agreement.pk]
    assert not SharedRecord.objects.filter(data__has_key="email").exists()


# --- standing agreements ----------------------------------------------------------------------


@pytest.fixture
def directory_standing(user):
    return rule_services.standing_agreement_save(
        acting_user=user("admin-c"), name="Local groups directory (standing)",
        purpose="directory", lawful_basis="legitimate_interests",
        record_types=["organisation"], organisation_fields=["name", "postcode", "district"],
        access_mode="view", description="Every member's organisations, for signposting.",
    )  # fmt: skip


def test_a_new_member_joins_the_standing_agreements(directory_standing, member_a, member_b,
                                                     user, in_member):  # fmt: skip
    """Onboarding makes the new member's own all-members agreement, in force at once; what it
    shares reaches every other member as soon as it is in its CRM."""
    from tenants import services as tenants

    member = tenants.member_create(name="Gamma Voluntary Action", slug="gamma-rules",
                                   acting_user=user("admin-c"))  # fmt: skip
    agreement = Agreement.objects.get(provider=member, standing=directory_standing)
    assert agreement.status == Status.ACTIVE
    assert agreement.all_members
    with in_member(member):
        crm.organisation_create(acting_user=None, name="Gamma Food Bank", postcode="YO1 7HH",
                                notes="private")  # fmt: skip
    shared = seen_by(member_b)["Gamma Food Bank"]
    assert shared == {"name": "Gamma Food Bank", "postcode": "YO1 7HH", "district": ""}


def test_a_standing_agreement_that_breaks_a_rule_is_not_joined(directory_standing, user):
    from tenants import services as tenants
    from tenants.models import AuditEntry

    forbid("postcode", user, record_type="organisation")
    member = tenants.member_create(name="Delta Network", slug="delta-rules",
                                   acting_user=user("admin-c"))  # fmt: skip
    assert not Agreement.objects.filter(provider=member).exists()
    assert AuditEntry.objects.filter(action="sharing.standing_not_joined",
                                     member_id=member.pk).exists()  # fmt: skip


# --- pages ----------------------------------------------------------------------------------


def test_the_add_member_page_shows_what_joining_means(directory_standing, client_for, user):
    page = client_for(user("admin-c"), None).get("/members/new/").content.decode()
    assert "What joining means" in page
    assert "Local groups directory (standing)" in page
    assert "Name, Postcode, District" in page


def test_admins_edit_field_rules_with_a_preview_then_confirm(shared_world, client_for, user):
    agreement = shared_world["agree"]()
    admin = client_for(user("admin-c"), None)
    assert "Change the rules for a field" in admin.get("/sharing/rules/").content.decode()
    url = "/sharing/rules/fields/contact/email/"
    preview = admin.post(url, {"mode": "never"})
    assert preview.status_code == 200
    body = preview.content.decode()
    assert "would suspend 1 active agreement" in body
    assert "Confirm" in body
    agreement.refresh_from_db()
    assert agreement.status == Status.ACTIVE
    htmx = admin.post(url, {"mode": "never"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'id="rule-preview"' in htmx
    assert "<html" not in htmx
    stale = admin.post(url, {"mode": "never", "confirm": "999"})
    assert stale.status_code == 200  # a confirmation of something else: shown again
    done = admin.post(url, {"mode": "never", "confirm": str(agreement.pk)})
    assert done.status_code == 302
    agreement.refresh_from_db()
    assert agreement.status == Status.SUSPENDED
    overview = admin.get("/sharing/rules/").content.decode()
    assert "E-mail of contacts is never shared." in overview


def test_field_rule_form_errors_name_the_problem(client_for, user):
    admin = client_for(user("admin-c"), None)
    body = admin.post("/sharing/rules/fields/contact/phone/", {"mode": "purposes"}).content
    assert "Name at least one purpose" in body.decode()
    body = admin.post("/sharing/rules/fields/contact/date_of_birth/", {"mode": "any"}).content
    assert "cannot be relaxed" in body.decode()


def test_admins_edit_purpose_policies(client_for, user):
    admin = client_for(user("admin-c"), None)
    response = admin.post("/sharing/rules/purposes/research/", {
        "lawful_bases": ["consent", "public_task"], "dpia_required": "on",
        "max_term_months": "24", "admin_approval": "yes",
    })  # fmt: skip
    assert response.status_code == 302
    page = admin.get("/sharing/rules/").content.decode()
    assert "The lawful basis must be one of: consent, public task." in page
    assert "A data protection impact assessment (DPIA) is required" in page
    bad = admin.post("/sharing/rules/purposes/research/", {"max_term_months": "0"})
    assert "greater than or equal to 1" in bad.content.decode()


def test_only_admins_edit_rules_members_read_them(client_for, user, member_a):
    reader = client_for(user("both-ab"), None)
    page = reader.get("/sharing/rules/")
    assert page.status_code == 200
    assert "Only consortium admins can change them." in page.content.decode()
    assert "Change the rules for a field" not in page.content.decode()
    assert reader.get("/sharing/rules/fields/contact/email/").status_code == 403
    assert reader.post("/sharing/rules/fields/contact/email/", {"mode": "never"}).status_code == 403
    assert reader.get("/sharing/rules/purposes/research/").status_code == 403
    assert reader.get("/sharing/rules/standing/new/").status_code == 403
    assert not FieldRule.objects.filter(field="email").exists()


def test_the_member_rules_page_in_plain_english_with_dates(client_for, user, member_a):
    rule_services.purpose_policy_set(purpose="research", acting_user=user("admin-c"),
                                     dpia_required=True)  # fmt: skip
    page = client_for(user("staff-a"), member_a).get("/rules/").content.decode()
    assert "The consortium's rules" in page
    assert "Date of birth of contacts is never shared." in page
    assert "Nothing of a restricted contact is ever shared." in page
    assert "A data protection impact assessment (DPIA) is required" in page
    assert timezone.localdate().strftime("%B %Y") in page
    assert "There are no standing agreements" in page
    agreements = client_for(user("staff-a"), member_a).get("/agreements/").content.decode()
    assert 'href="/rules/"' in agreements


def test_agreement_form_errors_name_the_rule(client_for, user, member_a, member_b):
    rule_services.purpose_policy_set(purpose="directory", acting_user=user("admin-c"),
                                     lawful_bases=["legitimate_interests"])  # fmt: skip
    forbid("postcode", user, record_type="organisation")
    response = client_for(user("manager-a"), member_a).post("/agreements/new/", {
        "title": "Groups", "purpose": "directory", "recipients": [member_b.pk],
        "record_types": ["organisation"], "organisation_fields": ["name", "postcode"],
        "access_mode": "view", "start_date": "2026-01-01", "lawful_basis": "consent",
    })  # fmt: skip
    assert response.status_code == 200
    form = response.context["form"]
    assert "Postcode of organisations is never shared" in form.errors["organisation_fields"][0]
    assert "allows only these lawful bases: legitimate interests" in form.errors["lawful_basis"][0]


def test_a_suspended_agreement_page_says_why(shared_world, client_for, user, member_b):
    agreement = shared_world["agree"]()
    forbid("email", user)
    page = client_for(user("staff-b"), member_b).get(f"/agreements/{agreement.pk}/").content
    assert "Suspended by the consortium&#x27;s rules" in page.decode()
    assert "E-mail of contacts is never shared" in page.decode()


def test_admins_add_a_standing_agreement_through_the_page(client_for, user):
    admin = client_for(user("admin-c"), None)
    response = admin.post("/sharing/rules/standing/new/", {
        "name": "Everyone's groups", "purpose": "directory", "record_types": ["organisation"],
        "organisation_fields": ["name", "town"], "access_mode": "view", "is_active": "on",
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    standing = StandingAgreement.objects.get(name="Everyone's groups")
    assert RuleChange.objects.filter(rule=f"standing:{standing.pk}").exists()
    empty = admin.post("/sharing/rules/standing/new/", {
        "name": "Nothing", "purpose": "directory", "record_types": ["organisation"],
        "access_mode": "view", "is_active": "on",
    })  # fmt: skip
    assert "Choose at least one field of organisations" in empty.content.decode()


def test_the_agreement_form_shows_the_rules_of_the_chosen_purpose(client_for, user, member_a):
    """The form loads (htmx) the rules an agreement of the chosen purpose must keep."""
    rule_services.purpose_policy_set(purpose="research", acting_user=user("admin-c"),
                                     dpia_required=True)  # fmt: skip
    forbid("phone", user, mode="purposes", purposes=["joint_delivery"])
    client = client_for(user("manager-a"), member_a)
    assert 'hx-get="/rules/for-purpose/"' in client.get("/agreements/new/").content.decode()
    fragment = client.get("/rules/for-purpose/", {"purpose": "research"}).content.decode()
    assert "A data protection impact assessment (DPIA) is required" in fragment
    assert "Phone of contacts is shared only for joint service delivery" in fragment
    assert (
        "Phone of contacts"
        not in client.get("/rules/for-purpose/", {"purpose": "joint_delivery"}).content.decode()
    )


def test_current_members_are_asked_to_join_and_share_once_they_sign(
    directory_standing, client_for, user, member_a, member_b, in_member
):
    """Asking current members makes each an agreement awaiting its own manager's signature;
    once signed it is in force and shares."""
    admin = client_for(user("admin-c"), None)
    response = admin.post(f"/sharing/rules/standing/{directory_standing.pk}/", {"offer": "1"})
    assert response.status_code == 302
    offered = Agreement.objects.get(provider=member_a, standing=directory_standing)
    assert offered.status == Status.AWAITING
    with in_member(member_a):
        crm.organisation_create(acting_user=None, name="Alpha Allotments", postcode="YO1 7HH")
    assert "Alpha Allotments" not in seen_by(member_b)
    services.agreement_sign(agreement=offered, member=member_a, acting_user=user("manager-a"))
    offered.refresh_from_db()
    assert offered.status == Status.ACTIVE
    assert "Alpha Allotments" in seen_by(member_b)
    again = rule_services.standing_agreement_offer(standing=directory_standing,
                                                   acting_user=user("admin-c"))  # fmt: skip
    assert again == 0  # nobody is asked twice
