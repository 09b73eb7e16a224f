"""Bookings benchmark: 200 resources with a year of bookings.

    python bench/bookings.py [--resources 200] [--per-day 4] [--repeat 300]

Times, each against a baseline in the same run:
* checking and placing a booking through ``events.bookings.booking_place`` (the exclusion
  constraint decides; a clash also computes the next free slots), against the usual
  hand-written way without a constraint: lock the resource row, load its bookings, check
  for overlaps in Python, insert;
* the planner's week: the whole page through the real middleware stack (routing by host,
  session, membership, template), and the data behind it against one query per resource and
  day (how a planner is often first written).

Last line: JSON with book_p95_ms and planner_week_p95_ms.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from zoneinfo import ZoneInfo

from _django import setup


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def row(name: str, values: list[float], extra: str = "") -> str:
    return (
        f"| {name} | {len(values)} | {statistics.median(values):.2f} | "
        f"{percentile(values, 0.95):.2f} | {max(values):.2f} | {extra} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=200)
    parser.add_argument("--per-day", type=int, default=4, help="bookings per resource per day")
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    setup()
    from _members import bench_member
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from events.models import Booking, Resource

    zone = ZoneInfo(settings.TIME_ZONE)
    rng = random.Random(5)
    today = timezone.localdate()
    first_day = today - timedelta(days=180)

    def at(day: date, hour: int, minute: int = 0) -> datetime:
        return datetime.combine(day, clock(hour, minute), zone)

    with bench_member("bookings") as member:
        try:
            results = _run(args, member, at, rng, today, first_day)
        finally:
            connection.set_schema_to_public()
            Booking.objects.filter(resource__owner=member).delete()
            Booking.objects.filter(holder=member).delete()
            Resource.objects.filter(owner=member).delete()
    _report(*results)


def _run(args, member, at, rng, today, first_day):
    """Seed, then time; returns the samples."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.db.backends.postgresql.psycopg_any import DateTimeTZRange
    from django.test import Client

    from events import bookings, selectors
    from events.models import Booking, BookingStatus, Resource
    from tenants.models import Role
    from tenants.services import membership_add

    users = get_user_model().objects
    user = users.create_user(username=f"bench-{member.slug}", password=None)
    membership_add(user=user, member=member, role=Role.MANAGER)
    started = time.perf_counter()
    resources = Resource.objects.bulk_create([
        Resource(owner=member, name=f"Room {i:03d}", kind="room", capacity=10 + i % 40,
                 bookable_by="members")
        for i in range(args.resources)
    ])  # fmt: skip
    slots = [(9, 11), (11, 13), (14, 16), (16, 18), (18, 20)][: args.per_day]
    batch: list[Booking] = []
    total = 0
    for resource in resources:
        for offset in range(365):
            day = first_day + timedelta(days=offset)
            for start, end in slots:
                if rng.random() < 0.15:
                    continue  # a few gaps
                batch.append(Booking(
                    resource=resource, during=DateTimeTZRange(at(day, start), at(day, end),
                                                              "[)"),
                    holder=member, title="Seeded", status=BookingStatus.CONFIRMED,
                ))  # fmt: skip
        if len(batch) >= 20_000:
            Booking.objects.bulk_create(batch)
            total += len(batch)
            batch.clear()
    Booking.objects.bulk_create(batch)
    total += len(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE events_booking")
    print(f"Seeded {len(resources)} resources and {total:,} bookings in "
          f"{time.perf_counter() - started:.1f} s")  # fmt: skip

    def attempt_times() -> tuple[Resource, datetime, datetime]:
        resource = rng.choice(resources)
        day = today + timedelta(days=rng.randrange(1, 170))
        hour = rng.choice([8, 10, 12, 13, 15, 17, 19])  # some free, some clashing
        return resource, at(day, hour), at(day, hour, 45)

    # --- ours: the service (constraint-backed) ---------------------------------------
    ours: list[float] = []
    clashes = 0
    made: list[int] = []
    for _ in range(args.repeat):
        resource, start, end = attempt_times()
        t0 = time.perf_counter()
        try:
            placed = bookings.booking_place(
                acting_user=user,
                member=member,
                resource=resource,
                starts_at=start,
                ends_at=end,
                title="Bench",
            )
            made.extend(b.pk for b in placed)
        except bookings.BookingClash:
            clashes += 1
        ours.append((time.perf_counter() - t0) * 1000)

    # --- baseline: lock the resource, load its bookings, check in Python, insert ------
    base: list[float] = []
    base_clashes = 0
    for _ in range(args.repeat):
        resource, start, end = attempt_times()
        t0 = time.perf_counter()
        with transaction.atomic():
            Resource.objects.select_for_update().get(pk=resource.pk)
            existing = list(Booking.objects.filter(resource=resource,
                                                   status=BookingStatus.CONFIRMED))  # fmt: skip
            if any(b.during.lower < end and start < b.during.upper for b in existing):
                base_clashes += 1
            else:
                booking = Booking.objects.create(
                    resource=resource,
                    during=DateTimeTZRange(start, end, "[)"),
                    holder=member,
                    title="Baseline",
                    status=BookingStatus.CONFIRMED,
                )
                made.append(booking.pk)
        base.append((time.perf_counter() - t0) * 1000)

    # --- planner week: the page, and the data behind it -------------------------------
    client = Client(HTTP_HOST=member.primary_domain_name)
    client.force_login(user)
    pages = (len(resources) + 24) // 25
    for _ in range(3):  # warm the template cache and the connection
        client.get("/planner/")
    page_times: list[float] = []
    data_times: list[float] = []
    naive_times: list[float] = []
    for i in range(max(args.repeat // 3, 30)):
        week = today + timedelta(weeks=rng.randrange(-20, 20))
        monday = week - timedelta(days=week.weekday())
        page = rng.randrange(1, pages + 1)
        t0 = time.perf_counter()
        response = client.get(f"/planner/?date={monday:%Y-%m-%d}&page={page}")
        page_times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
        if i == 0:
            assert b"Room" in response.content
        shown = resources[(page - 1) * 25 : page * 25]
        t0 = time.perf_counter()
        selectors.planner(user=user, member=member, resources=shown, first_day=monday,
                          days=7)  # fmt: skip
        data_times.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        naive: dict[int, list] = {}
        for resource in shown:
            for offset in range(7):
                day = monday + timedelta(days=offset)
                naive.setdefault(resource.pk, []).append(list(Booking.objects.filter(
                    resource=resource, status__in=["confirmed", "pending"],
                    during__overlap=DateTimeTZRange(at(day, 0),
                                                    at(day + timedelta(days=1), 0), "[)"),
                ).select_related("holder")))  # fmt: skip
        naive_times.append((time.perf_counter() - t0) * 1000)
    return ours, clashes, base, base_clashes, page_times, data_times, naive_times


def _report(ours, clashes, base, base_clashes, page_times, data_times, naive_times) -> None:
    book_p95, base_p95 = percentile(ours, 0.95), percentile(base, 0.95)
    page_p95 = percentile(page_times, 0.95)
    data_p95, naive_p95 = percentile(data_times, 0.95), percentile(naive_times, 0.95)
    print()
    print("| operation | n | median ms | p95 ms | max ms | note |")
    print("| --- | --- | --- | --- | --- | --- |")
    print(row("book: ours (service, exclusion constraint)", ours, f"{clashes} clashes"))
    print(row("book: baseline (lock row, load bookings, check in Python)", base,
              f"{base_clashes} clashes"))  # fmt: skip
    print(row("planner week page, 25 resources (full request)", page_times))
    print(row("planner week data: ours (one query)", data_times))
    print(row("planner week data: baseline (query per resource and day)", naive_times))
    print()
    print(f"Booking p95: {book_p95:.2f} ms vs {base_p95:.2f} ms baseline "
          f"({base_p95 / book_p95:.1f}x); target < 20 ms.")  # fmt: skip
    ratio = naive_p95 / data_p95
    print(f"Planner week p95: {page_p95:.2f} ms (target < 150 ms); its data "
          f"{data_p95:.2f} ms vs {naive_p95:.2f} ms baseline ({ratio:.1f}x).")  # fmt: skip
    print(json.dumps({"book_p95_ms": round(book_p95, 2),
                      "planner_week_p95_ms": round(page_p95, 2),
                      "baseline_book_p95_ms": round(base_p95, 2),
                      "baseline_planner_data_p95_ms": round(naive_p95, 2)}))  # fmt: skip


if __name__ == "__main__":
    main()
