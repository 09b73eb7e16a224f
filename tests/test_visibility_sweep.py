"""Sweep: every model that points at a contact keeps a restricted contact's rows invisible to
colleagues without the grant (issue 11, "Every model's visibility").

Targets are discovered, not listed: every model (through tables included) with a foreign
key, many-to-many or one-to-one to ``crm.Contact``, or one hop from such a model, and every
model declaring ``contact_ref_fields`` (public-schema models that hold a member's contact id
as a plain number). A plain integer field named like ``contact_id``, ``record_id`` or
``organisation_id`` must be declared in ``contact_ref_fields`` or ``organisation_ref_fields``,
so a new model of that kind cannot slip past.

For each target a maker writes a row tied to one restricted contact, with unique marker words.
Then every GET page and API path of the member's site (walked from the URLconf, with the ids
of what was made), searches and misspellings on every list, exports (CSV and XLSX, unzipped),
the dashboard's charts, the report builder and the API's counts are read as staff without
the grant, as the granted manager, and as another member's staff. No marker may reach the
first and the last; every marker must reach the granted manager somewhere (so the sweep
cannot pass by showing nothing).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.validators import MaxLengthValidator
from django.db import connection, models
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone

from tests.factories import (
    AgreementFactory,
    ContactFactory,
    InteractionFactory,
    OrganisationFactory,
    TagFactory,
)

pytestmark = pytest.mark.django_db

PLAIN_REF = re.compile(r"(^|_)(contact|record|organisation)_ids?$")
# Paths that are no page of a signed-in colleague's (sign-in, files, the survey link).
SKIP_PREFIXES = ("accounts/", "static/", "healthz", "respond/", "media/")
# Made-up words no demo or test record contains: each marker is one of them.
WORDS = [a + b for a in ("quor", "zelm", "brack", "ystr", "vulp", "thran", "osker", "pellm")
         for b in ("vane", "ith", "wold", "ane", "enny", "dle", "win", "und")]  # fmt: skip


# --- discovery ---------------------------------------------------------------------------


def _relations_to(model: type[models.Model], targets: set) -> list[str]:
    """Forward relations of ``model`` (FK, O2O, M2M; a through table's FKs) to ``targets``."""
    names = []
    for f in model._meta.get_fields():
        if f.is_relation and not f.auto_created and f.related_model in targets:
            names.append(f.name)
    return names


def contact_models() -> list[type[models.Model]]:
    """Every model holding something of a contact: the contact itself, models relating to it
    directly or through one hop, and models declaring plain contact ids."""
    contact = apps.get_model("crm", "Contact")
    every = apps.get_models(include_auto_created=True)
    direct = {m for m in every if m is not contact and _relations_to(m, {contact})}
    hop = {m for m in every if m not in direct and m is not contact and _relations_to(m, direct)}
    declared = {m for m in every if getattr(m, "contact_ref_fields", ())}
    found = {contact} | direct | hop | declared
    found.discard(get_user_model())
    return sorted(found, key=lambda m: m._meta.label)


def undeclared_plain_refs() -> list[str]:
    """Plain number fields named like a contact or organisation id that no marker declares."""
    missing = []
    for model in apps.get_models():
        declared = set(getattr(model, "contact_ref_fields", ())) | set(
            getattr(model, "organisation_ref_fields", ())
        )
        for f in model._meta.concrete_fields:
            if not f.is_relation and PLAIN_REF.search(f.name) and f.name not in declared:
                missing.append(f"{model._meta.label}.{f.name}")
    return missing


def owner_of(model: type[models.Model]) -> type[models.Model]:
    """A through table is made by the model that owns its many-to-many field."""
    if model._meta.auto_created:
        return model._meta.auto_created
    return model


def test_every_plain_contact_or_organisation_id_is_declared():
    """A plain integer field named like contact_id / record_id / organisation_id (a member's
    record id held where no foreign key can point) is declared on its model, so the
    visibility sweep knows it; an undeclared one fails here."""
    assert undeclared_plain_refs() == []


def test_discovery_finds_the_known_kinds():
    """Discovery reaches direct links, through tables, one-hop models and declared plain ids
    (a floor, not the list: new models are added by discovery, not here)."""
    labels = {m._meta.label for m in contact_models()}
    assert {"crm.Contact", "crm.Consent", "crm.ContactRole", "crm.Interaction",
            "crm.Interaction_contacts", "crm.Interaction_organisations",
            "events.Registration", "sharing.SharedRecord"} <= labels  # fmt: skip


def test_every_contact_model_has_a_maker():
    """The sweep can write a row of every discovered model (a new model fails here until
    a maker is written for it below, or the generic maker can fill it)."""
    missing = [m._meta.label for m in contact_models() if _maker_for(m) is None]
    assert missing == []


# --- the world and the makers --------------------------------------------------------------


@dataclass
class World:
    member_a: Any
    member_b: Any
    staff: Any
    manager: Any
    other: Any
    org: Any
    event: Any
    consortium_event: Any
    made: dict[str, list[tuple[str, int]]] = field(default_factory=dict)  # label -> (kind, pk)
    markers: dict[str, set[str]] = field(default_factory=dict)  # label -> words
    id_only: set[str] = field(default_factory=set)
    words: list[str] = field(default_factory=lambda: list(WORDS))
    surname: str = ""  # of the first restricted contact made, for the searches

    def word(self) -> str:
        return self.words.pop(0)

    def restricted_contact(self, label: str, tags: list | None = None):
        """A new restricted contact (granted to the manager, who makes it), its name and
        e-mail made of marker words that count for ``label``."""
        first, last = self.word(), self.word()
        contact = ContactFactory(
            acting_user=self.manager, first_name=first.title(), last_name=last.title(),
            email=f"{first}.{last}@example.org", is_restricted=True, tags=tags or [],
        )  # fmt: skip
        self.note(label, "contact", contact.pk, first.title(), last.title())
        self.surname = self.surname or last.title()
        return contact

    def note(self, label: str, kind: str, pk: int, *words: str) -> None:
        self.made.setdefault(label, []).append((kind, pk))
        self.markers.setdefault(label, set()).update(words)


def make_contact(world: World, model) -> None:
    world.restricted_contact("crm.Contact", tags=[_common_tag()])


def make_interaction(world: World, model) -> None:
    contact = world.restricted_contact("crm.Interaction")
    summary, outcome = world.word(), world.word()
    interaction = InteractionFactory(
        acting_user=world.manager, kind="advice", summary=f"{summary.title()} session",
        outcome=f"{outcome.title()} agreed", duration_minutes=50, contacts=[contact],
        organisations=[world.org],
    )  # fmt: skip
    world.note("crm.Interaction", "interaction", interaction.pk, summary.title(), outcome.title())


def make_registration(world: World, model) -> None:
    from events import services

    contact = world.restricted_contact("events.Registration")
    needs = world.word()
    registration = services.registration_for_contact(
        acting_user=world.manager, member=world.member_a, event=world.event, contact_id=contact.pk,
        access_needs=f"{needs.title()} ramp",
    )  # fmt: skip
    world.note("events.Registration", "registration", registration.pk, needs.title())


def make_disclosure(world: World, model) -> None:
    """A booking onto a consortium event logs a disclosure holding the contact's id only."""
    from events import services

    contact = world.restricted_contact("sharing.Disclosure")
    services.registration_for_contact(
        acting_user=world.manager, member=world.member_a, event=world.consortium_event,
        contact_id=contact.pk,
    )  # fmt: skip
    world.id_only.add("sharing.Disclosure")


def make_shared_record(world: World, model) -> None:
    """A restricted contact given the tag the world's active agreement selects: the
    projection must leave it out, so another member finds none of it."""
    world.restricted_contact("sharing.SharedRecord", tags=[_common_tag()])
    world.id_only.add("sharing.SharedRecord")  # nothing of it may exist for anyone else


def make_member_task(world: World, model) -> None:
    """A rights request's task at the contact's member holds the contact's id only: no page
    may show anything of the contact to someone who may not see it."""
    from rights.models import IdentityCheck, MemberTask, RequestKind, RightsRequest

    contact = world.restricted_contact("rights.MemberTask")
    today = timezone.localdate()
    request = RightsRequest.objects.create(
        reference=f"SWEEP-{contact.pk}", kind=RequestKind.ACCESS, received_on=today,
        due_on=today, identity_check=IdentityCheck.DOCUMENT, identity_checked_on=today,
        opened_by=world.manager,
    )  # fmt: skip
    MemberTask.objects.create(request=request, member=world.member_a, contact_ids=[contact.pk])
    world.id_only.add("rights.MemberTask")


def make_copy_notice(world: World, model) -> None:
    """An Art. 19 notice at the contact's member about its copy (the restricted contact) of
    a record another member erased: the copies page must not name it to staff who may not
    see it."""
    from rights.models import CopyNotice, NoticeKind, ReceivedBy

    contact = world.restricted_contact("rights.CopyNotice")
    CopyNotice.objects.create(
        member=world.member_a, provider_id=world.member_b.pk,
        provider_name=world.member_b.name, kind=NoticeKind.ERASE, record_type="contact",
        record_id=contact.pk, received_by=ReceivedBy.COPY, copy_id=contact.pk,
    )  # fmt: skip
    world.id_only.add("rights.CopyNotice")


def make_person_key(world: World, model) -> None:
    """A restricted contact's keyed hashes hold its ids only (and hashes, no value): no page
    may show anything of the contact to someone who may not see it."""
    world.restricted_contact("sharing.PersonKey")
    world.id_only.add("sharing.PersonKey")


def _common_tag():
    return TagFactory(name="Newsletter")


def make_generic(world: World, model) -> None:
    """Any simple model with a foreign key to Contact: every text field holds a marker word,
    other required fields get plain values, a link to an organisation gets the world's."""
    label = model._meta.label
    contact = world.restricted_contact(label)
    word = world.word()
    values: dict[str, Any] = {}
    contact_model = apps.get_model("crm", "Contact")
    organisation_model = apps.get_model("crm", "Organisation")
    for f in model._meta.concrete_fields:
        if f.primary_key or getattr(f, "generated", False):
            continue
        if f.is_relation:
            if f.related_model is contact_model:
                values[f.name] = contact
            elif f.related_model is organisation_model:
                values[f.name] = world.org
            elif f.related_model._meta.label == "auth.User":
                values[f.name] = world.manager
            elif not f.null:
                raise LookupError(f"{label}.{f.name}: no generic value; write a maker")
            continue
        if f.choices:
            values[f.name] = f.choices[0][0]
        elif isinstance(f, models.EmailField):
            values[f.name] = f"{word}@example.org"
        elif isinstance(f, models.CharField | models.TextField) and all(
            isinstance(v, MaxLengthValidator) for v in f.validators
        ):
            values[f.name] = word.title()[: f.max_length or None]
        elif (
            f.has_default()
            or f.null
            or getattr(f, "auto_now", False)
            or getattr(f, "auto_now_add", False)
        ):
            continue
        elif isinstance(f, models.DateTimeField):
            values[f.name] = timezone.now()
        elif isinstance(f, models.DateField):
            values[f.name] = timezone.localdate()
        elif isinstance(f, models.IntegerField):
            values[f.name] = 1
        elif isinstance(f, models.BooleanField):
            values[f.name] = False
        else:
            raise LookupError(f"{label}.{f.name}: no generic value; write a maker")
    row = model.objects.create(**values)
    has_text = any(isinstance(v, str) and word.title() in v for v in values.values())
    world.note(label, model._meta.model_name, row.pk, *([word.title()] if has_text else []))


MAKERS: dict[str, Callable[[World, Any], None]] = {
    "crm.Contact": make_contact,
    "crm.Interaction": make_interaction,
    "events.Registration": make_registration,
    "sharing.Disclosure": make_disclosure,
    "sharing.SharedRecord": make_shared_record,
    "rights.MemberTask": make_member_task,
    "sharing.PersonKey": make_person_key,
    "rights.CopyNotice": make_copy_notice,
}


def _maker_for(model) -> Callable[[World, Any], None] | None:
    owner = owner_of(model)
    if owner._meta.label in MAKERS:
        return MAKERS[owner._meta.label]
    contact = apps.get_model("crm", "Contact")
    if _relations_to(owner, {contact}) and owner._meta.app_label == "crm":
        return make_generic
    return None


# --- reading everything ------------------------------------------------------------------


def _patterns(resolver, prefix: str = "") -> list[tuple[str, list[tuple[str, str]]]]:
    """(route with {name} holes, [(name, converter)]) for every pattern of a URLconf."""
    found = []
    for p in resolver:
        route = str(p.pattern)
        if route.startswith("^"):
            if "format" in route:
                continue  # DRF's format-suffix twins of routes listed anyway
            holes = re.findall(r"\(\?P<(\w+)>[^)]*\)", route)
            route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"{\1}", route.lstrip("^").rstrip("$"))
            route = route.replace("\\", "")
            kinds = [(h, "int" if h == "pk" else "str") for h in holes]
        else:
            kinds = [(n, c or "str") for c, n in re.findall(r"<(?:(\w+):)?(\w+)>", route)]
            route = re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", route)
        if isinstance(p, URLResolver):
            found += [(prefix + route + r, kinds + k) for r, k in _patterns(p.url_patterns)]
        elif isinstance(p, URLPattern):
            found.append((prefix + route, kinds))
    return found


