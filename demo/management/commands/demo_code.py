"""Print the current authenticator-app code of a demo account (the demo's managers, admin
and researcher sign in with one). Only for accounts holding the demo's own secret: it never
prints a code for a real person's app."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    format_hotp_value,
    hotp_value,
    yield_hotp_counters_from_time,
)
from allauth.mfa.utils import decrypt
from django.core.management.base import BaseCommand, CommandError

from demo.provision import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the current second-factor code of a demo account, e.g. ryedale-manager."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, **options):
        username = options["username"]
        factor = Authenticator.objects.filter(
            user__username=username, type=Authenticator.Type.TOTP
        ).first()
        if factor is None:
            raise CommandError(f"{username} has no authenticator app (staff do not need one).")
        if decrypt(factor.data["secret"]) != DEMO_TOTP_SECRET:
            raise CommandError(f"{username} does not use the demo's secret: no code printed.")
        counters = list(yield_hotp_counters_from_time())
        now = counters[len(counters) // 2]
        # A code works once; the next period's also counts now (one step's tolerance), so
        # there is always a second to use when the first has just been used.
        current, following = (
            format_hotp_value(hotp_value(DEMO_TOTP_SECRET, counter)) for counter in (now, now + 1)
        )
        self.stdout.write(current)
        self.stdout.write(f"(if that one has just been used: {following})", self.style.NOTICE)
