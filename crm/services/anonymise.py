"""What retention (and anything else that must forget people on a schedule) does to one
record: anonymise it, keeping what reports count, or remove it.

Each function works on a batch of records in one transaction, set-based (a few queries
whatever the batch's size), and announces the change (crm.changes) inside it, so shared
projections and person keys follow or roll back with it. None of them writes an audit
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

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from crm.changes import DELETED, SAVED, announce
from crm.models import Consent, Contact, ImportJob, Interaction

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


def _refuse_held(records: QuerySet) -> None:
    if records.filter(legal_hold=True).exists():
        raise ValidationError(ON_HOLD)


def _ids(values: Iterable[int]) -> list[int]:
    return sorted({int(i) for i in values})


@transaction.atomic
def contacts_anonymise(*, contact_ids: Iterable[int], acting_user: Any) -> int:
    """Blank everything that identifies these contacts; their roles, tags and interactions
    stay. Set-based (a few queries for any number); returns how many were anonymised. Ids
    no longer here are skipped; one on legal hold refuses them all."""
    ids = _ids(contact_ids)
    contacts = Contact.objects.select_for_update().filter(pk__in=ids)
    found = list(contacts.values_list("pk", flat=True))
    _refuse_held(contacts)
    Consent.objects.filter(contact_id__in=found).delete()
    Contact.objects.filter(pk__in=found).update(
        **CONTACT_BLANKS, updated_by=acting_user, updated_at=timezone.now()
    )
    announce(record_type="contact", ids=found, action=SAVED, acting_user=acting_user)
    return len(found)


@transaction.atomic
def contacts_remove(*, contact_ids: Iterable[int], acting_user: Any) -> int:
    """Delete these contacts (roles and consents go with them; interactions stay, without
    them); returns how many. Ids no longer here are skipped; one on legal hold refuses all."""
    contacts = Contact.objects.select_for_update().filter(pk__in=_ids(contact_ids))
    found = list(contacts.values_list("pk", flat=True))
    _refuse_held(contacts)
    announce(record_type="contact", ids=found, action=DELETED, acting_user=acting_user)
    Contact.objects.filter(pk__in=found).delete()
    return len(found)


def _people_unlinked(interaction_ids: list[int]) -> list[int]:
    links = Interaction.contacts.through.objects.filter(interaction_id__in=interaction_ids)
    people = sorted(set(links.values_list("contact_id", flat=True)))
    links.delete()
    return people


@transaction.atomic
def interactions_anonymise(*, interaction_ids: Iterable[int], acting_user: Any) -> int:
    """Blank what these interactions say and unlink their people; kind, date, length, staff
    member and organisations stay, so they are still counted. Set-based; returns how many.
    Ids no longer here are skipped; one on legal hold refuses them all."""
    interactions = Interaction.objects.select_for_update().filter(pk__in=_ids(interaction_ids))
    found = list(interactions.values_list("pk", flat=True))
    _refuse_held(interactions)
    Interaction.objects.filter(pk__in=found).update(**INTERACTION_BLANKS)
    people = _people_unlinked(found)
    announce(record_type="contact", ids=people, action=SAVED, acting_user=acting_user)
    return len(found)


@transaction.atomic
def interactions_remove(*, interaction_ids: Iterable[int], acting_user: Any) -> int:
    """Delete these interactions; returns how many. Ids no longer here are skipped; one on
    legal hold refuses them all."""
    interactions = Interaction.objects.select_for_update().filter(pk__in=_ids(interaction_ids))
    found = list(interactions.values_list("pk", flat=True))
    _refuse_held(interactions)
    people = _people_unlinked(found)
    Interaction.objects.filter(pk__in=found).delete()
    announce(record_type="contact", ids=people, action=SAVED, acting_user=acting_user)
    return len(found)


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
