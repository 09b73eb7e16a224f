"""Surveys in a member's schema: definitions (surveys, waves, sections, questions),
invitations with unguessable links, and responses.

A survey runs in yearly waves. Each wave holds its own questions; a question keeps a stable
``code`` from wave to wave, so answers line up across years even when the wording changes.
Answers are stored per response as ``{question code: value}``.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.urls import reverse


class QuestionKind(models.TextChoices):
    SINGLE = "single", "Single choice"
    MULTIPLE = "multiple", "Multiple choice"
    NUMBER = "number", "Number"
    TEXT = "text", "Text"
    LIKERT = "likert", "Likert scale (1 to 5)"


LIKERT_CHOICES = [
    "Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree", "Strongly agree",
]  # fmt: skip


class WaveStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    OPEN = "open", "Open for responses"
    CLOSED = "closed", "Closed"


class Survey(models.Model):
    """A survey a member runs, e.g. "State of the Sector". ``code`` is the consortium-wide
    name: members running the same consortium survey use the same code, and research
    datasets pool responses by it."""

    title = models.CharField(max_length=200)
    code = models.SlugField(
        max_length=60, unique=True,
        help_text="A short name that stays the same every year, e.g. state-of-the-sector.",
    )  # fmt: skip
    description = models.TextField(blank=True)
    is_consortium = models.BooleanField(
        "consortium survey", default=False,
        help_text="Run by several members under the same code; can be pooled for research.",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title", "id"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("surveys:survey_detail", args=[self.pk])


class Wave(models.Model):
    """One year's version of a survey, with its own questions."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="waves")
    year = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=WaveStatus.choices, default="draft")
    consent_wording = models.TextField(
        "research consent wording",
        default=(
            "May we include your answers, without your organisation's name or contact "
            "details, in research by the consortium under a data-sharing agreement?"
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["survey", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["survey", "year"], name="surveys_wave_once_a_year")
        ]

    def __str__(self) -> str:
        return f"{self.survey.title} {self.year}"

    def get_absolute_url(self) -> str:
        return reverse("surveys:wave_detail", args=[self.pk])


class Section(models.Model):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    code = models.SlugField(
        max_length=60, help_text="Stays the same across years, e.g. paid-staff."
    )
    text = models.CharField(max_length=500)
    help_text = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    choices = ArrayField(models.CharField(max_length=200), default=list, blank=True)
    required = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["section__position", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "code"], name="surveys_question_code_once")
        ]

    def __str__(self) -> str:
        return self.text

    @property
    def options(self) -> list[str]:
        return LIKERT_CHOICES if self.kind == QuestionKind.LIKERT else list(self.choices)

    @property
    def is_free_text(self) -> bool:
        return self.kind == QuestionKind.TEXT


def new_token() -> str:
    return secrets.token_urlsafe(32)


class Invitation(models.Model):
    """An organisation invited to answer a wave, with its own unguessable link."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="invitations")
    organisation = models.ForeignKey(
        "crm.Organisation", on_delete=models.CASCADE, related_name="survey_invitations"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    invited_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "organisation"], name="surveys_invite_once")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} invited to {self.wave}"

    def get_absolute_url(self) -> str:
        return reverse("surveys:respond", args=[self.token])


class ResponseSource(models.TextChoices):
    LINK = "link", "Their own link"
    STAFF = "staff", "Entered by staff"


class Response(models.Model):
    """An organisation's answers to one wave; one per organisation and wave."""

    wave = models.ForeignKey(Wave, on_delete=models.CASCADE, related_name="responses")
    organisation = models.ForeignKey(
        "crm.Organisation", on_delete=models.CASCADE, related_name="survey_responses"
    )
    answers = models.JSONField(default=dict)
    research_consent = models.BooleanField(default=False)
    consent_wording = models.TextField(blank=True)
    source = models.CharField(max_length=10, choices=ResponseSource.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    submitted_at = models.DateTimeField()

    class Meta:
        ordering = ["-submitted_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["wave", "organisation"], name="surveys_answer_once")
        ]

    def __str__(self) -> str:
        return f"{self.organisation} — {self.wave}"
