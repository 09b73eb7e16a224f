from __future__ import annotations

from django import forms
from django.contrib.postgres.forms import SimpleArrayField

from tenants.districts import district_choices
from tenants.forms import Textarea

from .models import (
    ConsentChannel,
    ConsentPurpose,
    ConsentStatus,
    Contact,
    Interaction,
    LawfulBasis,
    Organisation,
    RoleKind,
    Tag,
)


class DateInput(forms.DateInput):
    input_type = "date"


class ContactForm(forms.ModelForm):
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    other_emails = SimpleArrayField(
        forms.EmailField(), required=False, label="Other e-mail addresses",
        help_text="Separate them with commas.",
    )  # fmt: skip

    class Meta:
        model = Contact
        fields = [
            "title", "first_name", "last_name", "preferred_name", "email", "other_emails",
            "phone", "mobile", "address_line1", "address_line2", "town", "county", "postcode",
            "date_of_birth", "notes", "tags",
        ]  # fmt: skip
        widgets = {"date_of_birth": DateInput(), "notes": Textarea(attrs={"rows": 4})}
        labels = {"email": "E-mail address"}


class OrganisationForm(forms.ModelForm):
    tags = forms.ModelMultipleChoiceField(
        queryset=Tag.objects.all(), required=False, widget=forms.CheckboxSelectMultiple
    )
    district = forms.ChoiceField(choices=[("", "—"), *district_choices()], required=False)
    website = forms.URLField(required=False, assume_scheme="https")
    identifiers_text = forms.CharField(
        label="Identifiers", required=False,
        help_text="org-id.guide form, one per line, preferred first: GB-CHC-1234567, "
        "GB-COH-01234567, GB-SC-SC012345.",
        widget=Textarea(attrs={"rows": 3}),
    )  # fmt: skip
    other_names = SimpleArrayField(forms.CharField(), required=False, delimiter=";",
                                   help_text="Separate them with semicolons.")  # fmt: skip
    areas_of_work = SimpleArrayField(forms.CharField(), required=False, delimiter=";",
                                     help_text="Separate them with semicolons.")  # fmt: skip
    beneficiaries = SimpleArrayField(forms.CharField(), required=False, delimiter=";",
                                     help_text="Separate them with semicolons.")  # fmt: skip

    class Meta:
        model = Organisation
        fields = [
            "name", "other_names", "org_type", "identifiers_text", "email", "phone",
            "address_line1", "address_line2", "town", "postcode", "district", "website",
            "areas_of_work", "beneficiaries", "income_band", "membership_status", "notes", "tags",
        ]  # fmt: skip
        widgets = {"notes": Textarea(attrs={"rows": 4})}

    def clean_identifiers_text(self) -> list[tuple[str, str]]:
        pairs = []
        for line in self.cleaned_data["identifiers_text"].replace(",", "\n").splitlines():
            text = line.strip().upper()
            if not text:
                continue
            parts = text.split("-")
            if len(parts) < 3 or not all(parts):
                raise forms.ValidationError(
                    f"“{line.strip()}” is not in org-id form (e.g. GB-CHC-1234567)."
                )
            pairs.append((f"{parts[0]}-{parts[1]}", "-".join(parts[2:])))
        return pairs


class InteractionForm(forms.ModelForm):
    class Meta:
        model = Interaction
        fields = ["kind", "date", "duration_minutes", "summary", "notes", "outcome",
                  "follow_up_date"]  # fmt: skip
        widgets = {
            "date": DateInput(), "follow_up_date": DateInput(),
            "notes": Textarea(attrs={"rows": 4}),
        }  # fmt: skip
        labels = {"duration_minutes": "Duration (minutes)", "kind": "Type"}


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices)
    channel = forms.ChoiceField(choices=ConsentChannel.choices)
    status = forms.ChoiceField(choices=ConsentStatus.choices, label="Decision")
    lawful_basis = forms.ChoiceField(choices=LawfulBasis.choices, label="Lawful basis")
    method = forms.CharField(
        label="How it was given", max_length=100,
        help_text="E.g. paper form at the AGM, website, phone call.",
    )  # fmt: skip
    wording = forms.CharField(label="Wording shown", required=False, widget=Textarea(
        attrs={"rows": 3}))  # fmt: skip


class BulkTagForm(forms.Form):
    tag = forms.CharField(label="Tag", max_length=80)
    ids = forms.CharField(widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[("add", "Add tag"), ("remove", "Remove tag")])

    def clean_ids(self) -> list[int]:
        try:
            return [int(x) for x in self.cleaned_data["ids"].split(",") if x.strip()]
        except ValueError as exc:
            raise forms.ValidationError("Choose the records to tag.") from exc


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="Spreadsheet (CSV or XLSX)",
        help_text="The first row should name the columns. Excel’s “CSV” and “CSV UTF-8” both work.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )
    tag_name = forms.CharField(
        label="Tag everyone in this import as", max_length=80, required=False,
        help_text="Optional, e.g. “Directory 2026”.",
    )  # fmt: skip

    def clean_file(self):
        """A file over the limit is refused before it is kept anywhere."""
        from django.conf import settings

        from .tabular import TOO_BIG

        upload = self.cleaned_data["file"]
        if upload.size > settings.IMPORT_MAX_BYTES:
            raise forms.ValidationError(
                TOO_BIG.format(size=upload.size / 1e6, limit=settings.IMPORT_MAX_BYTES / 1e6)
            )
        return upload


class RoleForm(forms.Form):
    organisation = forms.CharField(
        label="Organisation", max_length=200,
        help_text="Its name as it is in your CRM, or an identifier such as GB-CHC-1234567.",
    )  # fmt: skip
    role = forms.ChoiceField(choices=RoleKind.choices)
    start_date = forms.DateField(required=False, widget=DateInput(), label="Since")


class LegalHoldForm(forms.Form):
    """Placing or lifting a legal hold: the reason goes in the audit log."""

    reason = forms.CharField(
        label="Why", max_length=300,
        help_text="For the audit log, e.g. “Claim against us, solicitor’s letter of 3 May”.",
        error_messages={"required": "Say why: the reason is kept in the audit log."},
    )  # fmt: skip
