"""The codebook: a wave's variables (organisation attributes, then the survey's questions)
and how a pooled value is shown as one of a variable's categories.

Tenant assumptions: public schema only (the dataset's questions live there).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError

from crm.models import OrganisationType
from reporting.models import DatasetQuestion, ResearchDataset
from reporting.pooling import POOLABLE_ATTRIBUTES
from surveys.models import LIKERT_CHOICES

ATTRIBUTE_LABELS = {"district": "Locality (district)", "org_type": "Type of organisation",
                    "town": "Town"}  # fmt: skip
NO_ANSWER = "(no answer)"
OTHER = "Other"
UNKNOWN_VARIABLE = "{name} is not a variable of this dataset."


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    kind: str  # attribute | single | likert | number | multiple | text
    options: tuple[str, ...] = ()

    @property
    def is_dimension(self) -> bool:
        return self.kind in ("attribute", "single", "likert")

    @property
    def source(self) -> str:
        return "attributes" if self.kind == "attribute" else "answers"


def codebook(*, dataset: ResearchDataset, year: int) -> list[Variable]:
    """The variables of one wave: organisation attributes, then the survey's questions."""
    variables = []
    for name in POOLABLE_ATTRIBUTES:
        if name in ATTRIBUTE_LABELS:
            options = tuple(OrganisationType.values) if name == "org_type" else ()
            variables.append(Variable(name, ATTRIBUTE_LABELS[name], "attribute", options))
    for q in DatasetQuestion.objects.filter(dataset=dataset, year=year):
        options = tuple(LIKERT_CHOICES) if q.kind == "likert" else tuple(q.options)
        variables.append(Variable(q.code, q.text, q.kind, options))
    return variables


def variable_find(variables: list[Variable], name: str) -> Variable:
    """The codebook's variable of this name; any other name is refused."""
    found = next((v for v in variables if v.name == name), None)
    if found is None:
        raise ValidationError(UNKNOWN_VARIABLE.format(name=name or "(nothing)"))
    return found


def value_label(variable: Variable, value: Any) -> str:
    """A value as shown: a choice or Likert answer only as one of the codebook's options
    (anything else, which could be free text from a member's differing copy, is "Other")."""
    if value in (None, "", []):
        return NO_ANSWER
    if variable.kind == "likert":
        try:
            index = int(value)
        except (TypeError, ValueError):
            return OTHER
        return variable.options[index - 1] if 1 <= index <= len(variable.options) else OTHER
    if variable.kind == "single" or (variable.kind == "attribute" and variable.options):
        return str(value) if str(value) in variable.options else OTHER
    if variable.kind == "multiple":
        values = value if isinstance(value, list) else [value]
        shown = [str(v) for v in values if str(v) in variable.options]
        return "; ".join(dict.fromkeys(shown + ([OTHER] if len(shown) < len(values) else [])))
    return str(value)


def labels_order(variable: Variable, labels: set[str]) -> list[str]:
    """Labels in the codebook's order of options, others after them, no answer last."""
    known = [o for o in variable.options if o in labels]
    return known + sorted(labels - set(known) - {NO_ANSWER}) + (
        [NO_ANSWER] if NO_ANSWER in labels else [])  # fmt: skip
