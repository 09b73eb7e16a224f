"""Forms for events, sign-ups, resources and bookings. Validation of business rules lives in
the services; these check the shape of what people typed."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings

from tenants.forms import Textarea

from .models import Event, Recurrence, Resource

LOCAL_INPUT = "%Y-%m-%dT%H:%M"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=LOCAL_INPUT, **kwargs)


class EventForm(forms.ModelForm):
    online_url = forms.URLField(required=False, assume_scheme="https", label="Online joining link")

    class Meta:
        model = Event
        fields = [
            "title",
            "event_type",
            "description",
            "starts_at",
            "ends_at",
            "venue_kind",
            "venue_resource",
            "address",
            "online_url",
            "capacity",
            "waitlist",
            "visibility",
            "price_note",
            "accessibility",
        ]
        labels = {
            "starts_at": "Starts",
            "ends_at": "Ends",
            "venue_kind": "Where",
            "venue_resource": "Room or resource",
        }
        help_texts = {
            "starts_at": "UK time. Clock changes are taken care of.",
            "venue_resource": "Booked for the event's times when you save, and released if "
            "the event is cancelled.",
            "visibility": "Public events get a sign-up page anyone can use.",
            "capacity": "Leave empty for no limit.",
        }
        widgets = {
            "starts_at": LocalDateTimeInput(),
            "ends_at": LocalDateTimeInput(),
            "venue_kind": forms.RadioSelect,
            "visibility": forms.RadioSelect,
            "description": Textarea(attrs={"rows": 4}),
            "address": Textarea(attrs={"rows": 2}),
            "accessibility": Textarea(attrs={"rows": 2}),
        }

    def __init__(self, *args, resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["venue_resource"].queryset = (
            resources if resources is not None else (Resource.objects.none())
        )
        self.fields["venue_resource"].required = False

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("starts_at"), cleaned.get("ends_at")
        if start and end and end <= start:
            self.add_error("ends_at", "The end must be after the start.")
        return cleaned


class CancelEventForm(forms.Form):
    reason = forms.CharField(
        max_length=200, required=False, label="Reason (sent to everyone booked)"
    )


class SignUpForm(forms.Form):
    name = forms.CharField(max_length=200, label="Your name")
    email = forms.EmailField(label="E-mail address", help_text="We send your confirmation here.")
    organisation = forms.CharField(max_length=200, required=False, label="Organisation or group")
    access_needs = forms.CharField(
        required=False,
        label="Access needs",
        widget=Textarea(attrs={"rows": 2}),
        help_text="Anything that would help you take part: step-free access, a hearing loop, "
        "dietary needs…",
    )
    # Left empty by people; filled in by form-filling robots.
    website = forms.CharField(
        required=False, label="Leave this empty",
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )  # fmt: skip
    consent = forms.BooleanField(
        required=True,
        label="I agree that the host may keep these details to run this event",
        error_messages={"required": "Tick the box to agree, or we cannot book you in."},
    )

    def visible_fields(self):
        """The fields people see; the robots' trap is drawn apart, out of sight."""
        return [field for field in super().visible_fields() if field.name != "website"]


class RegisterContactForm(forms.Form):
    contact = forms.IntegerField(widget=forms.HiddenInput)
    access_needs = forms.CharField(
        required=False,
        label="Access needs",
        widget=Textarea(attrs={"rows": 2}),
        help_text="Sent to the host with the booking.",
    )


class ResourceForm(forms.ModelForm):
    class Meta:
        model = Resource
        fields = [
            "name",
            "kind",
            "description",
            "location",
            "capacity",
            "accessibility",
            "bookable_by",
            "needs_approval",
            "is_active",
        ]
        labels = {"is_active": "Open for booking"}
        widgets = {
            "description": Textarea(attrs={"rows": 3}),
            "accessibility": Textarea(attrs={"rows": 2}),
            "bookable_by": forms.RadioSelect,
        }


class BookingForm(forms.Form):
    resource = forms.ModelChoiceField(queryset=Resource.objects.none())
    title = forms.CharField(max_length=200, label="What is it for?")
    day = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    start = forms.TimeField(label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    end = forms.TimeField(label="Until", widget=forms.TimeInput(attrs={"type": "time"}))
    recurrence = forms.ChoiceField(choices=Recurrence.choices, required=False, label="Repeats")
    repeat_count = forms.IntegerField(
        min_value=1,
        max_value=104,
        initial=1,
        label="How many times in all",
        help_text="Every date is checked; if any clashes, nothing is booked and you see which.",
    )

    def __init__(self, *args, resources=None, **kwargs):
        super().__init__(*args, **kwargs)
        if resources is not None:
            self.fields["resource"].queryset = resources

    def clean(self):
        cleaned = super().clean()
        day, start, end = cleaned.get("day"), cleaned.get("start"), cleaned.get("end")
        if day and start and end:
            if end <= start:
                self.add_error("end", "The end must be after the start.")
            else:
                cleaned["starts_at"] = _aware(day, start, self, "start")
                cleaned["ends_at"] = _aware(day, end, self, "end")
        return cleaned


def _aware(day, moment: time, form: forms.Form, field: str) -> datetime | None:
    """Local wall-clock time to an aware datetime; a time the clocks skip is an error."""
    zone = ZoneInfo(settings.TIME_ZONE)
    naive = datetime.combine(day, moment)
    aware = naive.replace(tzinfo=zone)
    round_trip = aware.astimezone(ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        form.add_error(
            field, "The clocks go forward at that time, so it does not exist; choose another time."
        )
        return None
    if aware.utcoffset() != naive.replace(tzinfo=zone, fold=1).utcoffset():
        form.add_error(field, "The clocks go back at that time, so it happens twice; choose "
                              "another time.")  # fmt: skip
        return None
    return aware
