"""Writes to interactions: record, change, delete.

Only someone who may see every contact on an interaction may change or delete it
(crm.permissions.can_change_interaction, on crm.selectors.interactions_visible_to), and an
interaction is linked only to contacts the acting user may see. Tenant assumptions: the
connection is on the member's schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from crm.models import Contact, Interaction, Organisation
from crm.permissions import can_change_interaction, can_see_contacts
from crm.selectors import contacts_visible_to

from .common import _fields_apply, crm_audit

NO_SUCH_CONTACT = "No such contact."
NOT_YOURS_TO_CHANGE = "Only someone who can see everyone on an interaction may change it."

INTERACTION_FIELDS = {
    "kind", "date", "duration_minutes", "summary", "notes", "outcome", "follow_up_date",
}  # fmt: skip


@transaction.atomic
def interaction_create(
    *,
    acting_user: Any,
    contacts: Iterable[Contact] = (),
    organisations: Iterable[Organisation] = (),
    **fields: Any,
) -> Interaction:
    interaction = Interaction(staff=fields.pop("staff", None) or acting_user, **fields)
    interaction.full_clean()
    interaction.save()
    interaction.contacts.set(contacts)
    interaction.organisations.set(organisations)
    return interaction


@transaction.atomic
def interaction_update(
    *,
    interaction: Interaction,
    acting_user: Any,
    contacts: Iterable[Contact] | None = None,
    organisations: Iterable[Organisation] | None = None,
    **changes: Any,
) -> Interaction:
    """Change an interaction the acting user may see whole; new contacts must be visible."""
    if not can_change_interaction(acting_user, interaction):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)
    wanted = list(contacts) if contacts is not None else None
    if wanted is not None and not can_see_contacts(acting_user, wanted):
        raise ValidationError({"contacts": NO_SUCH_CONTACT})
    _fields_apply(interaction, INTERACTION_FIELDS, changes)
    interaction.full_clean()
    interaction.save()
    if wanted is not None:
        # Links to contacts the acting user cannot see are kept as they are (none, while
        # such an interaction is hidden from them; kept so a wider rule never drops a link).
        hidden = interaction.contacts.exclude(
            pk__in=contacts_visible_to(user=acting_user).values("pk")
        )
        interaction.contacts.set([*wanted, *hidden])
    if organisations is not None:
        interaction.organisations.set(organisations)
    crm_audit(action="interaction.changed", acting_user=acting_user,
              target=f"interaction {interaction.pk}")  # fmt: skip
    return interaction


@transaction.atomic
def interaction_delete(*, interaction: Interaction, acting_user: Any) -> None:
    """Delete an interaction the acting user may see whole."""
    if not can_change_interaction(acting_user, interaction):
        raise PermissionDenied(NOT_YOURS_TO_CHANGE)
    pk = interaction.pk
    interaction.delete()
    crm_audit(action="interaction.deleted", acting_user=acting_user, target=f"interaction {pk}")
