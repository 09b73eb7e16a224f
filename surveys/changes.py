"""How surveys announce new or changed responses, so research pooling can follow in the same
transaction. ``surveys`` knows nothing of its listeners (reporting listens)."""

from __future__ import annotations

from django.dispatch import Signal

# kwargs: survey_code (str), response_ids (list[int]); sent on the member's schema.
responses_changed = Signal()
