"""Running work in the background for one member: Celery where Redis is configured, a
worker thread otherwise. The work enters the member's schema at this boundary.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings
from django.db import connections
from django.utils.module_loading import import_string
from django_tenants.utils import schema_context


def member_task_run(schema_name: str, dotted_path: str, *args: Any) -> None:
    """Run ``dotted_path(*args)`` on ``schema_name``'s schema (in this process)."""
    try:
        with schema_context(schema_name):
            import_string(dotted_path)(*args)
    finally:
        connections.close_all()


def member_task_start(*, schema_name: str, dotted_path: str, args: tuple = ()) -> str:
    """Start work for a member in the background; returns how ("celery" or "thread")."""
    if settings.CELERY_ENABLED:
        from .tasks import member_task

        member_task.delay(schema_name, dotted_path, *args)
        return "celery"
    worker = threading.Thread(
        target=member_task_run, args=(schema_name, dotted_path, *args), daemon=True,
        name=f"commons-{schema_name}-{dotted_path.rsplit('.', 1)[-1]}",
    )  # fmt: skip
    worker.start()
    return "thread"


def side_connection_execute(*, alias: str, schema_name: str, sql: str, params: list) -> None:
    """Run one statement on connection ``alias`` (autocommit), on ``schema_name``.

    For progress reports that must be visible while the main connection's transaction is
    still open (an import's, say).
    """
    other = connections[alias]
    if alias != "default":
        other.set_schema(schema_name)
    with other.cursor() as cursor:
        cursor.execute(sql, params)
