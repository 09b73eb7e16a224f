"""The exit's scheduled job on the queue (tenants/queue.py): dropping the schemas of members
whose grace period is over. Registered on procrastinate's app by ``RightsConfig.queue_plug``
(tenants.queue calls it when the queue's app is ready)."""

from __future__ import annotations

from django.conf import settings
from procrastinate import App, Blueprint

tasks = Blueprint()


@tasks.task(name="rights.member_exits_drop_due", queueing_lock="rights.member_exits_drop_due")
def member_exits_drop_due_task(timestamp: int) -> list[int]:
    """Drop what is due; returns the exits' ids. Safe to run twice: a dropped exit is no
    longer leaving."""
    from .exit_services import member_exits_drop_due

    return [exit_.pk for exit_ in member_exits_drop_due(acting_user=None)]


def exit_queue_ready(app: App) -> None:
    app.add_tasks_from(tasks, namespace="")
    app.periodic(cron=settings.EXIT_DROP_CRON, periodic_id="exit_drop")(member_exits_drop_due_task)
