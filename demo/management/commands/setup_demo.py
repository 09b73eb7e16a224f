import time

from django.core.management.base import BaseCommand

from demo.provision import DEMO_TOTP_SECRET, demo_provision


class Command(BaseCommand):
    help = "Provision the 17 demo members with their people (idempotent) and print sign-ins."

    def add_arguments(self, parser):
        parser.add_argument("--port", default="8000")

    def handle(self, *args, **options):
        began = time.perf_counter()

        def progress(done: int, total: int, label: str) -> None:
            filled = done * 30 // total
            self.stdout.write(
                f"\r  members [{'#' * filled:<30}] {done:>2}/{total} {label[:38]:<38}", ending=""
            )
            self.stdout.flush()

        credentials = demo_provision(progress=progress)
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(f"Demo consortium ready in {time.perf_counter() - began:.1f} s.")
        )
        port = options["port"]
        width = max(len(c.username) for c in credentials)
        self.stdout.write("")
        self.stdout.write(f"  {'username':<{width}}  {'password':<18}  {'role':<20}  sign in at")
        self.stdout.write(f"  {'-' * width}  {'-' * 18}  {'-' * 20}  {'-' * 36}")
        for c in credentials:
            host = c.where.split(" ")[0]
            suffix = c.where[len(host) :]
            role = f"{c.role} *" if c.second_factor else c.role
            self.stdout.write(
                f"  {c.username:<{width}}  {c.password:<18}  {role:<20}  "
                f"http://{host}:{port}/{suffix}"
            )
        self.stdout.write("")
        self.stdout.write(
            "  * also asks for a code from an authenticator app: add the demo secret "
            f"{DEMO_TOTP_SECRET} to one,\n    or print the current code with "
            '`make manage ARGS="demo_code <username>"`.'
        )
        self.stdout.write("")
