import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from tenants.roles import CONSORTIUM_ADMINS


class Command(BaseCommand):
    help = (
        "Create (or promote) a consortium admin. Password from COMMONS_ADMIN_PASSWORD or a prompt."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")

    def handle(self, *args, username, email, **options):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"email": email}
        )
        if created:
            password = os.environ.get("COMMONS_ADMIN_PASSWORD") or getpass.getpass("Password: ")
            try:
                validate_password(password, user)
            except ValidationError as exc:
                user.delete()
                raise CommandError(" ".join(exc.messages)) from exc
            user.set_password(password)
            user.save()
        user.groups.add(Group.objects.get(name=CONSORTIUM_ADMINS))
        verb = "Created" if created else "Promoted"
        self.stdout.write(self.style.SUCCESS(f"{verb} consortium admin {username}."))
