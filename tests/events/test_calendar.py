"""iCalendar feeds (RFC 5545) and the clock change."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from events import services

LONDON = ZoneInfo("Europe/London")
# The clocks go forward at 01:00 on Sunday 28 March 2027.
CLOCKS_CHANGE = datetime(2027, 3, 28, 10, 0, tzinfo=LONDON)


def feed(client, name="all", key=""):
    response = client.get(f"/calendar/{name}.ics" + (f"?key={key}" if key else ""))
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/calendar")
    return icalendar.Calendar.from_ical(response.content)


def vevents(cal):
    return {str(e["summary"]): e for e in cal.walk("VEVENT")}


def test_ten_o_clock_on_the_day_the_clocks_change(event_factory, member_a, client_for, user):
    event = event_factory(
        title="Spring forum", starts_at=CLOCKS_CHANGE, ends_at=CLOCKS_CHANGE.replace(hour=12)
    )
    vevent = vevents(feed(client_for(None, None)))["Spring forum"]
    start = vevent["dtstart"].dt
    assert (start.hour, start.minute) == (10, 0)
    assert str(start.tzinfo) == "Europe/London"
    assert start.astimezone(ZoneInfo("UTC")).hour == 9  # BST
    raw = client_for(None, None).get("/calendar/all.ics").content.decode()
    assert "DTSTART;TZID=Europe/London:20270328T100000" in raw.replace("\r\n ", "")
    assert "BEGIN:VTIMEZONE" in raw
    page = client_for(user("staff-a"), member_a).get(f"/events/{event.pk}/")
    assert "Sunday 28 March 2027, 10:00–12:00" in page.content.decode()


def test_uids_stay_stable_and_sequence_rises_with_edits(event_factory, client_for, user):
    event = event_factory(title="Stable")
    first = vevents(feed(client_for(None, None)))["Stable"]
    services.event_update(
        acting_user=user("staff-a"),
        event=event,
        title="Stable (moved)",
        starts_at=event.starts_at.replace(hour=9),
    )
    second = vevents(feed(client_for(None, None)))["Stable (moved)"]
    assert str(first["uid"]) == str(second["uid"]) == f"{event.uid}@localhost"
    assert int(second["sequence"]) > int(first["sequence"])


def test_the_public_feed_holds_only_public_events_and_cancellations_stay(
    event_factory, member_a, member_b, client_for, user
):
    event_factory(title="Open day", visibility="public")
    event_factory(title="Members' forum", visibility="members")
    event_factory(title="Team away day", visibility="host")
    gone = event_factory(title="Called off", visibility="public")
    services.event_cancel(acting_user=user("staff-a"), event=gone)
    public = vevents(feed(client_for(None, None)))
    assert {"Open day", "Called off"} <= set(public)
    assert not {"Members' forum", "Team away day"} & set(public)
    assert str(public["Called off"]["status"]) == "CANCELLED"
    # A member's own feed holds its events only.
    assert "Open day" in vevents(feed(client_for(None, None), name="alpha"))
    assert "Open day" not in vevents(feed(client_for(None, None), name="beta"))


def test_a_personal_key_adds_members_events_but_never_other_hosts_private_ones(
    event_factory, member_b, client_for, user
):
    event_factory(title="Members' forum", visibility="members")
    event_factory(title="Alpha team day", visibility="host")
    event_factory(title="Beta team day", visibility="host", host=member_b, by="staff-b")
    key = services.calendar_key_for(acting_user=user("staff-b"))
    seen = set(vevents(feed(client_for(None, None), key=key)))
    assert {"Members' forum", "Beta team day"} <= seen
    assert "Alpha team day" not in seen
    bad = client_for(None, None).get("/calendar/all.ics?key=forged")
    assert bad.status_code == 404


def test_someone_with_no_membership_gets_public_events_only(event_factory, client_for, user):
    event_factory(title="Members' forum", visibility="members")
    event_factory(title="Open day", visibility="public")
    key = services.calendar_key_for(acting_user=user("outsider"))
    seen = set(vevents(feed(client_for(None, None), key=key)))
    assert "Open day" in seen
    assert "Members' forum" not in seen


def test_renewing_the_personal_address_cuts_off_the_old_one(client_for, user, member_a):
    old = services.calendar_key_for(acting_user=user("staff-a"))
    assert services.calendar_key_for(acting_user=user("staff-a")) == old
    staff = client_for(user("staff-a"), member_a)
    assert old in staff.get("/events/").content.decode()
    staff.post("/events/calendar-address/")
    new = services.calendar_key_for(acting_user=user("staff-a"))
    assert new != old
    assert client_for(None, None).get(f"/calendar/all.ics?key={old}").status_code == 404
    assert client_for(None, None).get(f"/calendar/all.ics?key={new}").status_code == 200
