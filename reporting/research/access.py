"""Who works in which research project: the reads a researcher's pages start from, and the
checks every researcher's write makes.

Tenant assumptions: public schema only (projects live there).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet

from reporting.models import ResearchProject
from reporting.permissions import can_research, can_research_project

NOT_YOURS = "This project does not exist, or you are not one of its researchers."
PROJECT_ENDED = "This project has ended; its outputs stay in the release log."


def project_get_for_researcher(*, user: Any, project_id: int) -> ResearchProject:
    """A project the user researches in; anything else is the same not-found."""
    project = ResearchProject.objects.filter(pk=project_id, researchers=user).first()
    if project is None or not can_research(user):
        raise ResearchProject.DoesNotExist(NOT_YOURS)
    return project


def projects_for(*, user: Any) -> QuerySet[ResearchProject]:
    """The projects the user is named on, if they hold the researcher role."""
    if not can_research(user):
        return ResearchProject.objects.none()
    return ResearchProject.objects.filter(researchers=user).prefetch_related("datasets")


def project_require_open(project: ResearchProject) -> None:
    """Refuse new work in a project past its end date."""
    if not project.is_open:
        raise PermissionDenied(PROJECT_ENDED)


def project_require_researcher(project: ResearchProject, user: Any) -> None:
    """Refuse a researcher's write to anyone not named on the project (``None`` included)."""
    if not can_research_project(user, project):
        raise PermissionDenied(NOT_YOURS)
