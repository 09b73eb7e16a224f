"""The names the research pool and projects give organisations, never their own.

``match_key`` is the pool's key for an organisation: the consortium's keyed hash of its
identifier, so one organisation surveyed by several members is one organisation in the pool.
``pseudonym`` is a project's name for it: a keyed hash of the match key with the project's
own key, stable across the project's waves and different in every other project.

A module of its own so that the pool (which makes match keys and renames snapshot rows when
an agreement is amended) and research (which takes snapshots) both use one definition
without importing each other.
"""

from __future__ import annotations

import hmac
from hashlib import sha256
from typing import TYPE_CHECKING

from django.utils.crypto import salted_hmac

if TYPE_CHECKING:
    from .models import ResearchProject


def match_key(identifier: str | None, *, provider_id: int, organisation_id: int) -> str:
    """The consortium's keyed hash of an organisation's identifier; an organisation without
    one cannot be matched, so it gets a key of its own."""
    if identifier:
        value = "id:" + identifier.strip().upper().replace(" ", "")
    else:
        value = f"member:{provider_id}:organisation:{organisation_id}"
    return salted_hmac("reporting.pool.match", value, algorithm="sha256").hexdigest()


def pseudonym(project: ResearchProject, key: str) -> str:
    """The project's name for an organisation: a keyed hash of the pool's match key, stable
    across the project's waves and different in every other project."""
    digest = hmac.new(project.key.encode(), key.encode(), sha256).hexdigest()
    return "P" + digest[:15].upper()
