"""What retention (and anything else that must forget people on a schedule) does to one
record: anonymise it, keeping what reports count, or remove it.

Each function works on one record in one transaction and announces the change (crm.changes)
inside it, so shared projections follow or roll back with it. None of them writes an audit
row per record: the caller does, with counts (a retention run's log names no one). A record
on legal hold is refused, whoever asks.

Anonymised means: nothing left that identifies anyone, the row kept so counts survive. A
contact keeps its place (last name ``ANONYMISED_CONTACT``), its roles, tags and the
interactions it took part in (so interaction counts per organisation, per month and per
contact stay right); its identifying fields and its consent history go. An interaction keeps
its kind, date, length, staff member and organisations; its words and its people go. An
import keeps its counts; its uploaded file, file name and row errors go.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from crm.changes import DELETED, SAVED, announce
from crm.models import Contact, ImportJob, Interaction

from .contacts import contact_update

ANONYMISED_CONTACT = "Anonymised contact"
ANONYMISED_INTERACTION = "Anonymised interaction"
ON_HOLD = "This record is on legal hold: it is kept as it is."
STILL_RUNNING = "This import is still running."

# What an anonymised contact holds in each identifying field.
CONTACT_BLANKS: dict[str, Any] = {
    "title": "", "first_name": "", "last_name": ANONYMISED_CONTACT, "preferred_name": "",
    "email": "", "other_emails": [], "phone": "", "mobile": "", "address_line1": "",
    "address_line2": "", "town": "", "county": "", "postcode": "", "date_of_birth": None,
    "notes": "",
}  # fmt: skip
INTERACTION_BLANKS: dict[str, Any] = {
    "summary": ANONYMISED_INTERACTION, "notes": "", "outcome": "", "follow_up_date": None,
}  # fmt: skip


def _refuse_held(record: Contact | Interaction) -> None:
    if record.legal_hold:
        raise ValidationError(ON_HOLD)


@transaction.atomic
def contact_anonymise(*, contact: Contact, acting_user: Any) -> Contact:
    """Blank everything that identifies ``contact``; its roles, tags and interactions stay."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _refuse_held(contact)
    contact.consents.all().delete()
    return contact_update(contact=contact, acting_user=acting_user, **CONTACT_BLANKS)


@transaction.atomic
def contact_remove(*, contact: Contact, acting_user: Any) -> None:
    """Delete ``contact`` (roles and consents go with it; interactions stay, without them)."""
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    _refuse_held(contact)
    announce(record_type="contact", ids=[contact.pk], action=DELETED, acting_user=acting_user)
    contact.delete()


@transaction.atomic
def interaction_anonymise(*, interaction: Interaction, acting_user: Any) -> Interaction:
    """Blank what ``interaction`` says and unlink its people; its kind, date, length, staff
    member and organisations stay, so it is still counted."""
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    _refuse_held(interaction)
    for field, value in INTERACTION_BLANKS.items():
        setattr(interaction, field, value)
    interaction.full_clean()
    interaction.save()
    people = list(interaction.contacts.values_list("pk", flat=True))
    interaction.contacts.clear()
    announce(record_type="contact", ids=people, action=SAVED, acting_user=acting_user)
    return interaction


@transaction.atomic
def interaction_remove(*, interaction: Interaction, acting_user: Any) -> None:
    """Delete ``interaction``."""
    interaction = Interaction.objects.select_for_update().get(pk=interaction.pk)
    _refuse_held(interaction)
    people = list(interaction.contacts.values_list("pk", flat=True))
    interaction.delete()
    announce(record_type="contact", ids=people, action=SAVED, acting_user=acting_user)


@transaction.atomic
def import_job_expire(*, job: ImportJob, keep_counts: bool, acting_user: Any) -> None:
    """Remove an import's uploaded file; with ``keep_counts`` keep the job's counts (its file
    name and row errors go, they quote people), else remove the job too.

    Files live outside the database: the file is removed last, just before the commit, so a
    crash leaves at worst a job whose file is already gone, which a second pass finishes."""
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.is_running:
        raise ValidationError(STILL_RUNNING)
    file_name = job.file.name
    storage = job.file.storage
    if keep_counts:
        ImportJob.objects.filter(pk=job.pk).update(file="", original_name="", errors=[])
    else:
        job.delete()
    if file_name:
        storage.delete(file_name)
