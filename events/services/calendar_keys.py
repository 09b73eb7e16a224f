"""Personal calendar addresses: a random key per person that a feed accepts in place of a
sign-in. Tenant assumptions: none (keys live in the public schema)."""

from __future__ import annotations

import secrets
from typing import TYPE_CHECKING

from django.db import transaction

from events.models import CalendarKey
from tenants.audit import audit_record

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def calendar_key_for(*, acting_user: User) -> str:
    """The acting user's private feed key, made on first use."""
    found = CalendarKey.objects.filter(user=acting_user).values_list("key", flat=True).first()
    return found or calendar_key_renew(acting_user=acting_user)


@transaction.atomic
def calendar_key_renew(*, acting_user: User) -> str:
    """A new private feed key for the acting user; the old address stops working at once."""
    key = secrets.token_urlsafe(32)
    _, created = CalendarKey.objects.update_or_create(user=acting_user, defaults={"key": key})
    audit_record(action="calendar_key.created" if created else "calendar_key.renewed",
                 actor=acting_user)  # fmt: skip
    return key
