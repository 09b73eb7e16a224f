"""The member site's navigation: each part appears as a link once its app serves it."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from .permissions import is_manager_or_lead_of

# (label, url name, what it is for) in the order staff expect them.
MEMBER_SECTIONS = [
    ("Contacts", "crm:contact_list", "The people you work with: search, tags, consent, history."),
    ("Organisations", "crm:organisation_list",
     "The groups you support, with their identifiers, people and interactions."),
    ("Imports", "crm:import_start",
     "Bring in a spreadsheet, checked row by row before anything is saved."),
    ("Events", "events:event_list", "Training, networking days and forums across the consortium."),
    ("Rooms and resources", "events:resource_list",
     "Book rooms, projectors, minibuses and staff time; see the week in the planner."),
    ("Planner", "events:planner",
     "Every room and resource you may book, day by day or week by week."),
    ("Shared with us", "sharing:shared_list",
     "Records other members share with you under signed agreements."),
    ("Agreements", "sharing:agreement_list",
     "What you share, with whom and why: propose, sign, pause or end."),
    ("Surveys", "surveys:survey_list",
     "Ask the organisations you support the same questions each year."),
    ("Reports", "reporting:report_list",
     "Build, save and export your own tables and charts."),
]  # fmt: skip


# The member site's paths of people's rights (rights.urls), for the nav's current item.
DATA_PROTECTION_PATHS = ("/data-protection/", "/data-rights/", "/rights/", "/processing/",
                         "/breaches/", "/exit/")  # fmt: skip


def member_nav(request: HttpRequest) -> list[dict[str, object]]:
    items = []
    for label, name, description in MEMBER_SECTIONS:
        try:
            url = reverse(name)
        except NoReverseMatch:
            url = None
        current = bool(url) and request.path.startswith(url) and url != "/"
        items.append({"label": label, "url": url, "current": current, "description": description})
    # People's rights (issue 14): one hub page leads to each part, for the member's data
    # protection leads and its managers.
    member, user = getattr(request, "tenant", None), getattr(request, "user", None)
    if is_manager_or_lead_of(user, member, membership=getattr(request, "membership", None)):
        try:
            url = reverse("rights:hub")
        except NoReverseMatch:
            url = None
        if url:
            items.append({
                "label": "Data rights", "url": url,
                "current": request.path.startswith(DATA_PROTECTION_PATHS),
                "description": "People's requests about their data with their deadlines, "
                "copies to put right, breaches, retention and the record of processing.",
            })  # fmt: skip
    return items


# count(request) -> {"label", "url", "count"} for something waiting for this person on this
# member's site (shown in the header when there is any), or None. Apps above register theirs
# (rights: copies to erase or correct); tenants never imports them.
HeaderCount = Callable[[HttpRequest], dict[str, object] | None]
_header_counts: list[HeaderCount] = []


def header_count_register(count: HeaderCount) -> HeaderCount:
    if count not in _header_counts:
        _header_counts.append(count)
    return count


def header_counts(request: HttpRequest) -> list[dict[str, object]]:
    """What is waiting for the signed-in person here: the registered counts above zero."""
    if not getattr(getattr(request, "user", None), "is_authenticated", False):
        return []
    found = (count(request) for count in _header_counts)
    return [item for item in found if item and item.get("count")]
