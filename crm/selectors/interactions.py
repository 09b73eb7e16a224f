"""Reads of interactions: those of one contact or organisation that a user may see.

Tenant assumptions: the connection is on the member's schema. Everything starts from
``interactions_visible_to``: one contact hidden from the user hides the whole interaction.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from crm.models import Contact, Interaction, Organisation

from .visibility import contacts_visible_to, interactions_visible_to


def interactions_for(
    *, user: Any, contact: Contact | None = None, organisation: Organisation | None = None
) -> QuerySet[Interaction]:
    """Interactions ``user`` may see, of one contact or organisation if given, newest first."""
    interactions = (
        interactions_visible_to(user=user)
        .select_related("staff")
        .prefetch_related(
            Prefetch("contacts", queryset=contacts_visible_to(user=user)), "organisations"
        )
    )
    if contact is not None:
        interactions = interactions.filter(contacts=contact)
    if organisation is not None:
        interactions = interactions.filter(organisations=organisation)
    return interactions.order_by("-date", "-id")
