from django.core.management.base import BaseCommand, CommandError

from rights.retention_models import RunTrigger
from rights.retention_services import retention_run
from tenants.boundary import member_run
from tenants.models import Member


class Command(BaseCommand):
    help = (
        "Run retention schedules now, for one member (--member SLUG) or for every member with "
        "a schedule in use, in this process. Safe to stop at any moment: each record is "
        "either untouched or fully processed, and the next run carries on."
    )

    def add_arguments(self, parser):
        parser.add_argument("--member", help="the member's slug (default: every member)")

    def handle(self, *args, member=None, **options):
        members = Member.organisations.active().order_by("pk")
        if member:
            members = members.filter(slug=member)
            if not members.exists():
                raise CommandError(f"No active member with the slug “{member}”.")
        for each in members:
            run = member_run(each, lambda m=each: retention_run(
                member=m, acting_user=None, trigger=RunTrigger.MANUAL))  # fmt: skip
            done = ", ".join(f"{n} {t} {a}" for t, by in run.counts.items() for a, n in by.items())
            self.stdout.write(f"{each.name}: {run.get_status_display()}; {done or 'nothing due'}")
