"""What people see of forms: ISO values in date boxes, an error summary at the top of a form
with errors, labels said once, and only the actions an agreement's state allows."""

from __future__ import annotations

import datetime as dt
import importlib
import re

from django import forms

from tests.factories import AgreementFactory, ContactFactory
from tests.formhtml import forms_in
from tests.subclasses import project_apps, project_subclasses


def test_contact_edit_page_shows_the_date_of_birth_in_the_date_box(
    client_for, user, member_a, at_a
):
    """The date box holds 1971-03-09 (what browsers show), not 09/03/1971 (shown empty)."""
    contact = ContactFactory(last_name="Hart", date_of_birth=dt.date(1971, 3, 9))
    page = client_for(user("staff-a"), member_a).get(f"/contacts/{contact.pk}/edit/")
    form = next(f for f in forms_in(page.content.decode()) if "date_of_birth" in f.date_boxes)
    assert form.date_boxes["date_of_birth"] == "1971-03-09"


def test_new_agreement_shows_its_default_start_date_and_saves_with_it(client_for, user, member_a):
    """The new agreement form's default start date is shown in the box, so saving it with
    only the required choices made never says "Start date is required"."""
    client = client_for(user("manager-a"), member_a)
    form = next(f for f in forms_in(client.get("/agreements/new/").content.decode())
                if "start_date" in f.date_boxes)  # fmt: skip
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", form.date_boxes["start_date"])
    data = form.data()
    data.update(title=["Directory"], record_types=["organisation"],
                organisation_fields=["name"], all_members=["on"])  # fmt: skip
    response = client.post("/agreements/new/", data)
    assert response.status_code == 302, re.findall(
        r'class="error"[^>]*>([^<]+)<', response.content.decode()
    )


def test_form_with_errors_starts_with_a_summary_linking_each_field(client_for, user, member_a):
    """A form sent with errors shows, at the top, a "There is a problem" alert listing each
    error as a link to its field (#id_<field>)."""
    page = client_for(user("staff-a"), member_a).post("/contacts/new/", {"email": "not-an-email"})
    html = page.content.decode()
    summary = re.search(r'<div class="error-summary" role="alert".*?</div>', html, re.S)
    assert summary is not None
    assert "There is a problem" in summary.group()
    assert 'href="#id_last_name"' in summary.group()
    assert 'href="#id_email"' in summary.group()
    assert html.index("There is a problem") < html.index('name="last_name"')


def _form_classes():
    for app in project_apps():
        for module in ("forms", "builder"):
            try:
                importlib.import_module(f"{app}.{module}")
            except ModuleNotFoundError:
                continue
    return project_subclasses(forms.BaseForm)


def test_no_form_label_says_optional_itself():
    """The shared form rendering adds "(optional)" to fields not required; a label that
    says it too would read "Columns (optional) (optional)". Every project form is checked."""
    found = _form_classes()
    assert len(found) > 20
    doubled = [
        f"{c.__module__}.{c.__name__}.{name}"
        for c in found
        for name, field in c.base_fields.items()
        if "optional" in str(field.label or "").lower()
    ]
    assert doubled == []


def test_draft_agreement_offers_no_terminate_and_cannot_be_terminated(
    client_for, user, member_a, member_b
):
    """A draft has been offered to no one: its page offers no Terminate (or Suspend), and a
    hand-made terminate request leaves it a draft."""
    from sharing.models import Status

    draft = AgreementFactory(provider=member_a, recipients=[member_b])
    client = client_for(user("manager-a"), member_a)
    page = client.get(f"/agreements/{draft.pk}/").content.decode()
    assert ">Terminate<" not in page
    assert ">Suspend<" not in page
    assert "Send for signature" in page
    client.post(f"/agreements/{draft.pk}/terminate/", {"reason": "x"})
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT


def test_fields_the_rules_require_for_the_purpose_are_not_optional(client_for, user, member_a):
    """When the consortium's rules for a purpose ask for a DPIA reference, a lawful basis,
    an end date and a review date, the agreement form for that purpose labels none of them
    "(optional)"; other purposes still do."""
    from sharing import rule_services

    rule_services.purpose_policy_set(
        purpose="research", acting_user=user("admin-c"), lawful_bases=["public_task"],
        dpia_required=True, max_term_months=24, review_months=12,
    )  # fmt: skip
    client = client_for(user("manager-a"), member_a)

    def labels(purpose: str) -> dict[str, str]:
        html = client.post("/agreements/new/", {"purpose": purpose}).content.decode()
        found = re.findall(r'<label for="id_(\w+)">(.*?)</label>', html, re.S)
        return {name: re.sub(r"<[^>]+>", "", text) for name, text in found}

    research = labels("research")
    for name in ("dpia_reference", "lawful_basis", "end_date", "review_date"):
        assert "(optional)" not in research[name], name
    assert "(optional)" in labels("directory")["dpia_reference"]
