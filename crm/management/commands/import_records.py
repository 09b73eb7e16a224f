import os
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from crm.importing import ImportRejected, ImportResult, records_import
from tenants.boundary import member_run
from tenants.models import Member


class Command(BaseCommand):
    help = "Import contacts or organisations from a CSV/XLSX file into one member, all or nothing."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--member", required=True, help="the member's slug")
        parser.add_argument(
            "--type",
            choices=["contact", "organisation"],
            default=None,
            help="what the rows are (guessed from the columns if left out)",
        )
        parser.add_argument("--tag", default="", help="tag every imported record")
        parser.add_argument("--as-user", default=None, help="username recorded as the importer")
        parser.add_argument("--dry-run", action="store_true", help="check and count only")

    def handle(self, *args, **options):
        try:
            member = Member.organisations.get(slug=options["member"])
        except Member.DoesNotExist as exc:
            raise CommandError(f"No member with the web address “{options['member']}”.") from exc
        user = None
        if options["as_user"]:
            user = get_user_model().objects.filter(username=options["as_user"]).first()
            if user is None:
                raise CommandError(f"No user “{options['as_user']}”.")
        path = options["file"]
        if not os.path.exists(path):
            raise CommandError(f"No file at {path}.")
        began = time.perf_counter()

        def progress(percent: int, phase: str) -> None:
            filled = percent * 30 // 100
            self.stdout.write(f"\r[{'#' * filled:<30}] {percent:>3}% {phase:<45}", ending="")
            self.stdout.flush()

        def run() -> ImportResult:
            with open(path, "rb") as handle:
                try:
                    return records_import(
                        handle=handle, size=os.path.getsize(path), acting_user=user,
                        filename=os.path.basename(path), record_type=options["type"],
                        tag_name=options["tag"], dry_run=options["dry_run"], progress=progress,
                    )  # fmt: skip
                except ImportRejected as exc:
                    self.stdout.write("")
                    if exc.result is not None:
                        for problem in exc.result.problems[:50]:
                            self.stderr.write(
                                f"  row {problem.row}, column {problem.column}: {problem.message}"
                            )
                    raise CommandError(exc.message) from exc

        result = member_run(member, run)
        self.stdout.write("")
        verb = "Would import" if options["dry_run"] else "Imported"
        self.stdout.write(self.style.SUCCESS(
            f"{verb} {result.total_rows} rows into {member.name}: {result.new} new, "
            f"{result.updated} updated, {result.unchanged} unchanged, {result.skipped} skipped "
            f"({time.perf_counter() - began:.1f} s)."
        ))  # fmt: skip
        for row, reason in result.skipped_rows[:50]:
            self.stdout.write(f"  row {row} skipped: {reason}")