def paths_to_read(world: World) -> list[str]:
    """Every GET path of the member's site, holes filled with the ids of what was made (and
    of the organisation and event they hang on); list paths also with a search and a
    misspelling of every marker surname."""
    ids: dict[str, set[int]] = {"organisation": {world.org.pk}, "event": {world.event.pk}}
    for rows in world.made.values():
        for kind, pk in rows:
            ids.setdefault(kind, set()).add(pk)
    # An API detail of a kind not made here gets the ids of the rows made (roles, consents),
    # not the contacts' (api/contacts/ has those).
    other_ids = set().union(*(v for k, v in ids.items() if k != "contact"))
    # Search reads names and e-mails: the restricted contact's surname, spelt right and wrong
    # (the misspelling exercises "did you mean"), on every list.
    surnames = [world.surname]
    paths: set[str] = set()
    for route, holes in _patterns(get_resolver("consortium.urls_tenant").url_patterns):
        if route.startswith(SKIP_PREFIXES):
            continue
        fills: list[dict[str, str]] = [{}]
        for name, kind in holes:
            if kind == "int" and name == "pk":  # an API detail: api/<plural>/<pk>/
                plural = route.split("/{", 1)[0].rsplit("/", 1)[-1]
                values = [str(i) for i in sorted(ids.get(plural.removesuffix("s"), other_ids))]
            elif kind == "int":
                values = [str(i) for i in sorted(ids.get(name.removesuffix("_id"), set()))]
            elif kind == "str":
                values = ["csv", "xlsx"]
            else:
                values = []
            fills = [{**f, name: v} for f in fills for v in values]
        for fill in fills:
            paths.add("/" + route.format(**fill))
        if not holes:
            for word in surnames:
                paths.add(f"/{route}?q={word}")
                paths.add(f"/{route}?q={word[:-2] + word[-1] + word[-2]}")  # "did you mean"
    return sorted(paths)


