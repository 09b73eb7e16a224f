"""What carrying out a member's task means, per kind of request: a registry the parts of the
app fill (rights.packs for access, rights.erasure for erasure and correction, and so on), so
the task page and its one POST view need not know them all.

An action takes the task and the acting user, does its work through services (audited, in
the member's schema) and returns a plain-English line for the lead ("The pack is ready to
download once."). It raises ``django.core.exceptions.ValidationError`` with a message people
can act on when it cannot be done.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import MemberTask

TaskAction = Callable[[MemberTask, Any], str]

_ACTIONS: dict[str, TaskAction] = {}


def task_action_register(kind: str, action: TaskAction) -> None:
    _ACTIONS[kind] = action


def task_action_for(kind: str) -> TaskAction | None:
    return _ACTIONS.get(kind)
