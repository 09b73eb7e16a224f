import datetime

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from sharing.services import disclosures_purge


class Command(BaseCommand):
    help = "Remove disclosure-log entries older than the retention period (the purge is logged)."

    def add_arguments(self, parser):
        parser.add_argument("--older-than-days", type=int, required=True)
        parser.add_argument("--reason", required=True, help="e.g. the retention policy clause")

    def handle(self, *args, older_than_days, reason, **options):
        if older_than_days < 365:
            raise CommandError("Keep at least a year of the disclosure log.")
        before = timezone.now() - datetime.timedelta(days=older_than_days)
        removed = disclosures_purge(before=before, acting_user=None, reason=reason)
        self.stdout.write(
            self.style.SUCCESS(f"Removed {removed} entries older than {before:%d %B %Y}.")
        )
