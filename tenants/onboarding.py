"""What other apps add to onboarding a member, without tenants importing them.

* ``member_created``: sent inside member_create's transaction, once the member's row, domain
  and schema exist (arguments: ``member``, ``acting_user``). A receiver that raises undoes the
  whole onboarding.
* ``joining_terms_register``: a callable returning what joining means, shown on the
  add-member page before anyone confirms: a list of {"title", "purpose", "description",
  "lines"}.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.dispatch import Signal

member_created = Signal()

_joining_sources: list[Callable[[], list[dict[str, Any]]]] = []


def joining_terms_register(source: Callable[[], list[dict[str, Any]]]) -> None:
    if source not in _joining_sources:
        _joining_sources.append(source)


def joining_terms() -> list[dict[str, Any]]:
    return [term for source in _joining_sources for term in source()]
