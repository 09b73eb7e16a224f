from __future__ import annotations

from django import forms
from django.utils import timezone

from tenants.districts import district_choices
from tenants.forms import Textarea

from .models import QuestionKind


class SurveyForm(forms.Form):
    title = forms.CharField(max_length=200)
    code = forms.SlugField(
        max_length=60, label="Short code",
        help_text="Stays the same every year; members running the same consortium survey "
                  "use the same code (e.g. state-of-the-sector).",
    )  # fmt: skip
    description = forms.CharField(widget=Textarea(attrs={"rows": 3}), required=False)
    is_consortium = forms.BooleanField(
        label="This is a consortium survey (run by several members, may be pooled for research)",
        required=False,
    )
    year = forms.IntegerField(min_value=2000, max_value=2100, label="Year of the first wave")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year


class WaveForm(forms.Form):
    year = forms.IntegerField(
        min_value=2000, max_value=2100,
        help_text="The new wave starts with the latest wave's questions; codes stay the same.",
    )  # fmt: skip


class SectionForm(forms.Form):
    title = forms.CharField(max_length=200, label="Section title")


class QuestionForm(forms.Form):
    section = forms.TypedChoiceField(coerce=int, choices=())
    code = forms.SlugField(
        max_length=60, help_text="Keep it the same in later years, e.g. paid-staff."
    )
    text = forms.CharField(max_length=500, label="Question")
    help_text = forms.CharField(max_length=300, required=False, label="Hint")
    kind = forms.ChoiceField(choices=QuestionKind.choices, label="Type of answer")
    choices = forms.CharField(
        widget=Textarea(attrs={"rows": 4}), required=False, label="Options",
        help_text="For single and multiple choice: one option per line.",
    )  # fmt: skip
    required = forms.BooleanField(required=False, label="An answer is required")

    def __init__(self, *args, sections=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["section"].choices = [(s.pk, s.title) for s in sections]

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data["choices"].splitlines() if line.strip()]


class InviteForm(forms.Form):
    district = forms.ChoiceField(required=False, label="Only organisations in")
    tag = forms.CharField(max_length=80, required=False, label="Only organisations tagged")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["district"].choices = [("", "Any locality"), *district_choices()]
