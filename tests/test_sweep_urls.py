"""Every URL, every role, hostile input.

The sweep reads the URLconfs themselves (the consortium site's and a member's site's, DRF
routers and format suffixes included), fills each pattern's converters with real ids of
member A's own objects and of member B's, and requests it as anonymous, staff, manager,
consortium admin, researcher and another member's staff, with hostile query strings, then
POSTs it empty and with hostile values in every field its page's forms (or its API
serializer) show. It asserts: no response of 500 or more; no page showing the marker of a
missing template variable (``string_if_invalid`` in the test settings); no response without a
Content-Security-Policy, or with one allowing inline code or eval; member B's ids answer
404 at member A; anonymous visitors are sent to sign in (401/403 on the API) except on views
marked public with Django's ``login_not_required``; a NUL byte is a 400; a POST that fails
changes no row.

A new URL pattern is swept the day it is written. One whose converters the sweep cannot
fill fails, saying how to teach it (``STRING_KWARGS`` below, or a model named after the
kwarg).
"""

from __future__ import annotations

import inspect
import itertools
import json
import re
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from importlib import import_module
from typing import Any
from urllib.parse import urlencode, urlparse

import pytest
from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, resolve
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone
from rest_framework.permissions import AllowAny

from tenants.confirm import CONFIRMED
from tests.conftest import host_of

SITES = {"consortium": "consortium.urls_public", "member": "consortium.urls_tenant"}
ROLES = ("anonymous", "staff-a", "manager-a", "admin-c", "researcher-r", "dpo-c", "staff-b")
# Who may work on each site, and so is expected to meet member B's ids there as 404.
INSIDERS = {"member": ("staff-a", "manager-a"), "consortium": ("staff-a", "manager-a")}
# Signed-in roles that POST each form (anonymous POSTs too, where the view is public).
POSTERS = {"member": ("staff-a", "manager-a"),
           "consortium": ("admin-c", "researcher-r", "dpo-c")}  # fmt: skip

MARKER = settings.MISSING_VARIABLE_MARKER
LONG = "x" * 100_000
RTL_EMOJI = "\u202eשלום عليكم 👩\u200d👩\u200d👧 🙂"
# Query-string values tried on every GET, each in every key the view's module reads.
HOSTILE_QUERY_VALUES = (
    LONG,
    RTL_EMOJI,
    "%'",
    "-1",
    "999999999",
    "999999999999999999999999",
    "2026-02-30",
    "9999-12-31",
)
# Values for typed form fields, one per POST round.
HOSTILE_FIELD_VALUES = {
    "date": ("9999-12-31", "2026-02-30", "0001-01-01", "31/12/9999"),
    "datetime-local": ("9999-12-31T23:59", "2026-02-30T10:00", "0001-01-01T00:00", "x"),
    "time": ("25:61", "23:59:59.999999", "-1:00", "noon"),
    "number": ("-1", "999999999999999999999999", "1e309", "NaN"),
    "email": ("a@" + "b" * 300 + ".org", "'@'", RTL_EMOJI, "@"),
    "url": ("javascript:alert(1)", "http://" + "a" * 3000, RTL_EMOJI, "%"),
    "text": (LONG, RTL_EMOJI, "' OR 1=1 --%", "-999999999999999999999"),
}
HOSTILE_JSON_VALUES = (LONG, RTL_EMOJI, -(10**30), "9999-12-31", None, {"a": []}, "'%")
QUERY_KEYS_ALWAYS = ("page", "q", "next")
POST_ROUNDS = 3
READS_GET = re.compile(r"""(?:GET|query_params)\.get(?:list)?\(\s*["']([\w-]+)["']""")

# Converters the sweep fills with values that are not model ids: the kwarg's name (or
# "<url name>:<kwarg>") -> a function of the world giving (own values, foreign value or None).
# Teach the sweep a new kwarg here when it is not named after a model ("<model>_id").
STRING_KWARGS = {
    "file_format": lambda w: (["csv", "xlsx", "json"], None),
    "fmt": lambda w: (["csv", "xlsx"], None),
    "format": lambda w: (["json", "api"], None),
    "record_type": lambda w: (["contact", "organisation"], None),
    "field": lambda w: (["email", "name"], None),
    "purpose": lambda w: (w.purposes, None),
    "slug": lambda w: (["alpha"], None),
    "name": lambda w: (["all", "alpha"], None),
    "uid": lambda w: ([w.ids["event_uid"]], None),
    "public_registration:token": lambda w: ([w.ids["registration_token"]], None),
    "surveys:respond:token": lambda w: ([w.ids["invitation_token"]], None),
    "account_reset_password_from_key:key": lambda w: ([w.ids["reset_token"]], None),
    "uidb36": lambda w: ([w.ids["reset_uid"]], None),
    # allauth's passkey pages: one of the person's own keys is not in the world; a made-up
    # id must be refused without a crash.
    "mfa_edit_webauthn:pk": lambda w: ([987654], None),
    "mfa_remove_webauthn:pk": lambda w: ([987654], None),
    # A consortium admin's reset of someone's second factor: a person with one.
    "mfa_reset:user_id": lambda w: ([get_user_model().objects.get(username="manager-a").pk], None),
    # Removing a consortium data protection lead: the world's own.
    "consortium_dp_lead_remove:user_id": lambda w: (
        [get_user_model().objects.get(username="dpo-c").pk],
        None,
    ),
    # Ending a session: the world has none of its people's; a made-up id is not found.
    "usersession_end:session_id": lambda w: ([987654], None),
    # A single sign-on provider no member has set up: refused without a crash.
    "provider_id": lambda w: (["nobody-oidc"], None),
    "year": lambda w: ([2026], None),
    # A member's exit (rights.exit_views): the world has none (an exit closes its member's
    # site); a made-up id is not found, without a crash. tests/rights/test_exit_pages.py
    # requests real ones.
    "exit_id": lambda w: ([987654], None),
    "keep_id": lambda w: ([w.ids["contact"][0]], w.ids["contact_b"][0]),
    "drop_id": lambda w: ([w.ids["contact"][1]], w.ids["contact_b"][1]),
    # A member's record of processing on the consortium site: A's, and one that is not there.
    "member_id": lambda w: ([_member_pk("alpha"), 987654], None),
    # A member's own processing activities (rights.processing.OWN_ACTIVITIES).
    "activity": lambda w: (["contacts", "surveys"], None),
}


