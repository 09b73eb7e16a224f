"""Run database work in a thread of its own, with its own connection, and hand back its
result or its exception.

Browser tests need it because Playwright's event loop owns the main thread (Django refuses
ORM calls there); race tests need it for a second connection. The thread is always joined:
one left running would touch the database after its test had ended.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import nullcontext


def in_thread(fn: Callable[[], object], *, timeout: float = 240, blocker=None) -> object:
    """``fn()`` in a new thread; its writes commit. ``blocker`` is pytest-django's
    ``django_db_blocker`` where the caller runs outside a database test."""
    from django.db import connections

    box: dict[str, object] = {}

    def run() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:
            box["error"] = exc
        finally:
            connections.close_all()

    with blocker.unblock() if blocker is not None else nullcontext():
        worker = threading.Thread(target=run)
        worker.start()
        worker.join(timeout=timeout)
        assert not worker.is_alive(), "database work in a worker thread did not finish"
    if "error" in box:
        raise box["error"]
    return box.get("value")


def expect(target):
    """Playwright's auto-waiting assertion (imported late: playwright is a dev requirement)."""
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(target)
