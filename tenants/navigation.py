"""The member site's navigation: each part appears as a link once its app serves it."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

# (label, url name) in the order staff expect them.
MEMBER_SECTIONS = [
    ("Contacts", "crm:contact_list"),
    ("Organisations", "crm:organisation_list"),
    ("Imports", "crm:import_start"),
    ("Events", "events:event_list"),
    ("Shared with us", "sharing:shared_list"),
    ("Agreements", "sharing:agreement_list"),
    ("Reports", "reporting:dashboard"),
]


def member_nav(request: HttpRequest) -> list[dict[str, object]]:
    items = []
    for label, name in MEMBER_SECTIONS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            url = None
        current = bool(url) and request.path.startswith(url) and url != "/"
        items.append({"label": label, "url": url, "current": current})
    return items
