from __future__ import annotations

from django import forms

from crm.models import OrganisationType
from tenants.districts import district_choices
from tenants.models import Member

from .models import SHAREABLE_FIELDS, AccessMode, Agreement, Purpose, RecordType


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.replace(";", ",").split(",") if part.strip()]


class AgreementForm(forms.ModelForm):
    recipients = forms.ModelMultipleChoiceField(
        queryset=Member.organisations.none(), required=False,
        widget=forms.CheckboxSelectMultiple, help_text="Or tick “shared with all members”.",
    )  # fmt: skip
    record_types = forms.MultipleChoiceField(
        choices=RecordType.choices, widget=forms.CheckboxSelectMultiple, label="What is shared"
    )
    contact_fields = forms.MultipleChoiceField(
        choices=list(SHAREABLE_FIELDS[RecordType.CONTACT].items()), required=False,
        widget=forms.CheckboxSelectMultiple, label="Fields of contacts",
    )  # fmt: skip
    organisation_fields = forms.MultipleChoiceField(
        choices=list(SHAREABLE_FIELDS[RecordType.ORGANISATION].items()), required=False,
        widget=forms.CheckboxSelectMultiple, label="Fields of organisations",
    )  # fmt: skip
    criteria_tags = forms.CharField(
        required=False, label="Only records tagged",
        help_text="Separate tags with commas, e.g. Directory 2026. Leave empty for all.",
    )  # fmt: skip
    criteria_org_types = forms.MultipleChoiceField(
        choices=OrganisationType.choices, required=False, widget=forms.CheckboxSelectMultiple,
        label="Only organisations of these types",
    )  # fmt: skip
    criteria_districts = forms.MultipleChoiceField(
        choices=district_choices(), required=False, widget=forms.CheckboxSelectMultiple,
        label="Only organisations in these districts",
    )  # fmt: skip
    purpose = forms.ChoiceField(choices=Purpose.choices)
    access_mode = forms.ChoiceField(choices=AccessMode.choices, label="Recipients may")

    class Meta:
        model = Agreement
        fields = [
            "title", "purpose", "expected_benefit", "all_members", "record_types",
            "contact_fields", "organisation_fields", "criteria_tags", "criteria_org_types",
            "criteria_districts", "requires_consent", "access_mode", "start_date",
            "review_date", "end_date", "retention", "security_notes",
        ]  # fmt: skip
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "review_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "expected_benefit": forms.Textarea(attrs={"rows": 3}),
            "retention": forms.Textarea(attrs={"rows": 3}),
            "security_notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, provider: Member, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = Member.organisations.active().exclude(pk=provider.pk)
        if self.instance.pk:
            self.initial["criteria_tags"] = ", ".join(self.instance.criteria_tags)
        self.order_fields(["title", "purpose", "expected_benefit", "recipients", "all_members"])

    def clean_criteria_tags(self) -> list[str]:
        return _split(self.cleaned_data["criteria_tags"])


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500, required=False)
