"""Consortium surveys across members: which members run each consortium survey, invited
versus responded per member and per locality, and copying a survey's definition from one
member to others (so the consortium defines it once and members run it under one code).

Tenant assumptions: any schema; reads name each member's schema explicitly, and copies
enter the target member's schema (schema switches are allowed in reporting's aggregate and
consortium code).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django_tenants.utils import schema_context

from sharing.projection import quote
from tenants.audit import audit_record
from tenants.models import Member

from .aggregates import CrossTable
from .permissions import admin_require

SEND_ADMIN_ONLY = "Only a consortium admin can send a survey to members."


@dataclass(frozen=True)
class ConsortiumSurvey:
    code: str
    title: str
    members: tuple[str, ...]
    years: tuple[int, ...]


def _members() -> list[Member]:
    return list(Member.organisations.filter(is_active=True).order_by("name"))


def consortium_surveys() -> list[ConsortiumSurvey]:
    """Every consortium survey code any member runs, with who runs it and its years."""
    found: dict[str, dict[str, Any]] = {}
    with connection.cursor() as cursor:
        for member in _members():
            s = quote(member.schema_name)
            cursor.execute(
                f"SELECT v.code, v.title, coalesce(array_agg(w.year) FILTER (WHERE w.id IS NOT "
                f"NULL), '{{}}') FROM {s}.surveys_survey v LEFT JOIN {s}.surveys_wave w "
                "ON w.survey_id = v.id WHERE v.is_consortium GROUP BY v.code, v.title"
            )
            for code, title, years in cursor.fetchall():
                entry = found.setdefault(code, {"title": title, "members": [], "years": set()})
                entry["members"].append(member.name)
                entry["years"].update(years)
    return [ConsortiumSurvey(code, e["title"], tuple(e["members"]), tuple(sorted(e["years"])))
            for code, e in sorted(found.items())]  # fmt: skip


def survey_coverage(*, code: str, year: int, by: str = "member") -> CrossTable:
    """Invited and responded organisations for one consortium survey wave, per member or per
    locality (aggregate counts only)."""
    cells: dict[tuple[str, str], int] = {}
    rows: list[str] = []
    with connection.cursor() as cursor:
        for member in _members():
            s = quote(member.schema_name)
            cursor.execute(
                f"""
                SELECT coalesce(nullif(o.district, ''), 'Not recorded'),
                       count(*) FILTER (WHERE i.id IS NOT NULL),
                       count(*) FILTER (WHERE r.id IS NOT NULL)
                  FROM {s}.surveys_survey v
                  JOIN {s}.surveys_wave w ON w.survey_id = v.id AND w.year = %s
                  JOIN {s}.crm_organisation o ON TRUE
                  LEFT JOIN {s}.surveys_invitation i
                         ON i.wave_id = w.id AND i.organisation_id = o.id
                  LEFT JOIN {s}.surveys_response r
                         ON r.wave_id = w.id AND r.organisation_id = o.id
                 WHERE v.code = %s AND (i.id IS NOT NULL OR r.id IS NOT NULL)
                 GROUP BY 1
                """,
                [year, code],
            )
            for district, invited, responded in cursor.fetchall():
                row = member.name if by == "member" else district
                if row not in rows:
                    rows.append(row)
                cells[(row, "Invited")] = cells.get((row, "Invited"), 0) + invited
                cells[(row, "Responded")] = cells.get((row, "Responded"), 0) + responded
    if by != "member":
        rows.sort()
    title = f"Invited and responded per {'member' if by == 'member' else 'locality'}"
    return CrossTable(title, rows, ["Invited", "Responded"], cells)


def _definition(member: Member, code: str) -> dict[str, Any]:
    from surveys.models import Survey

    with schema_context(member.schema_name):
        survey = Survey.objects.filter(code=code).first()
        if survey is None:
            raise ValidationError(f"{member.name} does not run a survey with code {code}.")
        wave = survey.waves.order_by("-year").first()
        sections = [] if wave is None else [
            {"title": section.title, "questions": [
                {"code": q.code, "text": q.text, "help_text": q.help_text, "kind": q.kind,
                 "choices": list(q.choices), "required": q.required}
                for q in section.questions.all()]}
            for section in wave.sections.prefetch_related("questions")
        ]  # fmt: skip
        return {"title": survey.title, "description": survey.description,
                "year": wave.year if wave else None, "sections": sections,
                "consent_wording": wave.consent_wording if wave else ""}  # fmt: skip


def survey_definition_copy(*, source: Member, code: str, targets: list[Member],
                           acting_user: Any) -> list[str]:  # fmt: skip
    """Copy a survey's latest wave (sections and questions, as a draft) from ``source`` to
    each target member that does not run it yet, in the admin's name (each copy is created
    by them, and the audit log says who sent what to whom). Returns the names of members it
    reached."""
    from surveys import services
    from surveys.models import Survey

    admin_require(acting_user, SEND_ADMIN_ONLY)
    definition = _definition(source, code)
    if definition["year"] is None:
        raise ValidationError("That survey has no wave to copy.")
    reached = []
    for target in targets:
        if target.pk == source.pk:
            continue
        with schema_context(target.schema_name), transaction.atomic():
            if Survey.objects.filter(code=code).exists():
                continue
            survey = services.survey_create(
                acting_user=acting_user, title=definition["title"], code=code,
                description=definition["description"], is_consortium=True,
                year=definition["year"], consent_wording=definition["consent_wording"],
            )  # fmt: skip
            wave = survey.waves.get()
            for section_data in definition["sections"]:
                section = services.section_add(wave=wave, title=section_data["title"],
                                               acting_user=acting_user)  # fmt: skip
                for q in section_data["questions"]:
                    services.question_add(wave=wave, section=section, acting_user=acting_user, **q)
        reached.append(target.name)
    audit_record(action="surveys.definition_copied", actor=acting_user,
                 target=f"{code} from {source.slug}", members=reached)  # fmt: skip
    return reached
