"""Rebuild people's keyed identifier hashes (sharing.person_keys) for every member, or one.

For a database made before the keys existed, or after COMMONS_PERSON_KEY changed. Each
member's keys are rebuilt in one transaction, in batches of contacts."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sharing.person_keys import member_keys_rebuild
from tenants.models import Member


class Command(BaseCommand):
    help = "Rebuild the keyed hashes that find a person across members (every member, or one)."

    def add_arguments(self, parser):
        parser.add_argument("--member", help="a member's web address (slug); all when absent")

    def handle(self, *args, **options):
        members = Member.organisations.order_by("name")
        if options["member"]:
            members = members.filter(slug=options["member"])
            if not members.exists():
                raise CommandError(f"No member has the web address “{options['member']}”.")
        for member in members:
            with transaction.atomic():
                made = member_keys_rebuild(member)
            if options["verbosity"]:
                self.stdout.write(f"{member.name}: {made:,} keys")
