"""Research set-up: the consortium admin's datasets, projects and disclosure settings, and a
provider's research terms (which dataset its research agreement feeds, which free text it
lets through).

Tenant assumptions: public schema only (datasets, projects, terms and agreements live there).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from reporting.models import DisclosureSettings, ResearchDataset, ResearchProject, ResearchTerms
from reporting.permissions import admin_require, can_research, can_set_research_terms
from sharing.models import Agreement, Purpose, Status
from tenants.audit import audit_record

PROVIDER_MANAGERS_ONLY = "Only a manager of the provider can do this."
TERMS_FIXED = (
    "The research terms of an agreement that is {state} cannot change: amend the agreement "
    "(a new version, signed again by every party) to change them."
)


@transaction.atomic
def dataset_create(*, acting_user: Any, title: str, survey_code: str,
                   description: str = "") -> ResearchDataset:  # fmt: skip
    """A consortium research dataset, fed by the members' surveys with this code."""
    admin_require(acting_user)
    dataset = ResearchDataset(title=title, survey_code=survey_code, description=description)
    dataset.full_clean()
    dataset.save()
    audit_record(action="research.dataset_created", actor=acting_user, target=title)
    return dataset


@transaction.atomic
def project_create(*, acting_user: Any, title: str, purpose: str, ethics_reference: str,
                   end_date: Any, researcher_ids: list[int],
                   dataset_ids: list[int]) -> ResearchProject:  # fmt: skip
    """A project with named researchers (who must hold the researcher role)."""
    from django.contrib.auth import get_user_model

    admin_require(acting_user)
    researchers = list(get_user_model().objects.filter(pk__in=researcher_ids))
    not_researchers = [u.get_username() for u in researchers if not can_research(u)]
    if not researchers or not_researchers:
        raise ValidationError({"researchers": "Name at least one person with the researcher "
                               "role." + (f" Not researchers: {', '.join(not_researchers)}."
                                          if not_researchers else "")})  # fmt: skip
    project = ResearchProject(title=title, purpose=purpose, ethics_reference=ethics_reference,
                              end_date=end_date, created_by=acting_user)  # fmt: skip
    project.full_clean()
    project.save()
    project.researchers.set(researchers)
    project.datasets.set(ResearchDataset.objects.filter(pk__in=dataset_ids))
    audit_record(action="research.project_created", actor=acting_user, target=title,
                 ethics=ethics_reference)  # fmt: skip
    return project


@transaction.atomic
def research_terms_set(
    *, agreement: Agreement, dataset: ResearchDataset, free_text_questions: list[str],
    acting_user: Any,
) -> ResearchTerms:  # fmt: skip
    """Say which dataset a member's research agreement feeds and which free-text answers it
    lets through. A manager of the provider does this while the agreement is a draft or
    awaiting signatures: the terms are part of what the parties sign, so a change while
    awaiting clears the signatures given so far. An agreement in force (or stopped) keeps
    its terms; changing them means amending it."""
    from sharing.models import AgreementEvent, AgreementParty
    from sharing.projection import lock_provider

    if agreement.purpose != Purpose.RESEARCH:
        raise ValidationError("Only an agreement for research can feed a research dataset.")
    if not can_set_research_terms(acting_user, agreement.provider):
        raise PermissionDenied(PROVIDER_MANAGERS_ONLY)
    lock_provider(agreement.provider_id, exclusive=True)
    agreement = Agreement.objects.select_for_update(no_key=True).get(pk=agreement.pk)
    if agreement.status not in (Status.DRAFT, Status.AWAITING):
        raise ValidationError(TERMS_FIXED.format(state=agreement.get_status_display().lower()))
    wanted = {"dataset": dataset, "free_text_questions": sorted(set(free_text_questions))}
    before = ResearchTerms.objects.filter(agreement=agreement).first()
    changed = before is None or (before.dataset_id, before.free_text_questions) != (
        dataset.pk, wanted["free_text_questions"])  # fmt: skip
    terms, _ = ResearchTerms.objects.update_or_create(agreement=agreement, defaults=wanted)
    if changed and agreement.status == Status.AWAITING:
        signed = AgreementParty.objects.filter(agreement=agreement, signed_at__isnull=False)
        if signed.update(signed_by=None, signed_role="", signed_at=None):
            AgreementEvent.objects.create(
                agreement_id=agreement.pk, action="signatures cleared",
                actor_id=getattr(acting_user, "pk", None), member_id=agreement.provider_id,
                detail="the research terms changed",
            )  # fmt: skip
        if agreement.admin_approved_at is not None:
            agreement.admin_approved_by = None
            agreement.admin_approved_at = None
            agreement.save(update_fields=["admin_approved_by", "admin_approved_at"])
    if changed:
        audit_record(action="research.terms_set", actor=acting_user, member=agreement.provider,
                     target=agreement.title, dataset=dataset.title,
                     free_text=wanted["free_text_questions"])  # fmt: skip
    return terms


def research_terms_carry_over(sender: Any, *, agreement: Agreement, previous: Agreement,
                              **_: Any) -> None:  # fmt: skip
    """sharing's amendment signal: a new version starts with the research terms of the one
    it amends, so that the draft shows (and its parties sign) what it will let through."""
    earlier = ResearchTerms.objects.filter(agreement_id=previous.pk).first()
    if earlier is None or ResearchTerms.objects.filter(agreement_id=agreement.pk).exists():
        return
    ResearchTerms.objects.create(agreement=agreement, dataset=earlier.dataset,
                                 free_text_questions=earlier.free_text_questions)  # fmt: skip


@transaction.atomic
def settings_update(*, acting_user: Any, **values: Any) -> DisclosureSettings:
    """Change the consortium's disclosure settings (thresholds, k and l) for later outputs."""
    admin_require(acting_user)
    current = DisclosureSettings.current()
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_by = acting_user
    current.full_clean()
    current.save()
    audit_record(action="research.disclosure_settings", actor=acting_user, target="settings",
                 settings={k: str(v) for k, v in values.items()})  # fmt: skip
    return current
