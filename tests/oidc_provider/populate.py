"""Fill the test identity provider's database: its people and the client Commons is.

Run as ``python -m tests.oidc_provider.populate <redirect URI> <client id> <client secret>``
with the provider's settings; each person is ``username:e-mail:verified`` in
``OIDC_PROVIDER_PEOPLE`` (comma-separated), all with the test password.
"""

from __future__ import annotations

import os
import sys

import django


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.oidc_provider.settings")
    django.setup()
    from allauth.account.models import EmailAddress
    from allauth.idp.oidc.models import Client
    from django.contrib.auth import get_user_model
    from django.core.management import call_command

    redirect_uri, client_id, secret = sys.argv[1:4]
    call_command("migrate", verbosity=0, interactive=False)
    password = os.environ["OIDC_PROVIDER_PASSWORD"]
    for person in os.environ["OIDC_PROVIDER_PEOPLE"].split(","):
        username, email, verified = person.split(":")
        user = get_user_model().objects.create_user(
            username=username, email=email, password=password, first_name=username.title()
        )
        EmailAddress.objects.create(
            user=user, email=email, primary=True, verified=verified == "yes"
        )
    client = Client(id=client_id, name="Commons (test)")
    client.set_secret(secret)
    client.set_scopes(["openid", "profile", "email"])
    client.set_redirect_uris([redirect_uri])
    client.set_grant_types([Client.GrantType.AUTHORIZATION_CODE])
    client.set_response_types(["code"])
    client.save()


if __name__ == "__main__":
    main()
