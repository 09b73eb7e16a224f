"""How the CRM announces what changed, so other parts of the product can follow.

Every write path calls :func:`announce` inside its transaction with the ids it touched,
bulk paths included (``bulk_create``, ``update()`` and raw SQL send no model signals).
Listeners run in the same transaction, so what they derive commits or rolls back with it.
``crm`` knows nothing of its listeners.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.dispatch import Signal

# kwargs: record_type ("contact" | "organisation"), ids (list[int]), action, acting_user
records_changed = Signal()

SAVED = "saved"
DELETED = "deleted"
TAGGED = "tagged"
CONSENT = "consent"
MERGED = "merged"


def announce(*, record_type: str, ids: Iterable[int], action: str, acting_user: Any = None) -> None:
    id_list = sorted({int(i) for i in ids})
    if id_list:
        records_changed.send(
            sender=record_type, record_type=record_type, ids=id_list, action=action,
            acting_user=acting_user,
        )  # fmt: skip
