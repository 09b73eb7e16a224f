import time

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.services import member_create


class Command(BaseCommand):
    help = (
        'Onboard a member organisation, e.g. add_member "Ryedale Voluntary Action" --slug ryedale'
    )

    def add_arguments(self, parser):
        parser.add_argument("name")
        parser.add_argument("--slug", required=True, help="web address: <slug>.<base domain>")
        parser.add_argument("--charity-number", default="")
        parser.add_argument("--company-number", default="")
        parser.add_argument("--district", default="")

    def handle(self, *args, **options):
        began = time.perf_counter()

        def progress(step: int, total: int, label: str) -> None:
            bar = "#" * (step * 20 // total)
            self.stdout.write(f"\r[{bar:<20}] {step}/{total} {label:<40}", ending="")
            self.stdout.flush()

        try:
            member = member_create(
                name=options["name"],
                slug=options["slug"],
                charity_number=options["charity_number"],
                company_number=options["company_number"],
                district=options["district"],
                progress=progress,
            )
        except ValidationError as exc:
            self.stdout.write("")
            messages = []
            for field, errors in exc.message_dict.items() if hasattr(exc, "error_dict") else []:
                label = "Web address (--slug)" if field == "slug" else field.replace("_", " ")
                messages.extend(f"{label}: {e}" for e in errors)
            raise CommandError("; ".join(messages) or "; ".join(exc.messages)) from exc
        self.stdout.write("")
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {member.name} at {member.primary_domain_name} "
                f"in {time.perf_counter() - began:.2f} s."
            )
        )
