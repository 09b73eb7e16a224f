"""A member's record of processing activities (UK GDPR Art. 30), generated: its own
processing in Commons (a fixed list of activities whose purpose and lawful basis its lead
may change), each data-sharing agreement it is party to, and its retention schedules where
the retention part of the app is installed. Exported as CSV and XLSX.

Tenant assumptions: reads the public schema only (agreements, the member's activities,
retention schedules); nothing of a member's records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import transaction

from crm.exporting import xlsx_bytes
from crm.models import LawfulBasis
from sharing.models import SHAREABLE_FIELDS, Agreement, PartyRole, Purpose, RecordType, Status
from sharing.selectors import agreements_of
from tenants.audit import audit_record
from tenants.csvfile import csv_bytes
from tenants.models import Member
from tenants.permissions import permission_require

from .permissions import can_edit_processing
from .processing_models import Activity, ProcessingActivity


@dataclass(frozen=True)
class OwnActivity:
    name: str
    purpose: str
    lawful_basis: str
    data_subjects: str
    categories: str
    record_type: str  # what a retention schedule for it is keyed by


# The member's own processing in Commons, with the purpose and basis Commons suggests.
OWN_ACTIVITIES: dict[str, OwnActivity] = {
    Activity.CONTACTS: OwnActivity(
        "Contacts", "Keeping in touch with the people who run, work and volunteer for the "
        "groups we support, and the people we support directly.",
        LawfulBasis.LEGITIMATE_INTERESTS, "Trustees, staff and volunteers of local groups; "
        "individuals we support", "Names, contact details, roles, tags, consent and "
        "preferences, notes", "contact"),
    Activity.ORGANISATIONS: OwnActivity(
        "Organisations", "A record of the voluntary and community groups we support and "
        "their people.", LawfulBasis.LEGITIMATE_INTERESTS,
        "Contact people named on organisation records", "Names, addresses, identifiers, "
        "areas of work, the people in roles", "organisation"),
    Activity.INTERACTIONS: OwnActivity(
        "Interactions", "Recording the advice, support and meetings we give, to follow up "
        "and to report on our work.", LawfulBasis.LEGITIMATE_INTERESTS,
        "People and groups we advise or meet", "Dates, subjects and notes of calls, meetings "
        "and advice", "interaction"),
    Activity.EVENTS: OwnActivity(
        "Events and bookings", "Running training, networking days and forums: "
        "registrations, attendance, bookings.", LawfulBasis.CONTRACT,
        "People who register for events", "Names, e-mail addresses, access needs, "
        "attendance", "registration"),
    Activity.SURVEYS: OwnActivity(
        "Surveys", "Asking the groups we support about their work each year (e.g. State of "
        "the Sector), and pooled anonymous research.", LawfulBasis.CONSENT,
        "People who answer surveys for their group", "Answers, the organisation answered "
        "for, contact details of who answered", "survey_response"),
}  # fmt: skip

NOT_AN_ACTIVITY = "That is not one of the activities in the register."
EMPTY_PURPOSE = "Write the purpose."
IN_FORCE = (Status.ACTIVE, Status.AWAITING, Status.SUSPENDED)
HEADERS = ("Activity", "Source", "Purpose", "Lawful basis", "Data subjects",
           "Categories of data", "Recipients", "Retention")  # fmt: skip


@dataclass(frozen=True)
class RegisterRow:
    activity: str
    source: str
    purpose: str
    lawful_basis: str
    data_subjects: str
    categories: str
    recipients: str
    retention: str
    key: str = ""  # an own activity's key (editable), else ""

    def cells(self) -> list[str]:
        return [self.activity, self.source, self.purpose, self.lawful_basis,
                self.data_subjects, self.categories, self.recipients, self.retention]  # fmt: skip


def _basis_label(value: str) -> str:
    return str(LawfulBasis(value).label) if value in LawfulBasis.values else "Not recorded"


def retention_schedules_of(member: Member) -> list[Any] | None:
    """The member's retention schedules, or None when the retention part of the app
    (``rights.RetentionSchedule``) is not installed: the register works without it."""
    try:
        model = apps.get_model("rights", "RetentionSchedule")  # type: ignore[misc]
    except LookupError:
        return None
    names = {f.name for f in model._meta.get_fields()}
    if "member" not in names and "member_id" not in names:
        return None
    return list(model.objects.filter(member_id=member.pk))


def _retention_for(schedules: list[Any] | None, record_type: str) -> str:
    if schedules is None:
        return "Not set in Commons"
    matching = [s for s in schedules if getattr(s, "record_type", None) == record_type]
    if not matching:
        return "No schedule set"
    return "; ".join(str(s) for s in matching)


def _recipients(agreement: Agreement, member: Member) -> tuple[str, str]:
    """(our role, the other parties) of an agreement."""
    recipients = [p.member.name for p in agreement.parties.all()
                  if p.role == PartyRole.RECIPIENT]  # fmt: skip
    if agreement.provider_id == member.pk:
        others = "All members" if agreement.all_members else ", ".join(sorted(recipients))
        return "Shared by us", others or "No recipient yet"
    return "Shared with us", f"Received from {agreement.provider.name}"


def _categories(agreement: Agreement) -> str:
    parts = []
    for record_type in agreement.record_types:
        labels = SHAREABLE_FIELDS.get(record_type, {})
        fields = [labels.get(f, f) for f in agreement.fields_for(record_type)]
        kind = RecordType(record_type).label if record_type in RecordType.values else record_type
        parts.append(f"{kind}: {', '.join(fields) or 'no fields'}")
    return "; ".join(parts)


def processing_register(*, member: Member) -> list[RegisterRow]:
    """The member's register: its own activities (its edits, else the suggestion), then each
    agreement in force or awaiting signature that it is party to."""
    saved = {a.activity: a for a in ProcessingActivity.objects.filter(member=member)}
    schedules = retention_schedules_of(member)
    rows = []
    for key, own in OWN_ACTIVITIES.items():
        edit = saved.get(key)
        rows.append(RegisterRow(
            activity=own.name, source="Our own records in Commons",
            purpose=edit.purpose if edit else own.purpose,
            lawful_basis=_basis_label(edit.lawful_basis if edit else own.lawful_basis),
            data_subjects=own.data_subjects, categories=own.categories,
            recipients="Our staff in Commons", retention=_retention_for(schedules, own.record_type),
            key=key,
        ))  # fmt: skip
    agreements = (agreements_of(member=member).filter(status__in=IN_FORCE)
                  .prefetch_related("parties__member"))  # fmt: skip
    for agreement in agreements:
        role, others = _recipients(agreement, member)
        purpose = Purpose(agreement.purpose).label if agreement.purpose in Purpose.values else ""
        benefit = f" {agreement.expected_benefit}" if agreement.expected_benefit else ""
        rows.append(RegisterRow(
            activity=f"Sharing: {agreement.title} ({agreement.get_status_display()})",
            source=role, purpose=f"{purpose}.{benefit}",
            lawful_basis=_basis_label(agreement.lawful_basis),
            data_subjects="People and groups on the shared records",
            categories=_categories(agreement), recipients=others,
            retention=agreement.retention or "Not stated in the agreement",
        ))  # fmt: skip
    return rows


def register_csv(rows: list[RegisterRow]) -> bytes:
    return csv_bytes(HEADERS, (row.cells() for row in rows))


def register_xlsx(rows: list[RegisterRow], *, member: Member) -> bytes:
    """The register as a workbook (crm.exporting's one XLSX writer: text stays text)."""
    return xlsx_bytes(HEADERS, ([str(c) for c in row.cells()] for row in rows),
                      title="Record of processing")  # fmt: skip


@transaction.atomic
def processing_activity_set(*, acting_user: Any, member: Member, activity: str, purpose: str,
                            lawful_basis: str) -> ProcessingActivity:  # fmt: skip
    """The member's own purpose and lawful basis for one of its activities (its leads)."""
    permission_require(can_edit_processing(acting_user, member))
    if activity not in OWN_ACTIVITIES:
        raise ValidationError(NOT_AN_ACTIVITY)
    if not purpose.strip():
        raise ValidationError({"purpose": EMPTY_PURPOSE})
    row, _made = ProcessingActivity.objects.select_for_update().get_or_create(
        member=member, activity=activity,
        defaults={"purpose": purpose.strip(), "lawful_basis": lawful_basis,
                  "updated_by": acting_user},
    )  # fmt: skip
    row.purpose, row.lawful_basis, row.updated_by = purpose.strip(), lawful_basis, acting_user
    row.full_clean()
    row.save()
    audit_record(action="processing.activity_changed", actor=acting_user, member=member,
                 target=OWN_ACTIVITIES[activity].name, lawful_basis=lawful_basis)  # fmt: skip
    return row
