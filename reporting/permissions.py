"""Who may do what in reporting and research: small predicates, and decorators for views.

Every predicate answers no for no one at all (``None``): a write that names nobody as its
actor is refused, never waved through. The consortium-wide roles are tenants' own
(``is_consortium_admin``, ``is_researcher``); what reporting adds is who is named on a project
and who manages the member whose data a research agreement lets into the pool.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tenants.permissions import (
    AnyUser,
    can_manage_people,
    is_consortium_admin,
    is_researcher,
    permission_require,
    request_passes,
)

if TYPE_CHECKING:
    from tenants.models import Member

    from .models import ResearchProject

ADMIN_ONLY = "Only a consortium admin can do this."


def can_administer(user: AnyUser | None) -> bool:
    """A consortium admin: the consortium's reports and surveys, research set-up, the
    disclosure settings and the release log."""
    return user is not None and is_consortium_admin(user)


def can_research(user: AnyUser | None) -> bool:
    """Someone holding the researcher role (which projects they work in is separate)."""
    return user is not None and is_researcher(user)


def can_research_project(user: AnyUser | None, project: ResearchProject) -> bool:
    """A researcher named on this project: they alone take its snapshots, produce and
    release its outputs, whatever other role they hold."""
    if user is None or user.pk is None or not can_research(user):
        return False
    return project.researchers.filter(pk=user.pk).exists()


def can_see_outputs(user: AnyUser | None) -> bool:
    """Researchers (their own projects' outputs) and consortium admins (every output, in
    the release log)."""
    return can_research(user) or can_administer(user)


def can_set_research_terms(user: AnyUser | None, provider: Member) -> bool:
    """A manager of the member whose survey answers a research agreement pools: what the
    pool may take is part of what the provider signs."""
    return user is not None and can_manage_people(user, provider)


def admin_require(user: AnyUser | None, message: str = ADMIN_ONLY) -> None:
    """Refuse a consortium admin's write to anyone else (``None`` included)."""
    permission_require(can_administer(user), message)


admin_required = request_passes(lambda request: can_administer(request.user))
researcher_required = request_passes(lambda request: can_research(request.user))
outputs_viewer_required = request_passes(lambda request: can_see_outputs(request.user))