def _member_pk(slug: str) -> int:
    from tenants.models import Member

    return Member.objects.get(slug=slug).pk


# Kwarg names meaning "the id of this model" though the name differs from the model's.
KWARG_MODELS = {
    "shared_id": "sharing.sharedrecord",
    "request_id": "rights.rightsrequest",
    "task_id": "rights.membertask",
    "notice_id": "rights.copynotice",
}
HOSTILE_STRING_KWARG = "nonsense'%"


# --- discovering the patterns ------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    site: str
    name: str
    pattern: str  # the whole pattern, prefixes joined: what identifies it
    parts: tuple  # (kind, text) pieces: ("route", "contacts/<int:contact_id>/") ...
    callback: Any

    @property
    def label(self) -> str:
        return f"{self.site}:{self.name or '-'}:{self.pattern}"


def _walk(patterns, site: str, prefix: tuple = (), namespace: str = "") -> list[Route]:
    found = []
    for entry in patterns:
        piece = _piece(entry.pattern)
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _walk(entry.url_patterns, site, (*prefix, piece), ns)
        elif isinstance(entry, URLPattern):
            parts = (*prefix, piece)
            name = f"{namespace}{entry.name}" if entry.name else ""
            whole = "".join(text for _, text in parts)
            found.append(Route(site, name, whole, parts, entry.callback))
    return found


def _piece(pattern) -> tuple[str, str]:
    if isinstance(pattern, RoutePattern):
        return ("route", str(pattern._route))
    if isinstance(pattern, RegexPattern):
        return ("regex", str(pattern._regex))
    raise AssertionError(f"Unknown URL pattern type {type(pattern)}: teach the sweep _piece().")


def routes() -> list[Route]:
    seen, found = set(), []
    for site, urlconf in SITES.items():
        for route in _walk(import_module(urlconf).urlpatterns, site):
            if (site, route.pattern) not in seen:  # DRF's api-root, included per router
                seen.add((site, route.pattern))
                found.append(route)
    return found


ROUTE_CONVERTER = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
REGEX_GROUP = re.compile(r"\(\?P<(?P<name>\w+)>(?:[^()]|\([^()]*\))*\)")


def kwargs_of(route: Route) -> list[str]:
    names = []
    for kind, text in route.parts:
        rx = ROUTE_CONVERTER if kind == "route" else REGEX_GROUP
        names += [m.group("name") for m in rx.finditer(text)]
    return names


def url_for(route: Route, values: dict[str, Any]) -> str:
    out = ""
    for kind, text in route.parts:
        if kind == "route":
            out += ROUTE_CONVERTER.sub(lambda m: str(values[m.group("name")]), text)
        else:
            text = REGEX_GROUP.sub(lambda m: str(values[m.group("name")]), text)
            text = text.replace("^", "").replace("$", "").replace("\\.", ".").replace("/?", "/")
            out += text
    return "/" + out


def is_public(callback) -> bool:
    """Public by the view's own marker: Django's ``login_not_required`` (functions, and the
    auth views), or DRF's ``AllowAny``."""
    if getattr(callback, "login_required", True) is False:
        return True
    view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
    if view_class is not None and getattr(view_class, "permission_classes", None):
        return any(p is AllowAny for p in view_class.permission_classes)
    return False


def model_for(route: Route, kwarg: str) -> type[models.Model] | None:
    """The model a kwarg names: DRF's ``pk`` is the viewset's model; ``<name>_id`` the one
    model whose name is, ends with, or starts with ``name``."""
    if kwarg == "pk":
        view_class = getattr(route.callback, "cls", None)
        serializer = getattr(view_class, "serializer_class", None)
        meta = getattr(serializer, "Meta", None)
        if getattr(view_class, "queryset", None) is not None:
            return view_class.queryset.model
        return getattr(meta, "model", None)
    if kwarg in KWARG_MODELS:
        return apps.get_model(KWARG_MODELS[kwarg])
    if not kwarg.endswith("_id"):
        return None
    stem = kwarg[: -len("_id")].replace("_", "")
    ours = [m for m in apps.get_models() if m._meta.app_label in APPS]
    for test in (
        lambda n: n == stem,
        lambda n: n.endswith(stem),
        lambda n: n.startswith(stem),
    ):
        matches = [m for m in ours if test(m._meta.model_name)]
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            return None
    return None


APPS = ("tenants", "crm", "sharing", "events", "surveys", "reporting", "rights")


# --- the world the sweep requests --------------------------------------------------------


@dataclass
class World:
    ids: dict[str, Any] = field(default_factory=dict)
    # model label -> (member A's pks, member B's pk or None)
    by_model: dict[str, tuple[list[int], int | None]] = field(default_factory=dict)
    purposes: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


