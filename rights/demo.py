"""People's rights in the demo (issue 14): what a newcomer should see working.

* one open subject access request, routed to the two members that hold the person (York CVS
  and Ryedale Voluntary Action), received twelve days ago so its clock has run;
* one closed erasure request: Harrogate's lead erased the person and the consortium's lead
  closed it;
* retention schedules switched on at York CVS, whose preview shows what a run would do;
* one breach at York CVS found twenty hours ago, its 72-hour clock running;
* York CVS's own purposes in its record of processing (the rest comes from its agreements).

Everything goes through the services, as the leads would, and is made once: a second run
finds the demo's requests by their reference notes and leaves them be. Small: a few rows.

Tenant assumptions: called on the public schema; enters members' schemas at the boundary.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone

from tenants.boundary import member_run
from tenants.models import Member

SAR_NOTE = "Demo: letter from Margaret Hebden"
ERASURE_NOTE = "Demo: e-mail from Derek Sowerby"
BREACH_TITLE = "Volunteer list e-mailed to the wrong group"


def _person_at(member: Member, acting_user: Any, **fields: Any) -> int:
    """The member's contact with this e-mail, made if it is missing; its id."""

    def here() -> int:
        from crm import services as crm
        from crm.models import Contact

        found = Contact.objects.filter(email__iexact=fields["email"]).first()
        if found is None:
            found = crm.contact_create(acting_user=acting_user, **fields)
        return int(found.pk)

    return member_run(member, here)


def _request(dpo: Any, *, email: str, kind: str, note: str, days_ago: int) -> Any:
    from sharing.person_keys import person_keys_for

    from . import routing_services
    from .models import IdentityCheck, RightsRequest

    existing = RightsRequest.objects.filter(note=note).first()
    if existing is not None:
        return existing
    received = timezone.localdate() - datetime.timedelta(days=days_ago)
    return routing_services.request_open(
        acting_user=dpo, keys=person_keys_for(email=email), kind=kind, received_on=received,
        identity_check=IdentityCheck.KNOWN_ADDRESS, identity_checked_on=received, note=note,
    )  # fmt: skip


def _lead_of(member: Member) -> Any:
    from tenants.models import Membership

    return (
        Membership.objects.filter(member=member, is_data_protection_lead=True)
        .select_related("user").order_by("pk").first().user
    )  # fmt: skip


def _demo_requests(dpo: Any, members: dict[str, Member]) -> None:
    from .erasure import person_erase
    from .models import RequestKind, RightsRequest
    from .routing_services import request_close

    york, ryedale, harrogate = members["york-cvs"], members["ryedale"], members["harrogate"]
    margaret = {"first_name": "Margaret", "last_name": "Hebden", "town": "York",
                "email": "margaret.hebden@example.org", "phone": "01904 552310"}  # fmt: skip
    _person_at(york, _lead_of(york), **margaret)
    _person_at(ryedale, _lead_of(ryedale), **{**margaret, "email": "Margaret.Hebden@example.org",
                                              "town": "Malton"})  # fmt: skip
    _request(dpo, email=margaret["email"], kind=RequestKind.ACCESS, note=SAR_NOTE, days_ago=12)

    derek = {"first_name": "Derek", "last_name": "Sowerby", "town": "Harrogate",
             "email": "derek.sowerby@example.org"}  # fmt: skip
    if RightsRequest.objects.filter(note=ERASURE_NOTE).exists():
        return
    # Harrogate holds him; he asks to be erased; its lead erases him; the request closes.
    _person_at(harrogate, _lead_of(harrogate), **derek)
    erasure = _request(dpo, email=derek["email"], kind=RequestKind.ERASURE, note=ERASURE_NOTE,
                       days_ago=20)  # fmt: skip
    for task in erasure.tasks.select_related("member"):
        person_erase(member=task.member, contact_ids=task.contact_ids,
                     acting_user=_lead_of(task.member), task=task)  # fmt: skip
    request_close(rights_request=erasure, acting_user=dpo,
                  outcome="Erased at Harrogate & District CVS; told him so by e-mail.")  # fmt: skip


def _demo_retention(member: Member) -> None:
    from .retention_models import RetentionSchedule
    from .retention_selectors import retention_schedules_for
    from .retention_services import retention_schedule_update

    if RetentionSchedule.objects.filter(member=member, enabled=True).exists():
        return
    lead = _lead_of(member)
    # Interactions after two years (not the six of the default), so that the preview of the
    # demo's three years of interactions has something to show.
    months = {"interaction": 24}
    for schedule in retention_schedules_for(member=member):
        retention_schedule_update(
            member=member, record_type=schedule.record_type, rule=schedule.rule,
            period_months=months.get(schedule.record_type, schedule.period_months),
            action=schedule.action, enabled=True, acting_user=lead,
        )  # fmt: skip


def _demo_breach(member: Member) -> None:
    from .breach_models import Breach
    from .breach_services import breach_record

    if Breach.objects.filter(title=BREACH_TITLE).exists():
        return
    found = timezone.now() - datetime.timedelta(hours=20)
    breach_record(
        acting_user=_lead_of(member), member=member, members=[],
        title=BREACH_TITLE, found_at=found, occurred_at=found - datetime.timedelta(hours=3),
        what_happened="The spring volunteer list (names, e-mail addresses and phone numbers) "
        "was sent to the trustees' mailing list of another group instead of our own.",
        found_by="Volunteer coordinator", contacts_affected=46, likelihood="possible",
        severity="significant",
    )  # fmt: skip


def _demo_processing(member: Member) -> None:
    from .processing import OWN_ACTIVITIES, processing_activity_set
    from .processing_models import ProcessingActivity

    if ProcessingActivity.objects.filter(member=member).exists():
        return
    lead = _lead_of(member)
    for key in ("contacts", "events"):
        own = OWN_ACTIVITIES[key]
        processing_activity_set(acting_user=lead, member=member, activity=key,
                                purpose=own.purpose, lawful_basis=own.lawful_basis)  # fmt: skip


def rights_demo(*, dpo: Any) -> None:
    """The demo's people's rights (see the module's docstring); quick, and made once."""
    members = {m.slug: m for m in Member.organisations.filter(
        slug__in=["york-cvs", "ryedale", "harrogate"])}  # fmt: skip
    if len(members) < 3:
        return
    _demo_requests(dpo, members)
    _demo_retention(members["york-cvs"])
    _demo_breach(members["york-cvs"])
    _demo_processing(members["york-cvs"])
