"""The task boundary: where work for one member enters that member's schema.

Commands, the demo's fill and the queue's jobs each run code that works on "the current
schema" (crm, events, surveys never choose one). They hand that code to ``member_run`` or
``members_each`` here, so switching schema stays in tenants, the room that loops over
members (STYLE.md "Tenancy rules"); the step itself stays in its own app.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django_tenants.utils import schema_context

from .models import Member

T = TypeVar("T")


def member_run(member: Member | str, step: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """Run ``step(*args, **kwargs)`` on ``member``'s schema (a member or a schema name) and
    come back to the schema the caller was on."""
    schema_name = member if isinstance(member, str) else member.schema_name
    with schema_context(schema_name):
        return step(*args, **kwargs)


def members_each(members: Iterable[Member], step: Callable[[Member], Any]) -> None:
    """Run ``step(member)`` on each member's own schema, in order."""
    for member in members:
        member_run(member, step, member)