def _tenant_world(member, *, manager, staff, suffix: str) -> dict[str, Any]:
    """A little of everything a member holds, through the services."""
    from crm import services as crm
    from crm.import_jobs import import_job_create
    from surveys import services as surveys

    connection.set_tenant(member)
    tag = crm.tag_get_or_create(name="Sweep tag", acting_user=manager)
    org = crm.organisation_create(
        acting_user=manager, name=f"Sweep Group {suffix}", postcode="YO1 7HH", district="York",
        org_type="charity", identifiers=[("GB-CHC", "1100001")], tags=[tag],
    )  # fmt: skip
    org2 = crm.organisation_create(acting_user=manager, name=f"Sweep Group {suffix} Ltd")
    people = [
        crm.contact_create(
            acting_user=manager,
            first_name=first,
            last_name="Sweep",
            tags=[tag],
            email=f"{first.lower()}.{suffix}@example.org",
            date_of_birth="1980-01-02",
        )
        for first in ("Ada", "Adah", "Restricted")
    ]
    people[2].is_restricted = True
    crm.contact_update(contact=people[2], acting_user=manager, is_restricted=True)
    crm.consent_record(contact=people[0], purpose="sharing", status="granted", acting_user=manager)
    role = crm.role_add(contact=people[0], organisation=org, role="chair", acting_user=manager)
    interaction = crm.interaction_create(
        acting_user=manager, contacts=[people[0]], organisations=[org], kind="call",
        summary="Sweep call", date=timezone.localdate(),
    )  # fmt: skip
    survey = surveys.survey_create(acting_user=manager, title="Sweep survey", code="sweep",
                                   year=2026)  # fmt: skip
    wave = survey.waves.get()
    section = surveys.section_add(wave=wave, acting_user=manager, title="About")
    surveys.question_add(wave=wave, section=section, code="size", text="Size?", kind="single",
                         choices=["Small", "Large"], acting_user=manager)  # fmt: skip
    surveys.question_add(
        wave=wave, acting_user=manager, section=section, code="staff", text="Staff?", kind="number"
    )
    surveys.wave_set_status(wave=wave, acting_user=manager, status="open")
    surveys.invitations_create(wave=wave, organisation_ids=[org.pk, org2.pk], acting_user=manager)
    response = surveys.response_enter(wave=wave, organisation=org, acting_user=manager,
                                      raw={"size": "Small", "staff": "3"},
                                      research_consent=True)  # fmt: skip
    invitation = wave.invitations.get(organisation=org2)
    job = import_job_create(
        upload=SimpleUploadedFile("people.csv", b"First name,Last name\nAda,Sweep\n"),
        acting_user=manager,
    )
    connection.set_schema_to_public()
    return {
        "org": org, "org2": org2, "people": people, "role": role, "interaction": interaction,
        "survey": survey, "wave": wave, "response": response, "invitation": invitation,
        "job": job, "tag": tag,
    }  # fmt: skip


