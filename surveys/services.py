"""Every write to a member's surveys: definitions, invitations and responses. Each write by a
person records who in the audit log, under the member whose schema it is on; an
organisation answering through its own link is no one signed in, so that one does not.

Tenant assumptions: the connection is on the member's schema (a request to the member's
site, or a caller that entered it).
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from crm.models import Organisation
from tenants.audit import audit_record
from tenants.models import Member

from .answers import answers_clean
from .changes import responses_changed
from .models import (
    Invitation,
    Question,
    QuestionKind,
    Response,
    ResponseSource,
    Section,
    Survey,
    Wave,
    WaveStatus,
)

NEEDS_CHOICES = "Give at least two options, one per line."
NOT_OPEN = "This survey is not open for responses."
ALREADY_ANSWERED = "This organisation has already answered this wave."
WAVE_EXISTS = "This survey already has a {year} wave."
NOT_DRAFT = "Questions can only be changed while the wave is a draft."
NO_QUESTIONS = "Add at least one question before opening the wave."
CODE_FORMAT = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def _audit(action: str, *, acting_user: Any, target: str, **details: Any) -> None:
    """An audit row for a write on this member's schema, naming the member it belongs to
    (looked up by schema: a caller that entered the schema has no member object at hand)."""
    member = Member.objects.filter(schema_name=getattr(connection, "schema_name", "")).first()
    audit_record(action=action, actor=acting_user, member=member, target=target, **details)


@transaction.atomic
def survey_create(*, acting_user: Any, title: str, code: str, description: str = "",
                  is_consortium: bool = False, year: int,
                  consent_wording: str | None = None) -> Survey:  # fmt: skip
    """A survey and its first (draft) wave, created by ``acting_user`` (a member's staff, or
    the consortium admin sending a consortium survey). ``consent_wording`` replaces the
    default research consent question of the wave."""
    survey = Survey(title=title, code=code, description=description,
                    is_consortium=is_consortium, created_by=acting_user)  # fmt: skip
    survey.full_clean()
    survey.save()
    wave = Wave(survey=survey, year=year)
    if consent_wording is not None:
        wave.consent_wording = consent_wording
    wave.full_clean()
    wave.save()
    _audit("surveys.survey_created", acting_user=acting_user, target=f"{code} {year}",
           title=title)  # fmt: skip
    return survey


@transaction.atomic
def wave_create(*, survey: Survey, year: int, acting_user: Any) -> Wave:
    """A new year's wave, starting from the latest wave's sections and questions: each
    question keeps its code, so answers line up from year to year."""
    if survey.waves.filter(year=year).exists():
        raise ValidationError({"year": WAVE_EXISTS.format(year=year)})
    previous = survey.waves.order_by("-year").first()
    wave = Wave(survey=survey, year=year)
    if previous is not None:
        wave.consent_wording = previous.consent_wording
    wave.full_clean()
    wave.save()
    if previous is not None:
        for section in previous.sections.prefetch_related("questions"):
            copy = Section.objects.create(wave=wave, title=section.title,
                                          position=section.position)  # fmt: skip
            Question.objects.bulk_create([
                Question(wave=wave, section=copy, code=q.code, text=q.text,
                         help_text=q.help_text, kind=q.kind, choices=q.choices,
                         required=q.required, position=q.position)
                for q in section.questions.all()
            ])  # fmt: skip
    _audit("surveys.wave_created", acting_user=acting_user, target=f"{survey.code} {year}")
    return wave


def _wave_name(wave: Wave) -> str:
    return f"{wave.survey.code} {wave.year}"


def _draft(wave: Wave) -> None:
    if wave.status != WaveStatus.DRAFT:
        raise ValidationError(NOT_DRAFT)


@transaction.atomic
def section_add(*, wave: Wave, title: str, acting_user: Any) -> Section:
    """A section at the end of a draft wave."""
    _draft(wave)
    position = wave.sections.count() + 1
    section = Section(wave=wave, title=title, position=position)
    section.full_clean()
    section.save()
    _audit("surveys.section_added", acting_user=acting_user, target=_wave_name(wave),
           section=title)  # fmt: skip
    return section


@transaction.atomic
def question_add(*, wave: Wave, section: Section, code: str, text: str, kind: str,
                 choices: list[str] | None = None, required: bool = False,
                 help_text: str = "", acting_user: Any) -> Question:  # fmt: skip
    """A question at the end of ``section``. Choice questions need two options or more."""
    _draft(wave)
    if section.wave_id != wave.pk:
        raise ValidationError({"section": "Choose a section of this wave."})
    options = [c.strip() for c in (choices or []) if c.strip()]
    if kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE) and len(options) < 2:
        raise ValidationError({"choices": NEEDS_CHOICES})
    if kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
        options = []
    if wave.questions.filter(code=code).exists():
        raise ValidationError({"code": "Another question of this wave already has this code."})
    question = Question(wave=wave, section=section, code=code, text=text, kind=kind,
                        choices=options, required=required, help_text=help_text,
                        position=section.questions.count() + 1)  # fmt: skip
    question.full_clean()
    question.save()
    _audit("surveys.question_added", acting_user=acting_user, target=_wave_name(wave),
           question=code)  # fmt: skip
    return question


@transaction.atomic
def wave_set_status(*, wave: Wave, status: str, acting_user: Any) -> Wave:
    """Open a wave for responses (it needs a question), close it, or take it back to draft."""
    if status == WaveStatus.OPEN and not wave.questions.exists():
        raise ValidationError(NO_QUESTIONS)
    wave.status = status
    wave.full_clean()
    wave.save(update_fields=["status"])
    _audit("surveys.wave_status_changed", acting_user=acting_user, target=_wave_name(wave),
           status=status)  # fmt: skip
    return wave


@transaction.atomic
def invitations_create(*, wave: Wave, organisation_ids: list[int], acting_user: Any) -> int:
    """Invite organisations of this member's CRM (each gets its own link); organisations
    already invited keep their link. Returns how many were newly invited."""
    existing = set(wave.invitations.values_list("organisation_id", flat=True))
    wanted = Organisation.objects.filter(pk__in=organisation_ids).exclude(pk__in=existing)
    created = Invitation.objects.bulk_create(
        [Invitation(wave=wave, organisation=org, invited_by=acting_user) for org in wanted]
    )
    if created:
        _audit("surveys.invitations_sent", acting_user=acting_user, target=_wave_name(wave),
               count=len(created))  # fmt: skip
    return len(created)


def _save(*, wave: Wave, organisation: Organisation, raw: dict[str, Any],
          research_consent: bool, source: str, acting_user: Any) -> Response:  # fmt: skip
    answers = answers_clean(wave=wave, raw=raw)
    response = Response.objects.select_for_update().filter(
        wave=wave, organisation=organisation).first()  # fmt: skip
    if response is None:
        response = Response(wave=wave, organisation=organisation)
    elif source == ResponseSource.LINK:
        raise ValidationError(ALREADY_ANSWERED)
    response.answers = answers
    response.research_consent = research_consent
    response.consent_wording = wave.consent_wording
    response.source = source
    response.entered_by = acting_user
    response.submitted_at = timezone.now()
    response.save()
    responses_changed.send(sender=Response, survey_code=wave.survey.code,
                           response_ids=[response.pk])  # fmt: skip
    return response


@transaction.atomic
def response_submit(
    *, token: str, raw: dict[str, Any], research_consent: bool, acting_user: None
) -> Response:
    """An organisation answers through its own link (no sign-in). Once only.

    ``acting_user`` is always ``None``: whoever holds the link answers for the organisation,
    and no account is theirs, even when someone happens to be signed in on the site.
    """
    invitation = (
        Invitation.objects.select_related("wave__survey", "organisation")
        .select_for_update(of=("self",)).get(token=token)
    )  # fmt: skip
    if invitation.wave.status != WaveStatus.OPEN:
        raise ValidationError(NOT_OPEN)
    return _save(wave=invitation.wave, organisation=invitation.organisation, raw=raw,
                 research_consent=research_consent, source=ResponseSource.LINK,
                 acting_user=acting_user)  # fmt: skip


@transaction.atomic
def response_enter(*, wave: Wave, organisation: Organisation, raw: dict[str, Any],
                   research_consent: bool, acting_user: Any) -> Response:  # fmt: skip
    """Staff enter (or correct) an organisation's answers, e.g. from a phone call or paper."""
    if wave.status == WaveStatus.DRAFT:
        raise ValidationError(NOT_OPEN)
    response = _save(wave=wave, organisation=organisation, raw=raw,
                     research_consent=research_consent, source=ResponseSource.STAFF,
                     acting_user=acting_user)  # fmt: skip
    _audit("surveys.response_entered", acting_user=acting_user, target=_wave_name(wave),
           organisation=organisation.pk, response=response.pk)  # fmt: skip
    return response


