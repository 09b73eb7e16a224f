"""The events demo's member steps work on the schema they are given, never another."""

from __future__ import annotations

import pytest

from events import demo

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("step", [demo.events_demo_fill_member, demo.events_demo_fill_registers])
def test_a_member_step_off_its_members_schema_is_refused(step, member_a, member_b, in_member):
    """A member's step run on another member's schema refuses before touching anything."""
    plan = demo.EventsDemoPlan(admin_id=0, places={member_a.pk: []})
    with in_member(member_b), pytest.raises(RuntimeError, match=member_a.name):
        step(member=member_a, plan=plan)
