"""Remove abandoned imports' files on the current member's schema.

Every member: ``manage.py all_tenants_command imports_clean`` (django-tenants runs it on
each schema). New imports also clean up first, so this is for members who stop importing.
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from crm.import_jobs import import_jobs_clean


class Command(BaseCommand):
    help = "Remove the files of imports left unfinished for longer than --hours (default 24)."

    def add_arguments(self, parser):
        parser.add_argument("--hours", type=int, default=None, help="age of an abandoned import")

    def handle(self, *args, **options):
        if connection.schema_name == "public":
            raise CommandError(
                "Imports belong to members: run it as "
                "`manage.py all_tenants_command imports_clean` or `tenant_command`."
            )
        hours = options["hours"]
        if hours is not None and hours < 1:
            raise CommandError("--hours must be 1 or more.")
        removed = import_jobs_clean(older_than=timedelta(hours=hours) if hours else None)
        self.stdout.write(f"{connection.schema_name}: removed {removed} abandoned import files.")
