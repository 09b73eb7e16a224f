"""Sweep: raw codes never reach people. Every page of both URLconfs (found as the form
round-trip sweep finds them, with real records filled in every field) is rendered for a
member's manager and a consortium admin, and its visible text may hold no stored code:
no TextChoices value that differs from its label (``social_enterprise``, or ``Type:
charity``), no enum name (``SOCIAL_ENTERPRISE``), no audit-log action code
(``membership.added``) and no model field name (``org_type``)."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.urls import get_resolver

from tests import test_form_roundtrip
from tests.factories import AgreementFactory
from tests.subclasses import project_subclasses
from tests.test_form_roundtrip import (
    PROJECT_APPS,
    _url_on,
    _walk,
)

full_records = test_form_roundtrip.full_records


class _Text(HTMLParser):
    """The text a person sees: no tags, attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in {"script", "style", "template"}:
            self.skip += 1

    def handle_endtag(self, tag):
        if tag in {"script", "style", "template"} and self.skip:
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return html.unescape(" ".join(parser.parts))


def _codes() -> list[tuple[str, re.Pattern]]:
    """(what, pattern) for every code that must not show, found from the code itself."""
    from tenants.models import AuditEntry

    found: list[tuple[str, re.Pattern]] = []
    for choices in project_subclasses(models.TextChoices):
        for member in choices:
            value, label = str(member.value), str(member.label)
            if not value or value.lower() == label.lower():
                continue
            name = f"{choices.__name__}.{member.name}"
            if member.name not in label:  # "(CIO)" in a label is words, not the enum name
                found.append((name, re.compile(rf"\b{re.escape(member.name)}\b")))
            if "_" in value:
                found.append((name, re.compile(rf"(?<![\w./-]){re.escape(value)}(?![\w/-])")))
            else:  # a plain word is a code only as the value of something: "Type: charity"
                found.append((name, re.compile(rf"\b[A-Z][a-z]*:\s+{re.escape(value)}\b")))
    for action in set(AuditEntry.objects.values_list("action", flat=True)):
        if "." in action:
            found.append((f"audit {action}", re.compile(rf"(?<![\w.]){re.escape(action)}\b")))
    for model in apps.get_models():
        if model._meta.app_label in PROJECT_APPS:
            for field in model._meta.concrete_fields:
                if "_" in field.name and not field.name.endswith("_id"):
                    found.append(
                        (f"field {model.__name__}.{field.name}",
                         re.compile(rf"(?<![\w.-]){field.name}(?![\w-])"))
                    )  # fmt: skip
    return found


@pytest.fixture
def shared_with_b(full_records, member_a, member_b):
    """Member A's organisations (every shareable field) shared with member B, in force."""
    from sharing.models import SHAREABLE_FIELDS

    return AgreementFactory(
        provider=member_a, recipients=[member_b], title="Directory for B", in_force=True,
        organisation_fields=list(SHAREABLE_FIELDS["organisation"]),
    )  # fmt: skip


# Links to a CSV download: a path ending .csv, or a query asking for format=csv.
CSV_LINK = re.compile(r'href="([^"]*(?:\.csv|format=csv)[^"]*)"')


@pytest.mark.timeout(300)
def test_no_page_shows_a_raw_code(shared_with_b, client_for, user, member_a, member_b):
    """No list, detail or form page of either site, nor a CSV export they link to, shows a
    stored code instead of words: a provider's and a recipient's member sites (shared
    records included) and the consortium's."""
    codes = _codes()
    sites = [
        (client_for(user("manager-a"), member_a), settings.ROOT_URLCONF, member_a),
        (client_for(user("manager-b"), member_b), settings.ROOT_URLCONF, member_b),
        (client_for(user("admin-c"), None), settings.PUBLIC_SCHEMA_URLCONF, member_a),
    ]
    problems, pages, exports = [], 0, 0
    for client, urlconf, member in sites:
        for name, route, _ in _walk(get_resolver(urlconf).url_patterns):
            if name.startswith("api") or "api/" in route:
                continue
            url = _url_on(urlconf, name, route, member)
            response = client.get(url)
            if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
                continue
            pages += 1
            page = response.content.decode()
            readings = [(url, visible_text(page))]
            # The page's CSV exports are read by people too (in a spreadsheet).
            for href in sorted(set(CSV_LINK.findall(page))):
                href = html.unescape(href)
                if href.startswith("?"):
                    href = url.split("?")[0] + href
                if href.startswith("/"):
                    export = client.get(href)
                    if export.status_code == 200 and "csv" in export.get("Content-Type", ""):
                        exports += 1
                        readings.append((href, export.content.decode("utf-8-sig")))
            for where, text in readings:
                for what, pattern in codes:
                    match = pattern.search(text)
                    if match:
                        around = text[max(0, match.start() - 40) : match.end() + 40]
                        problems.append(f"{where}: {what} in “{' '.join(around.split())}”")
    assert pages > 30
    assert exports > 3
    assert problems == [], "\n".join(sorted(set(problems)))
