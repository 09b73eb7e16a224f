from __future__ import annotations

from typing import Any

from allauth.account.forms import LoginForm
from django import forms
from django.core.exceptions import ValidationError

from .districts import district_choices
from .models import SLUG_PATTERN, Role


class Textarea(forms.Textarea):
    """A textarea whose line breaks are kept as they were shown. Browsers send them as CRLF,
    so an untouched note saved from a browser would otherwise differ from the one stored
    (and an event's calendar entry would count as changed)."""

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        return value.replace("\r\n", "\n").replace("\r", "\n") if isinstance(value, str) else value


def form_errors_add(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form: each field's errors beside the field
    (or at the top when the form has no such field), anything else at the top."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.message_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


class MemberCreateForm(forms.Form):
    name = forms.CharField(
        label="Organisation name", max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )  # fmt: skip
    slug = forms.RegexField(
        label="Web address",
        regex=SLUG_PATTERN,
        max_length=40,
        help_text="Lower-case letters, digits and hyphens: becomes <slug>.<consortium address>.",
        error_messages={
            "invalid": "Use lower-case letters, digits and single hyphens, starting with a letter."
        },
    )
    charity_number = forms.CharField(
        label="Charity number", max_length=20, required=False,
        help_text="England and Wales, or Scottish (SC…), if registered.",
    )  # fmt: skip
    company_number = forms.CharField(
        label="Company number", max_length=20, required=False,
        help_text="Companies House number, leading zeros kept (e.g. 01234567).",
    )  # fmt: skip
    district = forms.ChoiceField(
        label="District", choices=[("", "Choose a district"), *district_choices()], required=False
    )


class InviteForm(forms.Form):
    email = forms.EmailField(
        label="E-mail address", widget=forms.EmailInput(attrs={"autocomplete": "off"})
    )
    first_name = forms.CharField(label="First name", max_length=150)
    last_name = forms.CharField(label="Last name", max_length=150)
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.STAFF)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)


class SignInForm(LoginForm):
    """allauth's sign-in form, in the site's words: one box for a username or an e-mail."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["login"].label = "Username or e-mail address"
        self.fields["login"].widget.attrs.pop("placeholder", None)
        self.fields["password"].help_text = ""
        self.fields["password"].widget.attrs.pop("placeholder", None)


class StaffSecondFactorForm(forms.Form):
    """A member's managers ask (or stop asking) their staff for a second factor."""

    required = forms.BooleanField(
        label="Ask staff for a second factor too",
        required=False,
        help_text="Managers always need one. Staff without one are asked to set it up on "
        "their next page here.",
    )


class DataProtectionLeadForm(forms.Form):
    account = forms.CharField(
        label="Username or e-mail address", max_length=254,
        help_text="Someone who already has a Commons account.",
    )  # fmt: skip