def _advance_sequences(member) -> None:
    """Member B's ids start far above A's, so an id of B's is never also one of A's."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'S' AND n.nspname = %s",
            [member.schema_name],
        )
        for (name,) in cursor.fetchall():
            qualified = f'"{member.schema_name}"."{name}"'
            cursor.execute("SELECT setval(%s, 1000000 + nextval(%s))", [qualified, qualified])


def _build_world() -> World:
    from events import bookings
    from events import services as events
    from reporting import research
    from sharing import services as sharing
    from sharing.models import Purpose
    from tenants.models import Member, Membership
    from tenants.services import member_create

    users = {u.username: u for u in get_user_model().objects.all()}
    alpha = Member.organisations.get(slug="alpha")
    beta = Member.organisations.get(slug="beta")
    gamma = member_create(name="Gamma Sweep Network", slug="gamma-sweep", district="Ryedale")
    world = World(purposes=list(Purpose.values))
    _advance_sequences(beta)
    a = _tenant_world(alpha, manager=users["manager-a"], staff=users["staff-a"], suffix="a")
    b = _tenant_world(beta, manager=users["manager-b"], staff=users["staff-b"], suffix="b")
    for made in (a, b):
        world.files.append(made["job"].file.path)

    def pair(model, mine, theirs):
        label = model._meta.label_lower
        known, known_theirs = world.by_model.get(label, ([], None))
        world.by_model[label] = (
            [*known, mine.pk],
            theirs.pk if theirs else known_theirs,
        )

    for key in ("org", "role", "interaction", "survey", "wave", "response", "invitation",
                "job", "tag"):  # fmt: skip
        pair(type(a[key]), a[key], b[key])
    pair(type(a["people"][0]), a["people"][0], b["people"][0])
    world.ids["contact"] = [p.pk for p in a["people"]]
    world.ids["contact_b"] = [p.pk for p in b["people"]]
    world.ids["invitation_token"] = a["invitation"].token

    # Public schema: A's things, and B's that A must not see.
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = now + timedelta(days=10)
    event_fields = {
        "title": "Sweep workshop", "event_type": "training", "starts_at": start,
        "ends_at": start + timedelta(hours=2), "venue_kind": "address",
        "address": "Sweep Hall", "capacity": 10, "waitlist": True,
    }  # fmt: skip
    event_a = events.event_publish(
        acting_user=users["staff-a"],
        event=events.event_create(
            acting_user=users["staff-a"], host=alpha, visibility="public", **event_fields
        ),
    )
    event_b = events.event_create(
        acting_user=users["staff-b"], host=beta, visibility="host", **event_fields
    )
    pair(type(event_a), event_a, event_b)
    world.ids["event_uid"] = event_a.uid
    connection.set_tenant(alpha)
    reg_a = events.registration_for_contact(
        acting_user=users["staff-a"], member=alpha, event=event_a, contact_id=a["people"][0].pk
    )
    connection.set_tenant(beta)
    # B's registration is on the consortium's event: A neither hosts it nor made it.
    event_c = events.event_publish(
        acting_user=users["admin-c"],
        event=events.event_create(
            acting_user=users["admin-c"], host=None, visibility="members", **event_fields
        ),
    )
    reg_b = events.registration_for_contact(
        acting_user=users["staff-b"], member=beta, event=event_c, contact_id=b["people"][0].pk
    )
    connection.set_schema_to_public()
    pair(type(reg_a), reg_a, reg_b)
    public_reg = events.registration_public(
        acting_user=None, event=event_a, name="Pat Public", email="pat@example.org", consent=True
    )
    world.ids["registration_token"] = public_reg.token
    room_a = bookings.resource_save(
        acting_user=users["manager-a"], owner=alpha, name="Sweep room A", kind="room", capacity=8,
        location="Alpha House", bookable_by="members", needs_approval=False,
    )  # fmt: skip
    room_b = bookings.resource_save(
        acting_user=users["manager-b"], owner=beta, name="Sweep room B", kind="room", capacity=8,
        location="Beta House", bookable_by="owner", needs_approval=False,
    )  # fmt: skip
    pair(type(room_a), room_a, room_b)
    booking_a = bookings.booking_place(
        acting_user=users["staff-a"], member=alpha, resource=room_a, starts_at=start,
        ends_at=start + timedelta(hours=1), title="Sweep meeting",
    )[0]  # fmt: skip
    booking_b = bookings.booking_place(
        acting_user=users["staff-b"], member=beta, resource=room_b, starts_at=start,
        ends_at=start + timedelta(hours=1), title="Sweep meeting",
    )[0]  # fmt: skip
    pair(type(booking_a), booking_a, booking_b)

    def agreement(provider, manager, recipients, title):
        made = sharing.agreement_create(
            provider=provider, acting_user=manager, recipient_ids=[m.pk for m in recipients],
            title=title, purpose="directory", record_types=["contact", "organisation"],
            contact_fields=["first_name", "last_name", "email", "organisations"],
            organisation_fields=["name", "postcode", "identifiers", "district"],
            criteria_tags=["Sweep tag"], lawful_basis="legitimate_interests",
        )  # fmt: skip
        return made

    agreement_a = agreement(alpha, users["manager-a"], [beta], "Sweep A to B")
    # B shares with gamma only: A never sees the agreement or its records.
    agreement_b = agreement(beta, users["manager-b"], [gamma], "Sweep B to gamma")
    sharing.agreement_propose(agreement=agreement_b, acting_user=users["manager-b"])
    sharing.agreement_sign(agreement=agreement_b, member=beta, acting_user=users["manager-b"])
    gamma_manager = get_user_model().objects.create_user("manager-gamma-sweep")
    from tenants.services import membership_add

    membership_add(user=gamma_manager, member=gamma, role="manager")
    sharing.agreement_sign(agreement=agreement_b, member=gamma, acting_user=gamma_manager)
    # And B shares with A, so A has shared records of its own to open.
    agreement_ba = agreement(beta, users["manager-b"], [alpha], "Sweep B to A")
    sharing.agreement_propose(agreement=agreement_ba, acting_user=users["manager-b"])
    sharing.agreement_sign(agreement=agreement_ba, member=beta, acting_user=users["manager-b"])
    sharing.agreement_sign(agreement=agreement_ba, member=alpha, acting_user=users["manager-a"])
    pair(type(agreement_a), agreement_a, agreement_b)
    from sharing.models import SharedRecord

    shared_a = SharedRecord.objects.filter(agreement=agreement_ba).order_by("pk").first()
    shared_b = SharedRecord.objects.filter(agreement=agreement_b).order_by("pk").first()
    assert shared_a, "The sweep's agreement B to A projects no records."
    assert shared_b, "The sweep's agreement B to gamma projects no records."
    pair(SharedRecord, shared_a, shared_b)
    pair(
        Membership,
        Membership.objects.get(user=users["staff-a"], member=alpha),
        Membership.objects.get(user=users["staff-b"], member=beta),
    )

    # Research, on the consortium site: a dataset, a project of researcher-r's, an output.
    dataset = research.dataset_create(acting_user=users["admin-c"], title="Sweep dataset",
                                      survey_code="sweep")  # fmt: skip
    project = research.project_create(
        acting_user=users["admin-c"], title="Sweep project", purpose="Sweeping",
        ethics_reference="SW-1", end_date=timezone.localdate() + timedelta(days=365),
        researcher_ids=[users["researcher-r"].pk], dataset_ids=[dataset.pk],
    )  # fmt: skip
    pair(type(dataset), dataset, None)
    pair(type(project), project, None)
    from reporting.models import DatasetQuestion
    from tests.reporting.conftest import pool_rows, research_agreement

    # The pooled data as the pooling code leaves it (tests/reporting covers how it gets there).
    DatasetQuestion.objects.create(dataset=dataset, year=2026, code="size", text="Size?",
                                   kind="single", options=["Small", "Large"])  # fmt: skip
    in_force = research_agreement(alpha, users["manager-a"], title="Sweep research")
    pool_rows(dataset=dataset, provider_id=alpha.pk, agreement_id=in_force.pk,
              rows=[({"district": "York"}, {"size": "Small"})] * 12)  # fmt: skip
    research.snapshot_take(project=project, dataset=dataset, year=2026,
                           acting_user=users["researcher-r"])  # fmt: skip
    output = research.table_produce(project=project, dataset=dataset, year=2026,
                                    researcher=users["researcher-r"], rows="district",
                                    cols="size")  # fmt: skip
    pair(type(output), output, None)
    from crm import services as crm
    from crm.models import OrganisationRelationship
    from sharing import rule_services

    standing = rule_services.standing_agreement_save(
        acting_user=users["admin-c"], name="Sweep standing", description="Sweeping",
        purpose="directory", lawful_basis="legitimate_interests",
        record_types=["organisation"], organisation_fields=["name", "district"],
        criteria_tags=["Sweep tag"], requires_consent=False, access_mode="view",
        expected_benefit="A directory.", retention="Until it ends.",
    )  # fmt: skip
    pair(type(standing), standing, None)
    # A joins it: a standing agreement is signed by no one in particular (issue 11, A8).
    rule_services.standing_agreements_join_all(member=alpha, acting_user=users["admin-c"])
    from sharing.models import Agreement

    pair(Agreement, Agreement.objects.get(provider=alpha, standing=standing), None)
    relationships = []
    for member, made in ((alpha, a), (beta, b)):
        connection.set_tenant(member)
        relationships.append(
            OrganisationRelationship.objects.create(
                from_organisation=made["org"], to_organisation=made["org2"], kind="member_of"
            )
        )
    connection.set_schema_to_public()
    pair(OrganisationRelationship, *relationships)
    # People's rights: a request held by both members, each with its task (issue 14).
    from rights.models import MemberTask, RightsRequest

    today = timezone.localdate()
    rights_request = RightsRequest.objects.create(
        reference="DR-SWEEP-0001", kind="access", received_on=today, due_on=today,
        identity_check="document", identity_checked_on=today, opened_by=users["dpo-c"],
    )  # fmt: skip
    task_a = MemberTask.objects.create(request=rights_request, member=alpha,
                                       contact_ids=[a["people"][0].pk])  # fmt: skip
    task_b = MemberTask.objects.create(request=rights_request, member=beta,
                                       contact_ids=[b["people"][0].pk])  # fmt: skip
    pair(RightsRequest, rights_request, None)
    pair(MemberTask, task_a, task_b)
    del crm
    # People's rights: a subject access request with a task at A and one at B.
    from rights.models import MemberTask, RightsRequest

    today = timezone.localdate()
    sar = RightsRequest.objects.create(
        reference="SWEEP-SAR", kind="access", received_on=today,
        due_on=today + timedelta(days=30), identity_check="document",
        identity_checked_on=today, opened_by=users["admin-c"],
    )  # fmt: skip
    pair(
        MemberTask,
        MemberTask.objects.create(request=sar, member=alpha, contact_ids=[a["people"][0].pk]),
        MemberTask.objects.create(request=sar, member=beta, contact_ids=[b["people"][0].pk]),
    )
    # Data protection leads (issue 14): the consortium admin is the consortium's, A's manager
    # A's; a breach affecting A, and one of B's own (not found at A).
    from django.contrib.auth.models import Group

    from rights import breach_services
    from tenants.roles import DATA_PROTECTION_LEADS

    users["admin-c"].groups.add(Group.objects.get(name=DATA_PROTECTION_LEADS))
    Membership.objects.filter(user=users["manager-a"], member=alpha).update(
        is_data_protection_lead=True
    )
    breach_fields = {"title": "Sweep breach", "what_happened": "Sweeping.",
                     "found_at": timezone.now() - timedelta(hours=5), "found_by": "Sweeper",
                     "contacts_affected": 3}  # fmt: skip
    admin = get_user_model().objects.get(pk=users["admin-c"].pk)  # fresh permission cache
    breach_a = breach_services.breach_record(acting_user=admin, member=None, members=[alpha],
                                             **breach_fields)  # fmt: skip
    breach_b = breach_services.breach_record(acting_user=admin, member=None, members=[beta],
                                             **breach_fields)  # fmt: skip
    pair(type(breach_a), breach_a, breach_b)
    # People's rights: an erasure task and a copy notice at each member.
    from rights.models import CopyNotice, IdentityCheck, MemberTask, RightsRequest

    today = timezone.localdate()
    tasks, notices = [], []
    for member, made, other in ((alpha, a, beta), (beta, b, alpha)):
        request = RightsRequest.objects.create(
            reference=f"SWEEP-{member.slug}", kind="erasure", received_on=today, due_on=today,
            identity_check=IdentityCheck.DOCUMENT, identity_checked_on=today,
            opened_by=users["admin-c"],
        )  # fmt: skip
        tasks.append(MemberTask.objects.create(request=request, member=member,
                                               contact_ids=[made["people"][1].pk]))  # fmt: skip
        notices.append(CopyNotice.objects.create(
            member=member, provider_id=other.pk, provider_name=other.name, kind="erase",
            record_type="contact", record_id=987, received_by="copy",
            copy_id=made["people"][1].pk,
        ))  # fmt: skip
    pair(MemberTask, *tasks)
    pair(CopyNotice, *notices)
    user = users["staff-a"]
    world.ids["reset_uid"] = user_pk_to_url_str(user)
    world.ids["reset_token"] = default_token_generator.make_token(user)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    """Built once for the module inside one transaction, rolled back at its end; each test
    runs in a savepoint inside it."""
    import os

    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            built = _build_world()
            connection.set_schema_to_public()
            yield built
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)
            connection.set_schema_to_public()
            for path in built.files if "built" in locals() else ():
                if os.path.exists(path):
                    os.remove(path)


# --- filling a pattern -------------------------------------------------------------------


@dataclass
class Target:
    url: str
    foreign: bool  # holds one of member B's ids
    values: dict[str, Any]


def _string_kwarg(route: Route, kwarg: str):
    for key in (f"{route.name}:{kwarg}", kwarg):
        if key in STRING_KWARGS:
            return STRING_KWARGS[key]
    return None


def _literals_compared(route: Route, kwarg: str) -> list[str]:
    """String literals a view compares its kwarg with (``action == "sign"``)."""
    try:
        source = inspect.getsource(inspect.unwrap(route.callback))
    except (OSError, TypeError):
        return []
    found = []
    for match in re.finditer(rf"\b{kwarg}\s*(?:==|!=|not in|in)\s*([^:\n]+)", source):
        found += re.findall(r"""["']([\w-]+)["']""", match.group(1))
    return list(dict.fromkeys(found))


def targets(route: Route, world: World) -> list[Target]:
    names = kwargs_of(route)
    own: dict[str, list] = {}
    foreign: dict[str, Any] = {}
    for kwarg in names:
        teach = _string_kwarg(route, kwarg)
        if teach is not None:
            values, theirs = teach(world)
            own[kwarg] = list(values)
        elif model_for(route, kwarg) is not None:
            label = model_for(route, kwarg)._meta.label_lower
            if label not in world.by_model:
                pytest.fail(
                    f"{route.label}: the sweep has no {label} for '{kwarg}'. Make one in "
                    "_build_world() (tests/test_sweep_urls.py) and pair() it."
                )
            mine, theirs = world.by_model[label]
            own[kwarg] = list(mine)
        elif literals := _literals_compared(route, kwarg):
            own[kwarg], theirs = literals, None
        else:
            pytest.fail(
                f"{route.label}: the sweep cannot fill '{kwarg}'. Name it after a model "
                f"('<model>_id') or teach STRING_KWARGS in tests/test_sweep_urls.py its values."
            )
        if theirs is not None:
            foreign[kwarg] = theirs
    found = []
    combos = list(itertools.product(*(own[k] for k in names)))[:12]
    for combo in combos or [()]:
        values = dict(zip(names, combo, strict=True))
        found.append(Target(url_for(route, values), False, values))
    # Each string kwarg also meets a value no view expects.
    for kwarg in names:
        if isinstance(own[kwarg][0], str) and route.name not in ("password_reset_confirm",):
            values = {**found[0].values, kwarg: HOSTILE_STRING_KWARG}
            url = url_for(route, values)
            if _resolves(route, url):  # else the converter refuses it: not this view's
                found.append(Target(url, False, values))
    for kwarg, theirs in foreign.items():
        values = {**found[0].values, kwarg: theirs}
        found.append(Target(url_for(route, values), True, values))
    return found


# --- requesting --------------------------------------------------------------------------


class FormReader(HTMLParser):
    """The POST forms of a page: each a list of (name, kind, options)."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: list[dict] = []
        self._form: dict | None = None
        self._select: list | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and (attrs.get("method") or "get").lower() == "post":
            self._form = {"action": attrs.get("action") or "", "fields": []}
            self.forms.append(self._form)
        elif self._form is not None and attrs.get("name"):
            if tag == "input" and attrs.get("type") == "hidden":
                self._form["fields"].append([attrs["name"], "hidden", [attrs.get("value") or ""]])
            elif tag == "input" and attrs.get("type") not in ("submit", "button"):
                self._form["fields"].append([attrs["name"], attrs.get("type") or "text", []])
            elif tag == "textarea":
                self._form["fields"].append([attrs["name"], "text", []])
            elif tag == "select":
                self._select = [attrs["name"], "select", []]
                self._form["fields"].append(self._select)
        if tag == "option" and self._select is not None and attrs.get("value"):
            self._select[2].append(attrs["value"])

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None


@dataclass
class Sweep:
    route: Route
    failures: list[str] = field(default_factory=list)

    def fail(self, role: str, method: str, url: str, given: str, response, why: str) -> None:
        exc = getattr(response, "exc_info", None) or getattr(response, "_sweep_exc", None)
        shown = url if len(url) < 160 else url[:150] + "…"
        given = given if len(given) < 120 else given[:110] + "…"
        self.failures.append(
            f"{method} {shown} as {role} with {given or 'nothing'}: "
            f"{getattr(response, 'status_code', '-')} — {why}"
            + (f" [{exc[0].__name__}: {str(exc[1])[:300]}]" if exc else "")
        )

    def check(self, role, method, url, given, response) -> None:
        if response.status_code >= 500:
            self.fail(role, method, url, given, response, "a server error")
        elif MARKER in _text(response):
            missing = re.findall(rf"{MARKER}\[([^\]]*)\]", _text(response))
            self.fail(role, method, url, given, response,
                      f"the template reads missing variables {sorted(set(missing))}")  # fmt: skip
        elif problem := csp_problem(response):
            self.fail(role, method, url, given, response, problem)
        elif "html" in response.get("Content-Type", "") and (found := inline_code_in(
            _text(response))):  # fmt: skip
            self.fail(role, method, url, given, response,
                      f"inline code the Content-Security-Policy refuses: {found[:3]}")  # fmt: skip


class InlineCodeReader(HTMLParser):
    """What a page holds that the Content-Security-Policy would refuse to run or apply:
    inline scripts (JSON data blocks are data, not code), ``<style>`` blocks, ``style=``
    attributes, ``on…=`` handlers and ``javascript:`` addresses."""

    DATA_TYPES = ("application/json", "application/ld+json")
    URL_ATTRIBUTES = ("href", "src", "action", "formaction", "xlink:href")

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self._script: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and not attrs.get("src") and attrs.get("type") not in self.DATA_TYPES:
            self._script = ""
        if tag == "style":
            self.found.append("<style>")
        for name, value in attrs.items():
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            elif name in self.URL_ATTRIBUTES and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_data(self, data):
        if self._script is not None:
            self._script += data

    def handle_endtag(self, tag):
        if tag == "script" and self._script is not None:
            if self._script.strip():
                self.found.append(f"<script>{self._script.strip()[:40]}")
            self._script = None


def inline_code_in(html: str) -> list[str]:
    reader = InlineCodeReader()
    reader.feed(html)
    return reader.found


def csp_problem(response) -> str:
    """What is wrong with a response's Content-Security-Policy, or "" (every response carries
    one, and none allows inline code or eval)."""
    policy = response.get("Content-Security-Policy", "")
    if not policy:
        return "no Content-Security-Policy header"
    allowed = [word for word in ("'unsafe-inline'", "'unsafe-eval'") if word in policy]
    return f"the Content-Security-Policy allows {' and '.join(allowed)}" if allowed else ""


def _text(response) -> str:
    if getattr(response, "streaming", False):
        return ""
    content_type = response.get("Content-Type", "")
    if not content_type.startswith(("text/", "application/json")):
        return ""
    return response.content.decode("utf-8", "replace")


def _request(client: Client, method: str, url: str, *, changed: list | None = None, **extra):
    """One request in a savepoint that is rolled back, so each request meets the same world
    and a crash cannot abort the test's transaction. An exception the view raised is kept
    for the report. ``changed``: filled with the tables whose row count the request changed."""
    before = _row_counts() if changed is not None else None
    with transaction.atomic():
        try:
            response = getattr(client, method)(url, **extra)
        except Exception as exc:
            response = _Crash(exc)
        if before is not None and not isinstance(response, _Crash):
            after = _row_counts()
            changed += sorted(t for t in after if after[t] != before.get(t))
        transaction.set_rollback(True)
    connection.set_schema_to_public()
    return response


class _Crash:
    status_code = 500
    streaming = False

    def __init__(self, exc: Exception) -> None:
        self._sweep_exc = (type(exc), exc)
        self.content = b""

    def get(self, key, default=""):
        return default


# Audit actions that record a refusal: a failing POST is meant to write these (a wrong
# password is a security event), and only these.
REFUSALS_RECORDED = ("account.sign_in_failed", "account.locked", "account.sso_refused")


def _count_sql(schema: str, table: str) -> str:
    if (schema, table) == ("public", "tenants_auditentry"):
        refusals = ", ".join(f"'{action}'" for action in REFUSALS_RECORDED)
        return f'(SELECT count(*) FROM "{schema}"."{table}" WHERE action NOT IN ({refusals}))'
    return f'(SELECT count(*) FROM "{schema}"."{table}")'


def _row_counts() -> dict[str, int]:
    """Rows in every table of the public schema and member A's (one query); the audit log's
    records of refused attempts are not counted (see ``REFUSALS_RECORDED``)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('public', 'alpha') AND table_type = 'BASE TABLE' "
            # Sessions' own bookkeeping (allauth records each signed-in request's session,
            # address and time), not an act of the request; nor the shared cache's table,
            # where rate limits count every attempt, refused ones included.
            "AND table_name NOT IN ('django_session', 'usersessions_usersession', 'commons_cache')"
        )
        tables = cursor.fetchall()
        sql = ", ".join(_count_sql(s, t) for s, t in tables)
        cursor.execute(f"SELECT {sql}")
        return dict(zip((f"{s}.{t}" for s, t in tables), cursor.fetchone(), strict=True))


