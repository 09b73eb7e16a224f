"""Forms of the lookup, of opening a request and of what a lead records on it."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.core import signing
from django.utils import timezone

from crm.forms import DateInput
from sharing.person_keys import email_normalise, phone_normalise, postcode_normalise

from .models import IdentityCheck, RequestKind

LOOKUP_SALT = "rights.lookup"
LOOKUP_MAX_AGE = 60 * 60  # a lookup's keys may open a request for an hour
LOOKUP_EXPIRED = "That lookup has expired or was changed. Look the person up again."


class LookupForm(forms.Form):
    """Identifiers of the person, as they gave them. Never stored: only their keyed hashes."""

    email = forms.CharField(label="E-mail address", max_length=254, required=False,
                            widget=forms.EmailInput(attrs={"autocomplete": "off"}))  # fmt: skip
    phone = forms.CharField(label="Phone number", max_length=40, required=False,
                            widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "off"}),
                            help_text="A UK number in any spelling, or +country code.")  # fmt: skip
    name = forms.CharField(label="Full name", max_length=200, required=False,
                           widget=forms.TextInput(attrs={"autocomplete": "off"}),
                           help_text="First and last name, with a postcode.")  # fmt: skip
    postcode = forms.CharField(label="Postcode", max_length=10, required=False,
                               widget=forms.TextInput(attrs={"autocomplete": "off"}))  # fmt: skip

    def clean_email(self) -> str:
        value = self.cleaned_data["email"].strip()
        if value and email_normalise(value) is None:
            raise forms.ValidationError("Enter an e-mail address, like name@example.org.")
        return value

    def clean_phone(self) -> str:
        value = self.cleaned_data["phone"].strip()
        if value and phone_normalise(value) is None:
            raise forms.ValidationError("Enter a phone number, like 01904 123456.")
        return value

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        name, postcode = data.get("name", "").strip(), data.get("postcode", "").strip()
        if name and not postcode_normalise(postcode):
            self.add_error("postcode", "A name counts only with a postcode: give both.")
        elif postcode and not name:
            self.add_error("name", "A postcode counts only with a name: give both.")
        if not self.errors and not (data.get("email") or data.get("phone") or name):
            raise forms.ValidationError(
                "Give an e-mail address, a phone number, or a name with a postcode."
            )
        return data


def lookup_token(keys: list[str]) -> str:
    """The lookup's keys, signed, to carry to the request form (no value travels)."""
    return signing.dumps(sorted(keys), salt=LOOKUP_SALT, compress=True)


class RequestForm(forms.Form):
    lookup = forms.CharField(widget=forms.HiddenInput, error_messages={"required": LOOKUP_EXPIRED})
    kind = forms.ChoiceField(label="What they ask for", choices=RequestKind.choices)
    received_on = forms.DateField(label="Date received", widget=DateInput())
    identity_check = forms.ChoiceField(label="How their identity was checked",
                                       choices=IdentityCheck.choices)  # fmt: skip
    identity_checked_on = forms.DateField(label="Date identity was checked", widget=DateInput())
    note = forms.CharField(
        label="Reference note", max_length=200, required=False,
        help_text="Your own reference, such as a ticket number. No personal details.",
    )  # fmt: skip

    def clean_lookup(self) -> list[str]:
        try:
            keys = signing.loads(self.cleaned_data["lookup"], salt=LOOKUP_SALT,
                                 max_age=LOOKUP_MAX_AGE)  # fmt: skip
        except signing.BadSignature as exc:
            raise forms.ValidationError(LOOKUP_EXPIRED) from exc
        if not isinstance(keys, list) or not keys or not all(isinstance(k, str) for k in keys):
            raise forms.ValidationError(LOOKUP_EXPIRED)
        return keys

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        today = timezone.localdate()
        for name in ("received_on", "identity_checked_on"):
            value: datetime.date | None = data.get(name)
            if value and value > today:
                self.add_error(name, "This date cannot be in the future.")
            elif value and value.year < 2000:
                self.add_error(name, "Give a date since 2000.")
        return data


class MemberRequestForm(LookupForm, RequestForm):
    """A member's own lead: the person's identifiers and the request in one form (the
    lookup's answer is not shown at a member, only how many members it reaches). Its clean()
    is LookupForm's, whose super() is RequestForm's."""

    lookup = None  # type: ignore[assignment]

    field_order = ["email", "phone", "name", "postcode", "kind", "received_on",
                   "identity_check", "identity_checked_on", "note"]  # fmt: skip


class ExtendForm(forms.Form):
    extended_to = forms.DateField(label="New deadline", widget=DateInput())
    reason = forms.CharField(
        label="Why it needs longer", max_length=300,
        help_text="For example: complex, or one of several requests from this person.",
    )  # fmt: skip


class CloseForm(forms.Form):
    outcome = forms.CharField(label="Outcome", max_length=300,
                              help_text="What the person was told.")  # fmt: skip
    refused = forms.BooleanField(label="The request was refused (for example, manifestly "
                                 "unfounded)", required=False)  # fmt: skip


class DeclineForm(forms.Form):
    reason = forms.CharField(label="Why this is not being done", max_length=300)
