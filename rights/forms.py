"""Forms of the breach log and of a member's record of processing."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from events.forms import LocalDateTimeInput
from tenants.models import Member

from .breach_models import RECORD_COUNTS, Breach, Decision
from .processing_models import ProcessingActivity

COUNT_FIELDS = [name for name, _label in RECORD_COUNTS]


class BreachForm(forms.ModelForm):
    """What happened and the risk. ``members`` appears on the consortium site only: on a
    member's site the breach is the member's own."""

    members = forms.ModelMultipleChoiceField(
        queryset=Member.organisations.none(), label="Members affected",
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    class Meta:
        model = Breach
        fields = ["title", "what_happened", "occurred_at", "found_at", "found_by",
                  *COUNT_FIELDS, "special_category", "likelihood", "severity"]  # fmt: skip
        widgets = {
            "occurred_at": LocalDateTimeInput(),
            "found_at": LocalDateTimeInput(),
            "what_happened": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {
            "contacts_affected": "Contacts affected (roughly)",
            "organisations_affected": "Organisations affected (roughly)",
            "interactions_affected": "Interactions affected (roughly)",
            "registrations_affected": "Event registrations affected (roughly)",
            "survey_responses_affected": "Survey responses affected (roughly)",
            "other_records_affected": "Other records affected (roughly)",
        }
        help_texts = {
            "what_happened": "What happened and what data was involved. Name no one whose "
            "data it was.",
            "found_at": "The 72 hours for telling the ICO start here.",
        }

    def __init__(self, *args: Any, with_members: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if with_members:
            members = cast(forms.ModelMultipleChoiceField, self.fields["members"])
            members.queryset = Member.organisations.order_by("name")
            if self.instance.pk:
                self.initial.setdefault(
                    "members", list(self.instance.members.values_list("pk", flat=True))
                )
        else:
            del self.fields["members"]

    def details(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DecisionForm(forms.Form):
    report_to_ico = forms.ChoiceField(label="Report to the ICO?", choices=Decision.choices)
    tell_people = forms.ChoiceField(label="Tell the people affected?", choices=Decision.choices)
    text = forms.CharField(label="What was decided and why", max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class ReportForm(forms.Form):
    reported_at = forms.DateTimeField(label="Reported to the ICO on", widget=LocalDateTimeInput())
    ico_reference = forms.CharField(label="ICO reference", max_length=40, required=False)


class NoteForm(forms.Form):
    text = forms.CharField(label="Your note", max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class CloseForm(forms.Form):
    text = forms.CharField(label="Why it can be closed", max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip


class ProcessingActivityForm(forms.ModelForm):
    class Meta:
        model = ProcessingActivity
        fields = ["purpose", "lawful_basis"]
        widgets = {"purpose": forms.Textarea(attrs={"rows": 3})}
        labels = {"lawful_basis": "Lawful basis"}