def _failed(response) -> bool:
    if response.status_code >= 400:
        return True
    return response.status_code == 200 and bool(
        re.search(r'class="[^"]*\b(error|field-error|error-summary)\b', _text(response))
    )


def _module_query_keys(route: Route) -> list[str]:
    """Query keys the view's module reads (``request.GET.get("tag")``), and a few always."""
    target = inspect.unwrap(route.callback)
    target = getattr(target, "cls", None) or getattr(target, "view_class", None) or target
    module = inspect.getmodule(target)
    try:
        source = inspect.getsource(module) if module else ""
    except (OSError, TypeError):
        source = ""
    return list(dict.fromkeys([*READS_GET.findall(source), *QUERY_KEYS_ALWAYS]))


def _clients(site: str) -> dict[str, Client]:
    from tenants.models import Member

    host = host_of(Member.organisations.get(slug="alpha") if site == "member" else None)
    users = get_user_model().objects
    made = {}
    for role in ROLES:
        client = Client(HTTP_HOST=host, raise_request_exception=True)
        if role != "anonymous":
            client.force_login(users.get(username=role))
        made[role] = client
    connection.set_schema_to_public()
    return made


def _anonymous_kept_out(route: Route, url: str, response) -> bool:
    if url.startswith("/api/"):
        return response.status_code in (401, 403)
    if response.status_code == 405:  # a POST-only view says nothing to a GET
        return True
    return response.status_code == 302 and urlparse(response["Location"]).path == "/accounts/login/"


