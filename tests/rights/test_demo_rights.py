"""The demo's people's rights (rights.demo), on three members made here: quick, through the
services, and made once however often the demo runs."""

from __future__ import annotations

from django.contrib.auth.models import Group

from rights.demo import rights_demo
from rights.models import Breach, ProcessingActivity, RetentionSchedule, RightsRequest
from tenants.models import Membership, Role
from tenants.roles import DATA_PROTECTION_LEADS
from tenants.services import member_create
from tests.factories import UserFactory


def test_rights_demo_is_made_once(db):
    for slug in ("york-cvs", "ryedale", "harrogate"):
        member = member_create(name=f"Demo {slug}", slug=slug)
        lead = UserFactory(member=member, role=Role.MANAGER, username=f"{slug}-lead")
        Membership.objects.filter(user=lead).update(is_data_protection_lead=True)
    dpo = UserFactory(username="demo-dpo")
    dpo.groups.add(Group.objects.get(name=DATA_PROTECTION_LEADS))
    rights_demo(dpo=dpo)
    rights_demo(dpo=dpo)
    sar = RightsRequest.objects.get(kind="access")
    assert sar.status == "open"
    assert sorted(sar.tasks.values_list("member__slug", flat=True)) == ["ryedale", "york-cvs"]
    assert (sar.due_on - sar.received_on).days in (28, 29, 30, 31)
    erasure = RightsRequest.objects.get(kind="erasure")
    assert erasure.status == "done"
    assert list(erasure.tasks.values_list("member__slug", "status")) == [("harrogate", "done")]
    assert RetentionSchedule.objects.filter(member__slug="york-cvs", enabled=True).count() == 4
    assert Breach.objects.get().status == "open"
    assert ProcessingActivity.objects.filter(member__slug="york-cvs").count() == 2