def body_text(response) -> str:
    """What a person would read: HTML or JSON as text, CSV without its BOM, XLSX unzipped."""
    content = response.content if not response.streaming else b"".join(response.streaming_content)
    if content[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return " ".join(archive.read(n).decode("utf-8", "replace") for n in archive.namelist())
    return content.decode("utf-8-sig", "replace")


def read_all(client, paths: list[str]) -> dict[str, str]:
    """Each path's text; a searched word is cut out of its own page (the search box repeats
    it), so only what the search found can count."""
    seen = {}
    for path in paths:
        response = client.get(path)
        assert response.status_code < 500, (path, response.status_code)
        text = body_text(response) if response.status_code == 200 else ""
        searched = re.search(r"[?&]q=([^&]+)", path)
        if searched:
            text = re.sub(re.escape(searched.group(1)), "", text, flags=re.IGNORECASE)
        seen[path] = text
    return seen


def counts_for(user, member) -> dict[str, Any]:
    """Every dashboard chart's numbers and the report builder's totals for ``user``."""
    from crm.dashboard import charts_registered
    from reporting import builder
    from reporting.dashboard import charts_for

    connection.set_tenant(member)
    request = RequestFactory().get("/")
    request.user = user
    request.tenant = member  # as the tenant middleware sets it: charts keyed on it must draw
    charts = charts_for(request)
    # Every registered chart must draw here, or a chart that quietly returned nothing would
    # be compared as equal and never swept.
    assert len(charts) == len(charts_registered()), "a dashboard chart drew nothing for the sweep"
    found: dict[str, Any] = {c.key: c.series for c in charts}
    for record_type, dims in builder.DIMENSIONS.items():
        for dim in dims:
            for measure in ("count", "duration") if record_type == "interaction" else ("count",):
                spec = {"record_type": record_type, "rows": dim, "cols": "", "measure": measure}
                found[f"report {record_type} {dim} {measure}"] = builder.report_run(
                    spec=spec, user=user
                ).cells
    connection.set_schema_to_public()
    return found


# The provider's disclosure log counts every disclosure, a restricted contact's included: it
# is the member's audit trail and holds record ids only (no name, e-mail or text).
COUNTS_NOT_COMPARED = ("api/disclosures/",)


def api_counts(client) -> dict[str, Any]:
    """The ``count`` of every API list of the member's site."""
    found = {}
    for route, holes in _patterns(get_resolver("consortium.urls_tenant").url_patterns):
        if route.startswith("api/") and not holes and route not in COUNTS_NOT_COMPARED:
            response = client.get("/" + route)
            if response.status_code == 200 and response["Content-Type"].startswith(
                "application/json"
            ):
                data = response.json()
                if isinstance(data, dict) and "count" in data:
                    found[route] = data["count"]
    return found


@pytest.fixture
def world(member_a, member_b, user, in_member):
    from events import services as events

    manager = user("manager-a")
    start = timezone.now() + timedelta(days=20)
    common = {"event_type": "training", "starts_at": start,
              "ends_at": start + timedelta(hours=2), "venue_kind": "address",
              "address": "Community Hall", "capacity": 40, "visibility": "members"}  # fmt: skip
    event = events.event_publish(acting_user=manager, event=events.event_create(
        acting_user=manager, host=member_a, title="Sweep open day", **common))  # fmt: skip
    admin = user("admin-c")
    consortium_event = events.event_publish(acting_user=admin, event=events.event_create(
        acting_user=admin, host=None, title="Consortium sweep day", **common))  # fmt: skip
    with in_member(member_a):
        org = OrganisationFactory(acting_user=manager, name="Sweepstone Community Trust")
        tag = _common_tag()
    AgreementFactory(
        provider=member_a, recipients=[member_b], title="Sweep directory",
        record_types=["contact"], contact_fields=["first_name", "last_name", "email"],
        criteria_tags=[tag.name], requires_consent=False, in_force=True,
    )  # fmt: skip
    return World(member_a=member_a, member_b=member_b, staff=user("staff-a"), manager=manager,
                 other=user("manager-b"), org=org, event=event,
                 consortium_event=consortium_event)  # fmt: skip


def test_restricted_rows_of_every_contact_model_reach_only_the_granted(world, client_for):
    """For every discovered model, a restricted contact's row: none of its marker words in
    any page, API answer, search, suggestion, export or timeline of staff without the grant,
    nor of another member's staff; the dashboard, report and API counts of staff without the
    grant do not move; the granted manager finds every marker somewhere."""
    staff = client_for(world.staff, world.member_a)
    staff_counts = counts_for(world.staff, world.member_a)
    staff_api = api_counts(staff)
    connection.set_tenant(world.member_a)
    for model in contact_models():
        maker = _maker_for(model)
        owner = owner_of(model)
        if owner._meta.label not in world.made and owner._meta.label not in world.id_only:
            maker(world, owner)
    connection.set_schema_to_public()

    paths = paths_to_read(world)
    hidden_from_staff = read_all(staff, paths)
    other = client_for(world.other, world.member_b)
    other_paths = [
        "/shared/",
        "/shared/export.csv",
        "/api/shared/",
        "/events/our-bookings/",
        *[f"/shared/?q={w}" for words in world.markers.values() for w in words],
    ]
    hidden_from_other = read_all(other, other_paths)
    shown = read_all(client_for(world.manager, world.member_a), paths)

    leaks = []
    for label, words in world.markers.items():
        for word in words:
            for who, pages in (("staff without the grant", hidden_from_staff),
                               ("another member's staff", hidden_from_other)):  # fmt: skip
                where = [p for p, text in pages.items() if word.lower() in text.lower()]
                if where:
                    leaks.append(f"{label}: {word!r} shown to {who} at {where[:5]}")
    assert leaks == []
    assert counts_for(world.staff, world.member_a) == staff_counts
    assert api_counts(staff) == staff_api

    unseen = []
    for label, words in world.markers.items():
        for word in words:
            if not any(word.lower() in text.lower() for text in shown.values()):
                unseen.append(f"{label}: {word!r}")
    assert unseen == [], "the granted manager should see these somewhere"
    swept = {owner_of(m)._meta.label for m in contact_models()}
    assert swept <= set(world.made) | world.id_only
