"""Extra panels on a contact's or organisation's page, supplied by other apps.

Other apps register a panel function; ``crm`` renders whatever they return and never
imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest
from django.utils.safestring import SafeString

# panel(request, record_type, record) -> rendered HTML (or "" for nothing to show)
Panel = Callable[[HttpRequest, str, Any], SafeString | str]
_panels: list[Panel] = []


def panel_register(panel: Panel) -> Panel:
    if panel not in _panels:
        _panels.append(panel)
    return panel


def panels_render(request: HttpRequest, record_type: str, record: Any) -> list[str]:
    return [html for html in (panel(request, record_type, record) for panel in _panels) if html]
