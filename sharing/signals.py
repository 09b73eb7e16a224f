"""Signals of the agreement lifecycle, for other apps to follow without sharing knowing them.

``agreement_state_changed`` is sent inside the lifecycle's transaction (under the provider's
exclusive lock) when an agreement comes into force (``active=True``: activated or resumed)
or stops (``active=False``: suspended, terminated, expired or superseded). A listener's
writes commit or roll back with the state change. kwargs: ``agreement``, ``active``.

``agreement_amended`` is sent inside ``agreement_amend``'s transaction once the new version
(a draft) exists, so that terms kept outside sharing can follow it. kwargs: ``agreement``
(the new version), ``previous``.
"""

from __future__ import annotations

from django.dispatch import Signal

agreement_state_changed = Signal()
agreement_amended = Signal()
