from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model

from tenants.forms import Textarea
from tenants.roles import RESEARCHERS

from .models import DisclosureSettings, ResearchDataset
from .research.tables import MEASURES

BIGINT_MAX = 2**63 - 1


def id_or_none(value: str | None) -> int | None:
    """A record id from a form or query string, or None for anything that is not one."""
    try:
        number = int(str(value or "").strip())
    except ValueError:
        return None
    return number if 0 < number <= BIGINT_MAX else None


class DatasetForm(forms.Form):
    title = forms.CharField(max_length=200)
    survey_code = forms.SlugField(
        max_length=60,
        label="Survey code",
        help_text="The code members' copies of the survey share.",
    )
    description = forms.CharField(widget=Textarea(attrs={"rows": 2}), required=False)


class ProjectForm(forms.Form):
    title = forms.CharField(max_length=200)
    purpose = forms.CharField(widget=Textarea(attrs={"rows": 3}))
    ethics_reference = forms.CharField(max_length=120, label="Ethics / DPIA reference")
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    researcher_ids = forms.ModelMultipleChoiceField(
        queryset=get_user_model().objects.none(), label="Researchers",
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    dataset_ids = forms.ModelMultipleChoiceField(
        queryset=ResearchDataset.objects.all(), label="Datasets",
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["researcher_ids"].queryset = get_user_model().objects.filter(
            groups__name=RESEARCHERS, is_active=True).order_by("last_name")  # fmt: skip
        self.fields["researcher_ids"].label_from_instance = lambda u: (
            u.get_full_name() or u.username
        )

    def values(self) -> dict:
        data = dict(self.cleaned_data)
        data["researcher_ids"] = [u.pk for u in data["researcher_ids"]]
        data["dataset_ids"] = [d.pk for d in data["dataset_ids"]]
        return data


class SettingsForm(forms.ModelForm):
    class Meta:
        model = DisclosureSettings
        fields = ["threshold", "zero_disclosive", "dominance_one", "dominance_two",
                  "k_anonymity", "l_diversity", "mostly_blank"]  # fmt: skip


class TableForm(forms.Form):
    year = forms.TypedChoiceField(coerce=int, choices=(), label="Wave")
    rows = forms.ChoiceField(choices=(), label="Rows")
    cols = forms.ChoiceField(choices=(), required=False, label="Columns")
    measure = forms.ChoiceField(choices=list(MEASURES.items()))
    value = forms.ChoiceField(choices=(), required=False, label="Numeric answer (mean, median)")
    coarse = forms.BooleanField(required=False, label="Merge small categories")
    rounding = forms.BooleanField(
        required=False, label="Controlled rounding to base 5 instead of hiding cells",
        help_text="Counts only: every figure a multiple of 5 within 5 of the truth; rows and "
        "columns still add up.",
    )  # fmt: skip

    def __init__(self, *args, years=(), variables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, y) for y in years]
        dims = [(v.name, v.label) for v in variables if v.is_dimension]
        self.fields["rows"].choices = dims
        self.fields["cols"].choices = [("", "None: a one-way table"), *dims]
        self.fields["value"].choices = [("", "—")] + [
            (v.name, v.label) for v in variables if v.kind == "number"]  # fmt: skip


class ExtractForm(forms.Form):
    year = forms.TypedChoiceField(coerce=int, choices=(), label="Wave")
    quasi_identifiers = forms.MultipleChoiceField(
        choices=(), widget=forms.CheckboxSelectMultiple, label="Quasi-identifiers",
        help_text="Variables someone could know about an organisation from elsewhere.",
    )  # fmt: skip
    sensitive = forms.ChoiceField(choices=(), required=False, label="Sensitive answer")
    variables = forms.MultipleChoiceField(choices=(), required=False,
                                          widget=forms.CheckboxSelectMultiple,
                                          label="Other variables")  # fmt: skip

    def __init__(self, *args, years=(), variables=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, y) for y in years]
        every = [(v.name, v.label) for v in variables if v.kind != "text"]
        self.fields["quasi_identifiers"].choices = every
        self.fields["sensitive"].choices = [("", "None"), *every]
        self.fields["variables"].choices = every
