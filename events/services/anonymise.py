"""Forgetting a registration on a schedule (rights' retention runs): anonymised, so the
event's attendance still counts it, or removed.

One registration per transaction; no audit row per registration (the caller audits counts:
a retention run's log names no one). Registrations live in the public schema: these run on
any schema.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from events.models import Registration

ANONYMISED_REGISTRATION = "Anonymised registration"


@transaction.atomic
def registration_anonymise(*, registration: Registration, acting_user: Any) -> Registration:
    """Blank who the registration was for (name, e-mail, organisation, access needs, the
    member's contact id); its event, status and attendance stay."""
    registration = Registration.objects.select_for_update().get(pk=registration.pk)
    registration.name = ANONYMISED_REGISTRATION
    registration.email = ""
    registration.organisation = ""
    registration.access_needs = ""
    registration.contact_id = None
    registration.save(update_fields=["name", "email", "organisation", "access_needs",
                                     "contact_id"])  # fmt: skip
    return registration


@transaction.atomic
def registration_remove(*, registration: Registration, acting_user: Any) -> None:
    """Delete a registration of a past event (the event's booked count stays as it was)."""
    Registration.objects.filter(pk=registration.pk).delete()
