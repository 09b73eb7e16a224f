"""Erasing people from a member's CRM (UK GDPR Art. 17): the contacts and everything of
them the CRM holds, in one transaction.

What goes: the contact, their roles, consent history, tag links, who-may-see-them grants,
merge snapshots of them, the words only they gave search, and interactions where they were
the only person. An interaction with other people stays, without the link to them and with
their name, e-mail and phone taken out of its free text. The announcement (``deleted``)
lets the listeners (the shared directory, person keys) remove what they derived, in this
same transaction.

Tenant assumptions: the connection is on the member's schema (rights enters it at its
boundary). Nothing here switches schema.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Q
from guardian.models import GroupObjectPermission, UserObjectPermission

from crm.changes import DELETED, announce
from crm.models import Consent, Contact, ContactRole, Interaction, MergeRecord
from crm.redaction import redaction_terms, text_redact

from .common import crm_audit

ON_LEGAL_HOLD = (
    "Contact {ids} is under a legal hold, so it cannot be erased: lift the hold first if the "
    "legal reason has ended, or decline the request with that reason."
)
INTERACTION_ON_HOLD = (
    "An interaction with only this person (number {ids}) is under a legal hold, so it cannot "
    "be erased: lift the hold first if the legal reason has ended, or decline the request "
    "with that reason."
)
REDACTED_FIELDS = ("summary", "notes", "outcome")


@dataclass
class ContactsErased:
    """What an erasure removed, as counts; ``terms`` (the erased people's names, e-mails and
    phones) lives in memory only, for redacting free text elsewhere, and is never stored."""

    contacts: int = 0
    roles: int = 0
    consents: int = 0
    tag_links: int = 0
    permissions: int = 0
    merge_records: int = 0
    interactions_deleted: int = 0
    interactions_kept: int = 0
    terms: list[str] = field(default_factory=list, repr=False)

    def counts(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if k != "terms"}


def _words_forget(words: set[str]) -> None:
    """Search's word list keeps the words of every record; an erased person's words that no
    remaining record holds leave it (search could otherwise still suggest their name)."""
    if not words:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            """
            DELETE FROM crm_searchword s WHERE s.word = ANY(%s)
               AND NOT EXISTS (SELECT 1 FROM crm_contact c
                                WHERE c.search_text ~ ('\\m' || s.word || '\\M'))
               AND NOT EXISTS (SELECT 1 FROM crm_organisation o
                                WHERE o.search_text ~ ('\\m' || s.word || '\\M'))
            """,
            [sorted(words)],
        )


@transaction.atomic
def contacts_erase(*, contact_ids: Iterable[int], acting_user: Any) -> ContactsErased:
    """Erase these contacts and everything of them from the member's CRM, restricted ones
    included (erasure answers the person, not a colleague's view). Ids that are not (or no
    longer) here are skipped: erasing twice is harmless. A contact or an interaction of
    theirs alone under a legal hold stops the whole erasure (ValidationError), so nothing of
    anyone is half-removed."""
    ids = sorted({int(i) for i in contact_ids})
    contacts = list(Contact.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
    report = ContactsErased()
    if not contacts:
        return report
    found = [c.pk for c in contacts]
    held = [c.pk for c in contacts if c.legal_hold]
    if held:
        raise ValidationError(ON_LEGAL_HOLD.format(ids=", ".join(map(str, held))))
    terms = sorted({t for c in contacts for t in redaction_terms(c)}, key=lambda t: (-len(t), t))
    report.terms = terms
    words = {w for c in contacts for w in re.split(r"[\W_]+", c.search_text) if 3 <= len(w) <= 40}

    links = Interaction.contacts.through.objects
    theirs = set(links.filter(contact_id__in=found).values_list("interaction_id", flat=True))
    with_others = set(
        links.filter(interaction_id__in=theirs)
        .exclude(contact_id__in=found)
        .values_list("interaction_id", flat=True)
    )
    alone = theirs - with_others
    held_alone = list(
        Interaction.objects.filter(pk__in=alone, legal_hold=True).values_list("pk", flat=True)
    )
    if held_alone:
        raise ValidationError(INTERACTION_ON_HOLD.format(ids=", ".join(map(str, held_alone))))

    for interaction in Interaction.objects.select_for_update().filter(pk__in=with_others):
        redacted = {f: text_redact(getattr(interaction, f), terms) for f in REDACTED_FIELDS}
        changed = [f for f, text in redacted.items() if text != getattr(interaction, f)]
        for name in changed:
            setattr(interaction, name, redacted[name])
        if changed:
            interaction.save(update_fields=changed)
    links.filter(interaction_id__in=with_others, contact_id__in=found).delete()
    report.interactions_kept = len(with_others)
    Interaction.objects.filter(pk__in=alone).delete()
    report.interactions_deleted = len(alone)

    report.roles = ContactRole.objects.filter(contact_id__in=found).count()
    report.consents = Consent.objects.filter(contact_id__in=found).count()
    report.tag_links = Contact.tags.through.objects.filter(contact_id__in=found).count()
    object_pks = [str(pk) for pk in found]
    grants = {"content_type__app_label": "crm", "content_type__model": "contact",
              "object_pk__in": object_pks}  # fmt: skip
    report.permissions = (
        UserObjectPermission.objects.filter(**grants).delete()[0]
        + GroupObjectPermission.objects.filter(**grants).delete()[0]
    )
    report.merge_records, _ = MergeRecord.objects.filter(
        Q(kept_id__in=found) | Q(merged_id__in=found), record_type="contact"
    ).delete()

    # Listeners remove what they derived (projections, person keys) before the rows go.
    announce(record_type="contact", ids=found, action=DELETED, acting_user=acting_user)
    Contact.objects.filter(pk__in=found).delete()
    report.contacts = len(found)
    _words_forget(words)
    crm_audit(action="contact.erased", acting_user=acting_user,
              target=f"{len(found)} contacts", **report.counts())  # fmt: skip
    return report
