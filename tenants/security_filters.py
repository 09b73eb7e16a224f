"""The filters of the security events pages (django-filter), in plain words.

Bad input (a date that does not exist, a member or action that is not offered, "from" after
"to") makes the form invalid with a message beside the field; the page then shows the
message and no rows, never a guess.
"""

from __future__ import annotations

from django import forms
from django.db.models import Q, QuerySet
from django_filters import CharFilter, ChoiceFilter, DateFilter, FilterSet, ModelChoiceFilter

from .models import AUDIT_ACTIONS, SECURITY_ACTIONS, Member
from .security_selectors import security_people_matching

PERSON_MAX_LENGTH = 100
DATES_REVERSED = "The “from” date must be on or before the “to” date."


class DateInput(forms.DateInput):
    input_type = "date"


def security_action_choices() -> list[tuple[str, str]]:
    return sorted(((code, AUDIT_ACTIONS[code]) for code in SECURITY_ACTIONS), key=lambda c: c[1])


class SecurityEventsForm(forms.Form):
    def clean(self) -> dict:
        cleaned = super().clean()
        since, until = cleaned.get("since"), cleaned.get("until")
        if since and until and since > until:
            self.add_error("until", DATES_REVERSED)
        return cleaned


class SecurityEventFilter(FilterSet):
    """Filters for one member's events (a manager's page)."""

    action = ChoiceFilter(label="What happened", choices=security_action_choices,
                          empty_label="Anything")  # fmt: skip
    person = CharFilter(label="Person", method="filter_person", max_length=PERSON_MAX_LENGTH,
                        help_text="Part of a name, username or e-mail address.")  # fmt: skip
    since = DateFilter(label="From", field_name="at", lookup_expr="date__gte", widget=DateInput)
    until = DateFilter(label="To", field_name="at", lookup_expr="date__lte", widget=DateInput)

    class Meta:
        form = SecurityEventsForm
        fields: list[str] = []

    def filter_person(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        ids = security_people_matching(text=value)
        return queryset.filter(
            Q(actor_id__in=ids) | Q(details__user_id__in=ids) | Q(target__icontains=value)
        )


class ConsortiumSecurityEventFilter(SecurityEventFilter):
    """The consortium admins' filters: every member's events, so one member may be chosen."""

    member = ModelChoiceFilter(label="Member", queryset=Member.organisations.all(),
                               method="filter_member", empty_label="Every member")  # fmt: skip

    class Meta(SecurityEventFilter.Meta):
        pass

    def filter_member(self, queryset: QuerySet, name: str, value: Member | None) -> QuerySet:
        return queryset.filter(member_id=value.pk) if value is not None else queryset