def _hostile_post_bodies(forms: list[dict]) -> list[tuple[str, dict]]:
    """Per round, every field of every POST form of the page gets a hostile value of its
    type (a select also its real options in turn)."""
    bodies = []
    for form in forms:
        for round_ in range(POST_ROUNDS):
            data: dict[str, Any] = {}
            for name, kind, options in form["fields"]:
                if kind == "hidden":  # its own value, then a hostile one, then its own
                    data[name] = HOSTILE_FIELD_VALUES["text"][0] if round_ == 1 else options[0]
                elif kind in ("checkbox", "radio"):
                    data[name] = options[round_ % len(options)] if options else "on"
                elif kind == "select":
                    choices = [*options, "999999999999", "'"]
                    data[name] = choices[round_ % len(choices)]
                elif kind == "file":
                    data[name] = SimpleUploadedFile(
                        f"sweep{round_}.csv",
                        [b"\xff\xfe\x00garbage", b"a,b\n" * 3, b"<html>", b""][round_],
                    )
                else:
                    values = HOSTILE_FIELD_VALUES.get(kind, HOSTILE_FIELD_VALUES["text"])
                    data[name] = values[round_ % len(values)]
            if round_:  # past the confirmation step of what cannot be undone
                data.setdefault("confirm", CONFIRMED)
            bodies.append((form["action"], data))
    return bodies


