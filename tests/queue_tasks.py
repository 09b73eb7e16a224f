"""Work for the queue tests (tests/test_queue.py) to hand a worker through
``tenants.queue.member_task``: importable by a worker process, so not in a test module."""

from __future__ import annotations

import os
from pathlib import Path

from django.db import connection


def lock_wait_then_record(lock_key: int, path: str) -> None:
    """Wait for the test to let go of advisory lock ``lock_key``, then add this process's id
    to the file at ``path``. The wait takes the lock shared, so every waiter (a dead
    worker's session among them) gets it at the same moment, and none waits for another."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock_shared(%s)", [lock_key])
        cursor.execute("SELECT pg_advisory_unlock_shared(%s)", [lock_key])
        cursor.execute("SELECT current_schema()")
        (schema,) = cursor.fetchone()
    with Path(path).open("a", encoding="utf-8") as record:
        record.write(f"{os.getpid()} {schema}\n")