def _answers_redact(value: Any, terms: list[str]) -> Any:
    from crm.redaction import text_redact

    if isinstance(value, str):
        return text_redact(value, terms)
    if isinstance(value, list):
        return [_answers_redact(v, terms) for v in value]
    if isinstance(value, dict):
        return {k: _answers_redact(v, terms) for k, v in value.items()}
    return value


@transaction.atomic
def responses_redact(*, acting_user: Any, terms: list[str]) -> int:
    """A person erased from the member's CRM: answers are an organisation's, not the
    person's, so they stay (and so do their pseudonymised research rows, which hold no names
    or unlisted free text), but the person's name, e-mail and phone leave every answer that
    mentions them. The research pool follows (``responses_changed``). Returns how many
    responses changed."""
    from django.db.models import Q, TextField
    from django.db.models.functions import Cast

    if not terms:
        return 0
    mentions = Q()
    for term in terms:
        mentions |= Q(_text__icontains=term)
    candidates = (
        Response.objects.annotate(_text=Cast("answers", TextField()))
        .filter(mentions)
        .select_related("wave__survey")
        .select_for_update(of=("self",))
    )
    changed: dict[str, list[int]] = {}
    for response in candidates:
        redacted = _answers_redact(response.answers, terms)
        if redacted != response.answers:
            response.answers = redacted
            response.save(update_fields=["answers"])
            changed.setdefault(response.wave.survey.code, []).append(response.pk)
    for code, response_ids in changed.items():
        responses_changed.send(sender=Response, survey_code=code, response_ids=response_ids)
    count = sum(len(v) for v in changed.values())
    if count:
        _audit("survey_response.redacted", acting_user=acting_user,
               target=f"{count} responses", responses=count)  # fmt: skip
    return count
