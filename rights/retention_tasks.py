"""The queue's side of retention: the nightly job that queues a run for every member with a
schedule in use, and the job that carries one run out on its member's schema (entered at
the task boundary, tenants.queue.member_task).

Both are safe to run twice: a second nightly job in the same minute is refused by its
queueing lock, and a run job run again (a stalled worker's, put back) carries on where the
first stopped or finds its run finished.
"""

from __future__ import annotations

from procrastinate import Blueprint

from .retention_models import RetentionRun
from .retention_services import retention_nightly_queue, retention_run

tasks = Blueprint()


@tasks.task(name="rights.retention_nightly", queueing_lock="rights.retention_nightly")
def retention_nightly(timestamp: int) -> list[int]:
    """Queue a retention run for every member with a schedule in use (the ids of the runs)."""
    return retention_nightly_queue(acting_user=None)


def retention_run_job(run_id: int) -> None:
    """Carry out run ``run_id`` (queued by "Run now" or the nightly job) on this schema."""
    run = RetentionRun.objects.select_related("member", "requested_by").filter(pk=run_id).first()
    if run is None:
        return
    retention_run(member=run.member, acting_user=run.requested_by, trigger=run.trigger, run=run)
