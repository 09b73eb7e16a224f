"""The retention schedules form: one per kind of record, all on one page."""

from __future__ import annotations

from typing import Any

from django import forms

from .retention_models import RetentionAction, RetentionRule, RetentionSchedule
from .retention_selectors import RULES_FOR

UNITS = [("months", "months"), ("years", "years")]
TOO_LONG = "Choose at most 100 years (1,200 months)."


class ScheduleForm(forms.Form):
    enabled = forms.BooleanField(label="Use this schedule", required=False)
    period = forms.IntegerField(
        label="Keep for", min_value=1, max_value=1200,
        error_messages={"required": "Enter how long to keep these records.",
                        "invalid": "Enter a whole number.",
                        "min_value": "Keep records for at least 1 month.",
                        "max_value": TOO_LONG},
    )  # fmt: skip
    unit = forms.ChoiceField(label="Months or years", choices=UNITS)
    rule = forms.ChoiceField(label="Counted from")
    action = forms.ChoiceField(label="Then", choices=RetentionAction.choices)

    def __init__(self, *args: Any, schedule: RetentionSchedule, **kwargs: Any) -> None:
        self.schedule = schedule
        months = schedule.period_months
        in_years = months % 12 == 0
        kwargs.setdefault("initial", {
            "enabled": schedule.enabled, "period": months // 12 if in_years else months,
            "unit": "years" if in_years else "months", "rule": schedule.rule,
            "action": schedule.action,
        })  # fmt: skip
        kwargs.setdefault("prefix", schedule.record_type)
        super().__init__(*args, **kwargs)
        self.fields["rule"].choices = [
            (rule, RetentionRule(rule).label) for rule in RULES_FOR[schedule.record_type]
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        period, unit = data.get("period"), data.get("unit")
        if period is not None and unit:
            data["period_months"] = period * 12 if unit == "years" else period
            if data["period_months"] > 1200:
                self.add_error("period", TOO_LONG)
        return data
