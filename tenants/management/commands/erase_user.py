from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from tenants.services import user_erase


class Command(BaseCommand):
    help = (
        "Erase a person's account (e.g. on a right-to-erasure request): their name, e-mail and "
        "password are removed in place, memberships and access end; the row stays so records "
        "that name it keep a valid reference."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--yes", action="store_true", help="do not ask for confirmation")

    def handle(self, *args, username, yes, **options):
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"No account with the username “{username}”.")
        if not yes:
            answer = input(f"Erase {user.get_full_name() or username} for good? Type yes: ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was changed.")
        erased = user_erase(user=user, acting_user=None)
        self.stdout.write(self.style.SUCCESS(f"Erased: the account is now {erased.username}."))
