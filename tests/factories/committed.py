"""Records that must really commit: the browser tests' server subprocess reads them on its
own connection, so a test's rolled-back transaction would hide them."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from typing import Any, TypeVar, cast

from tests.threads import in_thread

Made = TypeVar("Made")


def committed(
    blocker: Any, make: Callable[[], Made], remove: Callable[[Made], None] | None = None
) -> Iterator[Made]:
    """The body of a fixture (``yield from committed(django_db_blocker, make, remove)``):
    ``make()`` runs in a worker thread, where its writes commit; the fixture gives what it
    returned; afterwards ``remove(made)`` runs the same way, however the test ended."""
    made = cast("Made", in_thread(make, blocker=blocker))
    try:
        yield made
    finally:
        if remove is not None:
            in_thread(functools.partial(remove, made), blocker=blocker)