def _api_bodies(route: Route) -> list[dict]:
    view_class = getattr(route.callback, "cls", None)
    serializer_class = getattr(view_class, "serializer_class", None)
    if serializer_class is None:
        return []
    try:
        fields = [n for n, f in serializer_class().fields.items() if not f.read_only]
    except Exception:
        return []
    return [{name: value for name in fields} for value in HOSTILE_JSON_VALUES]


def _deep_json(depth: int = 50_000) -> str:
    return "[" * depth + "]" * depth


ALL_ROUTES = routes()


@pytest.mark.parametrize("route", ALL_ROUTES, ids=[r.label for r in ALL_ROUTES])
def test_every_url_every_role_hostile_input(route: Route, world: World, db) -> None:
    """No URL answers 500 or shows a missing template variable, for any role or input;
    member B's ids are 404 at member A; anonymous visitors are sent to sign in except where
    the view is public; a NUL byte is a 400; a failing POST changes no row."""
    sweep = Sweep(route)
    clients = _clients(route.site)
    public = is_public(route.callback)
    found = targets(route, world)
    keys = _module_query_keys(route)
    forms_seen: dict[str, list[dict]] = {}
    for target in found:
        for role, client in clients.items():
            response = _request(client, "get", target.url)
            sweep.check(role, "GET", target.url, "", response)
            if (
                role == "anonymous"
                and not public
                and not _anonymous_kept_out(route, target.url, response)
            ):
                sweep.fail(role, "GET", target.url, "", response,
                           "anonymous is not sent to sign in (mark the view login_not_required "
                           "if it is public by design)")  # fmt: skip
            insider = role in INSIDERS[route.site]
            if target.foreign and insider and response.status_code != 404:
                if response.status_code == 405:  # POST only: the POST must not find it
                    response = _request(client, "post", target.url, data={})
                if response.status_code != 404:
                    sweep.fail(role, response.request["REQUEST_METHOD"] if hasattr(
                        response, "request") else "GET", target.url, "", response,
                        "another member's id must answer 404")  # fmt: skip
            if (
                response.status_code == 200
                and not target.foreign
                and "html" in response.get("Content-Type", "")
            ):
                reader = FormReader()
                reader.feed(_text(response))
                forms_seen.setdefault(role, reader.forms)
    # Hostile query strings, as the roles that get furthest on this site.
    first = found[0].url
    for role in (POSTERS[route.site][0], *(("anonymous",) if public else ())):
        client = clients[role]
        nul = _request(client, "get", first + "?" + urlencode({k: "\x00" for k in keys}))
        sweep.check(role, "GET", first, "NUL in every key", nul)
        if nul.status_code != 400:
            sweep.fail(role, "GET", first, "NUL in every key", nul, "a NUL byte must be a 400")
        for value in HOSTILE_QUERY_VALUES:
            query = urlencode({k: value for k in keys})
            response = _request(client, "get", f"{first}?{query}")
            sweep.check(role, "GET", first, f"{keys}={value[:20]!r}", response)
        repeated = urlencode([(k, v) for k in keys for v in ("1", "-1", "2026-01-01")])
        response = _request(client, "get", f"{first}?{repeated}")
        sweep.check(role, "GET", first, "every key repeated", response)
    # POST: empty, then hostile values in every field the page's forms show.
    for role in (*POSTERS[route.site], *(("anonymous",) if public else ())):
        client = clients[role]
        bodies = [("", {})]
        if route.pattern.startswith("api/") or first.startswith("/api/"):
            bodies += [("", body) for body in _api_bodies(route)]
        else:
            bodies += _hostile_post_bodies(forms_seen.get(role, []))
        for action, body in bodies:
            url = first
            if action and not action.startswith(("http", "#", "?")):
                url = action if _resolves(route, action) else first
            changed: list[str] = []
            if first.startswith("/api/"):
                response = _request(
                    client, "post", url, changed=changed, data=json.dumps(body),
                    content_type="application/json",
                )  # fmt: skip
            else:
                response = _request(client, "post", url, changed=changed, data=body)
            given = "an empty body" if not body else f"hostile {sorted(body)[:6]}"
            sweep.check(role, "POST", url, given, response)
            if _failed(response) and not isinstance(response, _Crash) and changed:
                sweep.fail(role, "POST", url, given, response,
                           f"failed but changed rows in {changed}")  # fmt: skip
        if first.startswith("/api/"):
            deep = _request(client, "post", first, data=_deep_json(),
                            content_type="application/json")  # fmt: skip
            sweep.check(role, "POST", first, "JSON nested 50,000 deep", deep)
    assert not sweep.failures, f"{route.label}: {len(sweep.failures)} failures:\n" + "\n".join(
        sweep.failures
    )


def _resolves(route: Route, path: str) -> bool:
    try:
        match = resolve(urlparse(path).path, urlconf=SITES[route.site])
    except Exception:
        return False
    return match.func is route.callback
