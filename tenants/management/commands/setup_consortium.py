from django.core.management.base import BaseCommand

from tenants.bootstrap import consortium_bootstrap


class Command(BaseCommand):
    help = "Migrate the public schema, create the consortium and template rows, migrate members."

    def handle(self, *args, **options):
        consortium_bootstrap(verbosity=max(0, options["verbosity"] - 1))
        self.stdout.write(self.style.SUCCESS("Consortium database is ready."))
