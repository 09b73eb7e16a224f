"""What a subject access pack holds: its sections, each a title, a plain-English note and the
rows of a table, read for one member's contacts of one person.

Tenant assumptions: the connection is on the member's schema (``rights.packs`` enters it at
the task boundary); the public tables (events, sharing) are read from there too.

The pack is the person's own data, so it reads *all* of it, restricted records included:
the data protection lead's role, checked by ``rights.packs`` before anything is read, is the
authority, not what a colleague may see in lists. Everything naming someone else is left
out or redacted: other participants of an interaction become "[another person]", their names
are taken out of its free text, and no member's individual staff are named.

Rows are generators over ``iterator()`` querysets: a member of any size is read in chunks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from django.conf import settings
from django.db.models import Field
from django.utils import timezone

from crm.models import Consent, Contact, ContactRole, Interaction, Tag
from events.selectors import registrations_of_contact
from sharing.models import (
    SHAREABLE_FIELDS,
    Agreement,
    DisclosureAction,
    PartyRole,
    RecordType,
)
from sharing.selectors import disclosures_of_records, shared_records_of
from surveys.models import LIKERT_CHOICES, QuestionKind, Response, Wave
from tenants.models import Member, MemberKind

ANOTHER_PERSON = "[another person]"
A_MEMBER_OF_STAFF = "A member of staff"
YOU = "You"
CHUNK = 500
# Contact fields the pack does not show as such: computed from the others for search.
NOT_SHOWN = {"search_text"}
STAFF_FIELDS = {"owner", "created_by", "updated_by"}
CONTACT_LABELS = {
    "id": "Record number",
    "copied_from_member_id": "Copied from the member",
    "copied_from_record_id": "Record number at that member",
    "owner": "Looked after by",
    "created_by": "Added by",
    "updated_by": "Last changed by",
    "created_at": "Added on",
    "updated_at": "Last changed on",
    "is_restricted": "Restricted (seen only by colleagues granted it)",
    "processing_restricted_at": "Processing restricted since",
    "email": "E-mail",
    "other_emails": "Other e-mail addresses",
}
# Record-keeping fields (who added it, restrictions, copies) come after the person's own.
KEEPING_FIELDS = ("is_restricted", "processing_restricted_at", "legal_hold", "owner",
                  "created_at", "created_by", "updated_at", "updated_by",
                  "copied_from_member_id", "copied_from_record_id")  # fmt: skip


@dataclass
class Section:
    """One part of the pack. ``rows`` yields lists of display values, one per column; a
    section with no columns is a note only (no table, no CSV or JSON file)."""

    key: str
    title: str
    note: str
    columns: list[str] = field(default_factory=list)
    rows: Callable[[], Iterator[list[Any]]] = lambda: iter(())

    @property
    def has_table(self) -> bool:
        return bool(self.columns)


def shown(value: Any) -> str:
    """A value as the pack shows it: dates in words, yes or no, lists joined."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).strftime("%-d %B %Y %H:%M")
    if isinstance(value, dt.date):
        return value.strftime("%-d %B %Y")
    if isinstance(value, list | tuple):
        return "; ".join(shown(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {shown(v)}" for k, v in value.items())
    return str(value)


@cache
def _member_names() -> dict[int, str]:
    names: dict[int, str] = {}
    for member in Member.objects.only("id", "name", "kind"):
        names[member.pk] = str(
            settings.CONSORTIUM_NAME if member.kind == MemberKind.PUBLIC else member.name
        )
    return names


def member_name(member_id: int | None) -> str:
    if member_id is None:
        return str(settings.CONSORTIUM_NAME)
    return _member_names().get(member_id, "A former member")


# --- redaction ----------------------------------------------------------------------------


def _words(*names: str) -> set[str]:
    return {w.casefold() for name in names for w in re.split(r"[\s,]+", name or "") if w}


class Redactor:
    """Takes other people's names out of free text: each full name, e-mail address and name
    word of theirs becomes "[another person]" (whole words, any case). A word the person
    the pack is about also bears (a shared first name) is left: it is theirs too."""

    def __init__(self, others: Iterable[Contact], own: Iterable[Contact]) -> None:
        own_words = set()
        for contact in own:
            own_words |= _words(contact.first_name, contact.preferred_name, contact.last_name)
        phrases: set[str] = set()
        for other in others:
            for first in {other.first_name, other.preferred_name} - {""}:
                phrases.add(f"{first} {other.last_name}".strip())
            phrases |= {other.display_name, other.email, *other.other_emails} - {""}
            phrases |= {
                word
                for word in _words(other.first_name, other.preferred_name, other.last_name)
                if len(word) > 1 and word not in own_words
            }
        ordered = sorted((p for p in phrases if p.strip()), key=len, reverse=True)
        self._pattern = (
            re.compile(
                r"(?<!\w)(?:" + "|".join(re.escape(p) for p in ordered) + r")(?!\w)",
                re.IGNORECASE,
            )
            if ordered
            else None
        )

    def __call__(self, text: str) -> str:
        if not text or self._pattern is None:
            return text
        return self._pattern.sub(ANOTHER_PERSON, text)


# --- the sections -------------------------------------------------------------------------


def _contact_fields() -> list[Field]:
    fields = [f for f in Contact._meta.concrete_fields if f.name not in NOT_SHOWN]
    return sorted(fields, key=lambda f: KEEPING_FIELDS.index(f.name) + 1
                  if f.name in KEEPING_FIELDS else 0)  # fmt: skip


def _label(model_field: Field) -> str:
    label = CONTACT_LABELS.get(model_field.name) or str(model_field.verbose_name)
    return label[:1].upper() + label[1:]


def _contact_value(contact: Contact, model_field: Field) -> Any:
    if model_field.name in STAFF_FIELDS:
        return A_MEMBER_OF_STAFF if getattr(contact, model_field.attname) else ""
    if model_field.name == "copied_from_member_id":
        return member_name(contact.copied_from_member_id) if contact.copied_from_member_id else ""
    if model_field.choices:
        return getattr(contact, f"get_{model_field.name}_display")()
    return getattr(contact, model_field.attname)


def contacts_of(contact_ids: list[int]) -> list[Contact]:
    """The member's records of the person (a task's ids; a person may be held twice)."""
    return list(Contact.objects.filter(pk__in=contact_ids).order_by("pk"))


def _contact_section(contacts: list[Contact]) -> Section:
    fields = _contact_fields()
    return Section(
        key="contact",
        title="Your record",
        note="Everything the member's contact record holds about you. Where the member "
        "holds more than one record of you, each is a row.",
        columns=[_label(f) for f in fields],
        rows=lambda: ([shown(_contact_value(c, f)) for f in fields] for c in contacts),
    )


def _roles_section(ids: list[int]) -> Section:
    def rows() -> Iterator[list[Any]]:
        roles = ContactRole.objects.filter(contact_id__in=ids).select_related("organisation")
        for role in roles.order_by("organisation__name", "role", "pk").iterator(CHUNK):
            yield [role.organisation.name, role.get_role_display(), shown(role.start_date),
                   shown(role.end_date)]  # fmt: skip

    return Section(
        key="roles",
        title="Your roles at organisations",
        note="The organisations the member records you as having a role at, with dates.",
        columns=["Organisation", "Role", "From", "Until"],
        rows=rows,
    )


def _interactions_section(contacts: list[Contact]) -> Section:
    ids = [c.pk for c in contacts]

    def rows() -> Iterator[list[Any]]:
        interactions = (
            Interaction.objects.filter(contacts__in=ids)
            .distinct()
            .prefetch_related("contacts", "organisations")
            .order_by("-date", "-id")
        )
        for interaction in interactions.iterator(CHUNK):
            people = list(interaction.contacts.all())
            others = [p for p in people if p.pk not in ids]
            redact = Redactor(others, contacts)
            with_whom = [YOU] + [ANOTHER_PERSON] * len(others)
            yield [
                shown(interaction.date),
                interaction.get_kind_display(),
                shown(interaction.duration_minutes),
                A_MEMBER_OF_STAFF if interaction.staff_id else "",
                ", ".join(with_whom),
                ", ".join(o.name for o in interaction.organisations.all()),
                redact(interaction.summary),
                redact(interaction.notes),
                redact(interaction.outcome),
                shown(interaction.follow_up_date),
            ]

    return Section(
        key="interactions",
        title="Interactions you took part in",
        note="Calls, meetings, e-mails and other contact the member's staff recorded with you. "
        f"Other people who took part are shown as “{ANOTHER_PERSON}”, and their names are "
        "taken out of the summary, notes and outcome: their data is theirs, not part of "
        "this copy.",
        columns=[
            "Date",
            "Kind",
            "Minutes",
            "Staff",
            "With",
            "Organisations",
            "Summary",
            "Notes",
            "Outcome",
            "Follow up on",
        ],
        rows=rows,
    )


def _consents_section(ids: list[int]) -> Section:
    def rows() -> Iterator[list[Any]]:
        consents = Consent.objects.filter(contact_id__in=ids).order_by("recorded_at", "id")
        for consent in consents.iterator(CHUNK):
            yield [
                shown(consent.recorded_at),
                consent.get_purpose_display(),
                consent.get_channel_display(),
                consent.get_status_display(),
                consent.get_lawful_basis_display(),
                consent.method,
                consent.wording,
                A_MEMBER_OF_STAFF if consent.recorded_by_id else "",
            ]

    return Section(
        key="consents",
        title="Your consent history",
        note="Every consent decision recorded for you, oldest first, with the wording you "
        "were shown at the time. The newest decision for each purpose is the one that counts.",
        columns=[
            "Recorded",
            "Purpose",
            "Channel",
            "Decision",
            "Lawful basis",
            "How",
            "Wording shown",
            "Recorded by",
        ],
        rows=rows,
    )


def _tags_section(ids: list[int]) -> Section:
    def rows() -> Iterator[list[Any]]:
        tags = Tag.objects.filter(contacts__in=ids).distinct().order_by("name")
        for tag in tags.iterator(CHUNK):
            yield [tag.name]

    return Section(
        key="tags",
        title="Tags on your record",
        note="The labels the member's staff put on your record to group contacts.",
        columns=["Tag"],
        rows=rows,
    )


def _answer_text(kind: str, value: Any) -> str:
    if kind == QuestionKind.LIKERT and isinstance(value, int) and 1 <= value <= 5:
        return LIKERT_CHOICES[value - 1]
    return shown(value)


def _survey_section(contacts: list[Contact]) -> Section:
    ids = [c.pk for c in contacts]

    def rows() -> Iterator[list[Any]]:
        org_ids = set(
            ContactRole.objects.filter(contact_id__in=ids).values_list("organisation_id", flat=True)
        )
        responses = (
            Response.objects.filter(organisation_id__in=org_ids)
            .select_related("wave__survey", "organisation")
            .order_by("submitted_at", "id")
        )
        questions: dict[int, list] = {}
        for response in responses.iterator(CHUNK):
            wave: Wave = response.wave
            if wave.pk not in questions:
                questions[wave.pk] = list(wave.questions.all())
            others = Contact.objects.filter(roles__organisation_id=response.organisation_id)
            redact = Redactor(others.exclude(pk__in=ids).distinct(), contacts)
            for question in questions[wave.pk]:
                if question.code not in response.answers:
                    continue
                answer = _answer_text(question.kind, response.answers[question.code])
                yield [
                    wave.survey.title,
                    wave.year,
                    response.organisation.name,
                    shown(response.submitted_at),
                    response.get_source_display(),
                    shown(response.research_consent),
                    response.consent_wording,
                    question.text,
                    redact(answer) if question.is_free_text else answer,
                ]

    return Section(
        key="survey-answers",
        title="Survey answers",
        note="Surveys in Commons are answered by organisations. These are the answers the "
        "member holds, under the organisation's name (so not anonymously), from the "
        "organisations you have a role at: you may have given them or be named in them. "
        "Other people's names are taken out of free-text answers.",
        columns=["Survey", "Year", "Organisation", "Submitted", "How it was answered",
                 "Agreed to research use", "Research wording shown", "Question", "Answer"],
        rows=rows,
    )  # fmt: skip


def _registrations_section(member: Member, ids: list[int]) -> Section:
    def rows() -> Iterator[list[Any]]:
        for contact_id in ids:
            places = registrations_of_contact(schema_name=member.schema_name,
                                              contact_id=contact_id)  # fmt: skip
            for place in places.order_by("event__starts_at", "id").iterator(CHUNK):
                event = place.event
                yield [
                    event.title,
                    event.host_name,
                    shown(event.starts_at),
                    place.get_status_display(),
                    shown(place.created_at),
                    shown(place.attended),
                    shown(place.cancelled_at),
                    shown(event.host_id != member.pk),
                    place.name,
                    place.email,
                    place.organisation,
                    place.access_needs,
                    shown(place.consent),
                ]

    return Section(
        key="event-registrations",
        title="Your event registrations",
        note="The places the member's staff booked for you at events, and the snapshot the "
        "event's host received: only the name, e-mail, organisation and access needs shown "
        "here, nothing else from your record.",
        columns=["Event", "Host", "Starts", "Status", "Booked on", "Attended", "Cancelled on",
                 "Sent to another host", "Name sent", "E-mail sent", "Organisation sent",
                 "Access needs sent", "Agreed to the host keeping these details"],
        rows=rows,
    )  # fmt: skip


def _snapshots_section(member: Member, ids: list[int]) -> Section:
    def rows() -> Iterator[list[Any]]:
        sent = disclosures_of_records(provider=member, record_type=RecordType.CONTACT,
                                      record_ids=ids)  # fmt: skip
        for entry in sent.filter(action=DisclosureAction.EVENT_SNAPSHOT).iterator(CHUNK):
            yield [shown(entry.at), member_name(entry.member_id), entry.reason]

    return Section(
        key="event-snapshots",
        title="Snapshots sent to event hosts",
        note="Each time your details were handed to another member, or to the consortium, "
        "hosting an event you were booked onto (from the disclosure log).",
        columns=["Sent", "Sent to", "About"],
        rows=rows,
    )


def _bookings_section() -> Section:
    return Section(
        key="bookings",
        title="Bookings",
        note="Room and resource bookings in Commons are made for a member organisation, not "
        "for a person: no booking refers to you, so there is nothing to include.",
    )


def _agreement_recipients(agreement: Agreement) -> str:
    if agreement.all_members:
        return "All members"
    names = [
        member_name(party.member_id)
        for party in agreement.parties.filter(role=PartyRole.RECIPIENT).order_by("member__name")
    ]
    return ", ".join(names)


def _shared_section(member: Member, ids: list[int]) -> Section:
    labels = SHAREABLE_FIELDS[RecordType.CONTACT]

    def rows() -> Iterator[list[Any]]:
        records = shared_records_of(provider=member, record_type=RecordType.CONTACT,
                                    record_ids=ids)  # fmt: skip
        for record in records.iterator(CHUNK):
            agreement = record.agreement
            facts = "; ".join(f"{label}: {shown(value)}" for label, value in record.facts())
            yield [
                agreement.title,
                agreement.get_purpose_display(),
                agreement.get_status_display(),
                _agreement_recipients(agreement),
                ", ".join(labels.get(f, f) for f in record.data),
                facts,
                shown(record.updated_at),
            ]

    return Section(
        key="shared-records",
        title="What is shared of you with other members",
        note="Under a data-sharing agreement, other members may see a copy of part of your "
        "record in the consortium's shared directory. These are those copies: the agreement, "
        "who receives it and exactly which fields they see.",
        columns=["Agreement", "Purpose", "Agreement status", "Shared with", "Fields shared",
                 "What they see", "Last updated"],
        rows=rows,
    )  # fmt: skip


def _disclosures_section(member: Member, ids: list[int]) -> Section:
    titles: dict[int, str] = {}

    def title(agreement_id: int | None) -> str:
        if agreement_id is None:
            return ""
        if agreement_id not in titles:
            found = Agreement.objects.filter(pk=agreement_id).values_list("title", flat=True)
            titles[agreement_id] = next(iter(found), "")
        return titles[agreement_id]

    def rows() -> Iterator[list[Any]]:
        seen = disclosures_of_records(provider=member, record_type=RecordType.CONTACT,
                                      record_ids=ids)  # fmt: skip
        seen = seen.exclude(action=DisclosureAction.EVENT_SNAPSHOT)
        for entry in seen.iterator(CHUNK):
            yield [shown(entry.at), member_name(entry.member_id), entry.get_action_display(),
                   title(entry.agreement_id)]  # fmt: skip

    return Section(
        key="disclosures",
        title="Which members saw, exported or copied your data",
        note="From the consortium's disclosure log: each time another member viewed your "
        "shared details, exported them or copied them into its own records, and when. The "
        "log names the member organisation, not its individual staff.",
        columns=["When", "Member", "What they did", "Under the agreement"],
        rows=rows,
    )


def _research_section() -> Section:
    return Section(
        key="research",
        title="Research data",
        note="Where an organisation you are linked to agreed, its survey answers may be in the "
        "consortium's research pool. Those rows are pseudonymised: they carry no names, "
        "e-mail addresses or contact details, and the key that could link them back to a "
        "record is not held with them. They cannot be connected to you without extra "
        "information the researchers do not have, so they are not included here (UK GDPR "
        "Article 11). The answers themselves, as the member holds them, are in the survey "
        "answers above.",
    )


def pack_sections(*, member: Member, contacts: list[Contact]) -> list[Section]:
    """Every section of the pack, in the order people read it."""
    _member_names.cache_clear()
    ids = [c.pk for c in contacts]
    return [
        _contact_section(contacts),
        _roles_section(ids),
        _interactions_section(contacts),
        _consents_section(ids),
        _tags_section(ids),
        _survey_section(contacts),
        _registrations_section(member, ids),
        _snapshots_section(member, ids),
        _bookings_section(),
        _shared_section(member, ids),
        _disclosures_section(member, ids),
        _research_section(),
    ]
