"""What the subject access task's panel shows: the task's packs and whether this person may
build or download them (rights/task_kinds/access.html)."""

from __future__ import annotations

from typing import Any

from django import template

from rights.models import MemberTask
from rights.pack_permissions import can_handle_pack

register = template.Library()


@register.simple_tag
def pack_panel(task: MemberTask, user: Any) -> dict[str, Any]:
    packs = list(task.packs.select_related("built_by", "downloaded_by"))
    current = packs[0] if packs else None
    return {
        "packs": packs,
        "current": current,
        "may_act": can_handle_pack(user, task),
    }
