"""A contact's or an organisation's timeline, from the CRM and from registered sources.

Other apps (events, say) register a source; ``crm`` never imports them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection


@dataclass(frozen=True)
class TimelineEntry:
    when: date | datetime
    kind: str
    title: str
    detail: str = ""
    url: str = ""


# source(record_type, record_id, schema_name) -> list of entries
TimelineSource = Callable[[str, int, str], list[TimelineEntry]]
_sources: list[TimelineSource] = []


def timeline_source_register(source: TimelineSource) -> TimelineSource:
    if source not in _sources:
        _sources.append(source)
    return source


def timeline_external(record_type: str, record_id: int) -> list[TimelineEntry]:
    entries: list[TimelineEntry] = []
    for source in _sources:
        entries.extend(source(record_type, record_id, connection.schema_name))
    return entries
