from django.core.management.base import BaseCommand

from sharing.services import agreements_expire


class Command(BaseCommand):
    help = "Mark agreements past their end date as expired and remove their shared records."

    def handle(self, *args, **options):
        # A scheduled job: the system acts, not a person.
        count = agreements_expire(acting_user=None)
        self.stdout.write(self.style.SUCCESS(f"{count} agreement(s) expired."))
