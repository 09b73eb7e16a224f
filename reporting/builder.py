"""The staff report builder: a record type, filters, one or two group-by dimensions and a
measure, computed with aggregate SQL on the member's own schema.

Tenant assumptions: the connection is on the member's schema; contacts come through
``crm.selectors.contacts_visible_to`` so restricted contacts count only for those who see
them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, cast

from django import forms
from django.db.models import Aggregate, Count, F, QuerySet, Sum, Value
from django.db.models.functions import Concat, ExtractYear, TruncMonth, TruncQuarter

from crm.dashboard import Chart
from tenants.districts import district_choices

from .dashboard import Unnest

RECORD_TYPES = {"organisation": "Organisations", "contact": "Contacts",
                "interaction": "Interactions"}  # fmt: skip
DIMENSIONS: dict[str, dict[str, str]] = {
    "organisation": {"district": "Locality", "org_type": "Type", "income_band": "Income band",
                     "membership_status": "Membership", "area": "Area of work",
                     "created_year": "Year added"},
    "contact": {"town": "Town", "tag": "Tag", "created_year": "Year added"},
    "interaction": {"kind": "Type", "month": "Month", "quarter": "Quarter", "year": "Year",
                    "staff": "Staff member"},
}  # fmt: skip
MEASURES = {"count": "Number of records", "duration": "Total duration (minutes)"}
NOT_SET = "Not recorded"


def _expression(record_type: str, name: str):
    if name == "area":
        return Unnest(F("areas_of_work"))
    if name == "tag":
        return F("tags__name")
    if name == "created_year":
        return ExtractYear("created_at")
    if name == "month":
        return TruncMonth("date")
    if name == "quarter":
        return TruncQuarter("date")
    if name == "year":
        return ExtractYear("date")
    if name == "staff":
        return Concat("staff__first_name", Value(" "), "staff__last_name")
    return F(name)


def _choice_labels() -> dict[str, dict[str, str]]:
    from crm.models import IncomeBand, InteractionKind, MembershipStatus, OrganisationType

    return {"kind": dict(InteractionKind.choices), "org_type": dict(OrganisationType.choices),
            "income_band": dict(IncomeBand.choices),
            "membership_status": dict(MembershipStatus.choices)}  # fmt: skip


def _label(name: str, value: Any) -> str:
    if value in (None, ""):
        return NOT_SET
    choices = _choice_labels().get(name)
    if choices is not None:
        return str(choices.get(value, value))
    if name == "month":
        return value.strftime("%Y-%m")
    if name == "quarter":
        return f"{value.year} Q{(value.month - 1) // 3 + 1}"
    return str(value).strip() or NOT_SET


class ReportForm(forms.Form):
    record_type = forms.ChoiceField(choices=list(RECORD_TYPES.items()), label="Records")
    rows = forms.ChoiceField(label="Group by", choices=())
    cols = forms.ChoiceField(label="Then by", required=False, choices=())
    measure = forms.ChoiceField(choices=list(MEASURES.items()))
    district = forms.ChoiceField(required=False, label="Only organisations in")
    tag = forms.CharField(required=False, max_length=80, label="Only records tagged")
    kind = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)
    since = forms.DateField(required=False, label="From",
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip
    until = forms.DateField(required=False, label="To",
                            widget=forms.DateInput(attrs={"type": "date"}))  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        every = [(k, f"{RECORD_TYPES[t]}: {label}") for t, dims in DIMENSIONS.items()
                 for k, label in dims.items()]  # fmt: skip
        cast(forms.ChoiceField, self.fields["rows"]).choices = every
        cast(forms.ChoiceField, self.fields["cols"]).choices = [("", "Nothing"), *every]
        cast(forms.ChoiceField, self.fields["district"]).choices = [
            ("", "Any locality"), *district_choices()]  # fmt: skip

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        record_type = data.get("record_type")
        allowed = DIMENSIONS.get(record_type or "", {})
        for name in ("rows", "cols"):
            value = data.get(name)
            if value and value not in allowed:
                self.add_error(name, f"{RECORD_TYPES.get(record_type or '', 'These records')} "
                               "cannot be grouped by that.")  # fmt: skip
        if data.get("rows") and data.get("rows") == data.get("cols"):
            self.add_error("cols", "Choose a different second grouping, or nothing.")
        if data.get("measure") == "duration" and record_type != "interaction":
            self.add_error("measure", "Only interactions have a duration.")
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            self.add_error("until", "The end date must be after the start date.")
        return data

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "record_type": data["record_type"], "rows": data["rows"], "cols": data["cols"] or "",
            "measure": data["measure"],
            "filters": {"district": data.get("district") or "", "tag": data.get("tag") or "",
                        "since": data["since"].isoformat() if data.get("since") else "",
                        "until": data["until"].isoformat() if data.get("until") else ""},
        }  # fmt: skip


@dataclass
class Result:
    spec: dict[str, Any]
    rows: list[str]
    cols: list[str]
    cells: dict[tuple[str, str], float]

    def as_rows(self) -> list[tuple[str, list[float], float]]:
        cols = self.cols or ["value"]
        return [(r, [self.cells.get((r, c), 0) for c in cols],
                 sum(self.cells.get((r, c), 0) for c in cols)) for r in self.rows]  # fmt: skip

    def col_totals(self) -> list[float]:
        return [sum(self.cells.get((r, c), 0) for r in self.rows) for c in self.cols]

    @property
    def total(self) -> float:
        return sum(self.cells.values())

    def chart(self, title: str) -> Chart:
        if self.cols:
            series = {c: [self.cells.get((r, c), 0) for r in self.rows] for c in self.cols}
            return Chart("report", title, self.rows, series, kind="stacked")
        return Chart("report", title, self.rows,
                     {MEASURES[self.spec["measure"]]: [self.cells.get((r, "value"), 0)
                                                       for r in self.rows]})  # fmt: skip


def _queryset(spec: dict[str, Any], user: Any) -> QuerySet[Any]:
    from crm.models import Interaction, Organisation
    from crm.selectors import contacts_visible_to, interactions_visible_to

    record_type = spec["record_type"]
    filters = spec.get("filters", {})
    queryset: QuerySet[Any]
    if record_type == "contact":
        queryset = contacts_visible_to(user=user)
        date_field = "created_at__date"
    elif record_type == "organisation":
        queryset = Organisation.objects.all()
        date_field = "created_at__date"
        if filters.get("district"):
            queryset = queryset.filter(district=filters["district"])
    else:
        queryset = interactions_visible_to(user=user)
        date_field = "date"
        if filters.get("district"):
            # A subquery, not a join: a join would count an interaction once per organisation.
            queryset = queryset.filter(pk__in=Interaction.objects.filter(
                organisations__district=filters["district"]).values("pk"))  # fmt: skip
    if filters.get("tag") and record_type != "interaction":
        queryset = queryset.filter(**{"tags__name": filters["tag"]})
    if filters.get("since"):
        queryset = queryset.filter(**{f"{date_field}__gte": date.fromisoformat(filters["since"])})
    if filters.get("until"):
        queryset = queryset.filter(**{f"{date_field}__lte": date.fromisoformat(filters["until"])})
    return queryset.order_by()


def report_run(*, spec: dict[str, Any], user: Any) -> Result:
    """Compute a report: counts (distinct records) or summed interaction minutes."""
    record_type = spec["record_type"]
    dims = [d for d in (spec["rows"], spec.get("cols", "")) if d]
    if record_type not in DIMENSIONS or any(d not in DIMENSIONS[record_type] for d in dims):
        raise ValueError("That grouping does not apply to these records.")
    queryset = _queryset(spec, user)
    measure: Aggregate
    if spec["measure"] == "duration":
        measure = Sum("duration_minutes")
    else:
        measure = Count("id", distinct=True)
    names = [f"d{i}" for i in range(len(dims))]
    annotated = queryset.annotate(**{n: _expression(record_type, d) for n, d in
                                     zip(names, dims, strict=True)})  # fmt: skip
    rows = annotated.values(*names).annotate(value=measure).values_list(*names, "value")
    cells: dict[tuple[str, str], float] = {}
    row_order: dict[str, Any] = {}
    col_order: dict[str, Any] = {}
    for item in rows:
        r = _label(dims[0], item[0])
        c = _label(dims[1], item[1]) if len(dims) > 1 else "value"
        cells[(r, c)] = cells.get((r, c), 0) + (item[-1] or 0)
        row_order.setdefault(r, item[0])
        if len(dims) > 1:
            col_order.setdefault(c, item[1])

    def key(pair: tuple[str, Any]) -> tuple:
        return (pair[1] is None, str(pair[1]) if pair[1] is not None else "")

    return Result(spec, [r for r, _ in sorted(row_order.items(), key=key)],
                  [c for c, _ in sorted(col_order.items(), key=key)], cells)  # fmt: skip


def result_dataset(result: Result, title: str):
    import tablib

    cols = result.cols or [MEASURES[result.spec["measure"]]]
    data = tablib.Dataset(headers=["", *cols, *(["Total"] if result.cols else [])],
                          title=title[:31] or "Report")  # fmt: skip
    for label, values, total in result.as_rows():
        data.append([label, *values, *([total] if result.cols else [])])
    if result.cols:
        data.append(["Total", *result.col_totals(), result.total])
    return data
