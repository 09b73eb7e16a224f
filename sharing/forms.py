from __future__ import annotations

from django import forms

from crm.models import OrganisationType
from tenants.districts import district_choices
from tenants.forms import Textarea
from tenants.models import Member

from .models import (
    SHAREABLE_FIELDS,
    AccessMode,
    Agreement,
    AgreementTemplate,
    FieldRuleMode,
    LawfulBasis,
    Purpose,
    RecordType,
    StandingAgreement,
)
from .rules import rules_current


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
    lawful_basis = forms.ChoiceField(
        choices=[("", "Choose the lawful basis"), *LawfulBasis.choices], required=False,
        help_text="The provider's lawful basis for sharing (UK GDPR Article 6). The "
        "consortium's rules may allow only some for this purpose.",
    )  # fmt: skip
    access_mode = forms.ChoiceField(choices=AccessMode.choices, label="Recipients may")

    class Meta:
        model = Agreement
        fields = [
            "title", "purpose", "lawful_basis", "dpia_reference", "expected_benefit",
            "all_members", "record_types",
            "contact_fields", "organisation_fields", "criteria_tags", "criteria_org_types",
            "criteria_districts", "requires_consent", "access_mode", "start_date",
            "review_date", "end_date", "retention", "security_notes",
        ]  # fmt: skip
        widgets = {
            "start_date": forms.DateInput(attrs={"type": "date"}),
            "review_date": forms.DateInput(attrs={"type": "date"}),
            "end_date": forms.DateInput(attrs={"type": "date"}),
            "expected_benefit": Textarea(attrs={"rows": 3}),
            "retention": Textarea(attrs={"rows": 3}),
            "security_notes": Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, provider: Member, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipients"].queryset = Member.organisations.active().exclude(pk=provider.pk)
        if self.instance.pk:
            self.initial["criteria_tags"] = ", ".join(self.instance.criteria_tags)
        self.order_fields(["title", "purpose", "lawful_basis", "dpia_reference",
                           "expected_benefit", "recipients", "all_members"])  # fmt: skip
        _require_by_rules(self)

    def clean_criteria_tags(self) -> list[str]:
        return _split(self.cleaned_data["criteria_tags"])


def _require_by_rules(form: forms.ModelForm) -> None:
    """Mark required (so never "(optional)") the fields the consortium's rules demand for
    the purpose chosen: posted, else shown, else the agreement's own."""
    purpose = (
        (form.data.get("purpose") if form.is_bound else None)
        or form.initial.get("purpose")
        or getattr(form.instance, "purpose", "")
        or form.fields["purpose"].choices[0][0]
    )
    if purpose not in Purpose.values:
        return
    for name in rules_current().policy(purpose).required_fields & set(form.fields):
        form.fields[name].required = True
        form.fields[name].error_messages["required"] = (
            "The consortium's rules for this purpose ask for this: fill it in."
        )


class ReasonForm(forms.Form):
    reason = forms.CharField(label="Reason", max_length=500, required=False)


# --- agreement templates (consortium site) --------------------------------------------------


class TemplateForm(forms.ModelForm):
    record_types = forms.MultipleChoiceField(choices=RecordType.choices,
                                             widget=forms.CheckboxSelectMultiple)  # fmt: skip
    contact_fields = forms.MultipleChoiceField(
        choices=list(SHAREABLE_FIELDS[RecordType.CONTACT].items()), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    organisation_fields = forms.MultipleChoiceField(
        choices=list(SHAREABLE_FIELDS[RecordType.ORGANISATION].items()), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    criteria_tags = forms.CharField(required=False, help_text="Separate tags with commas.")

    class Meta:
        model = AgreementTemplate
        fields = ["name", "description", "purpose", "all_members", "record_types",
                  "contact_fields", "organisation_fields", "criteria_tags", "requires_consent",
                  "access_mode", "expected_benefit", "retention", "security_notes"]  # fmt: skip

    def clean_criteria_tags(self) -> list[str]:
        return [t.strip() for t in self.cleaned_data["criteria_tags"].split(",") if t.strip()]


# --- the consortium's rules (consortium site) ------------------------------------------------


class FieldRuleForm(forms.Form):
    mode = forms.ChoiceField(
        label="This field", choices=FieldRuleMode.choices, widget=forms.RadioSelect
    )
    purposes = forms.MultipleChoiceField(
        label="Purposes it may be shared for", choices=Purpose.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Only when “shared only for the purposes named” is chosen.",
    )  # fmt: skip


class PolicyForm(forms.Form):
    APPROVAL = [("", "As the consortium's default"), ("yes", "Yes, always"), ("no", "No")]

    lawful_bases = forms.MultipleChoiceField(
        label="Lawful bases allowed", choices=LawfulBasis.choices, required=False,
        widget=forms.CheckboxSelectMultiple, help_text="Tick none to accept any lawful basis.",
    )  # fmt: skip
    contacts_need_consent = forms.BooleanField(
        label="Contacts are shared only with their recorded consent", required=False
    )
    admin_approval = forms.ChoiceField(
        label="A consortium admin must approve each agreement", choices=APPROVAL, required=False
    )
    dpia_required = forms.BooleanField(
        label="A DPIA reference is required", required=False,
        help_text="A data protection impact assessment, recorded on the agreement.",
    )  # fmt: skip
    max_term_months = forms.IntegerField(
        label="Longest term, in months", required=False, min_value=1,
        help_text="Leave empty for no limit.",
    )  # fmt: skip
    review_months = forms.IntegerField(
        label="Review at least every, in months", required=False, min_value=1,
        help_text="Leave empty for no set interval.",
    )  # fmt: skip
    parties_restricted = forms.BooleanField(
        label="Only the members ticked below may be party", required=False,
        help_text="E.g. only members accredited for research.",
    )  # fmt: skip
    eligible_members = forms.ModelMultipleChoiceField(
        label="Members who may be party", queryset=Member.organisations.none(), required=False,
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["eligible_members"].queryset = Member.organisations.active().order_by("name")

    def clean_admin_approval(self) -> bool | None:
        return {"yes": True, "no": False}.get(self.cleaned_data["admin_approval"])

    def clean_eligible_members(self) -> list[int]:
        return sorted(m.pk for m in self.cleaned_data["eligible_members"])


class StandingAgreementForm(forms.ModelForm):
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
        help_text="Separate tags with commas. Leave empty for every record.",
    )  # fmt: skip
    purpose = forms.ChoiceField(choices=Purpose.choices)
    lawful_basis = forms.ChoiceField(
        choices=[("", "Choose the lawful basis"), *LawfulBasis.choices], required=False
    )
    access_mode = forms.ChoiceField(choices=AccessMode.choices, label="Recipients may")

    class Meta:
        model = StandingAgreement
        fields = [
            "name", "description", "purpose", "lawful_basis", "record_types", "contact_fields",
            "organisation_fields", "criteria_tags", "requires_consent", "access_mode",
            "expected_benefit", "retention", "is_active",
        ]  # fmt: skip
        widgets = {
            "description": Textarea(attrs={"rows": 3}),
            "expected_benefit": Textarea(attrs={"rows": 3}),
            "retention": Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["criteria_tags"] = ", ".join(self.instance.criteria_tags)

    def clean_criteria_tags(self) -> list[str]:
        return _split(self.cleaned_data["criteria_tags"])
