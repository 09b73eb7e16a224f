"""Passwords: at least 12 characters, nothing guessable (Django's validators and
tenants.passwords.PatternValidator), pass-phrases of any length welcome, in allauth's forms
too; the demo's own password meets the rule."""

from __future__ import annotations

import pytest
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError

from demo.provision import DEMO_PASSWORD
from tests.conftest import PASSWORD

PHRASE_200 = ("a slow heron wades the river ouse at dusk, " * 5)[:200]


@pytest.mark.parametrize(
    "password",
    [
        "Password2026!",  # a guessable word dressed up
        "qwertyuiop12",  # a keyboard run
        "aaaaaaaaaaaa",  # one character repeated
        "Commons-2026!",  # the site's name with digits
        "consortium99",
        "alpha1234567",  # a member's name with digits
        "Beta-Community-1",  # a member's name words
        "zyxwvutsrq12",  # the alphabet backwards
        "short-one",  # fewer than 12 characters
        "123456789012",  # digits only
    ],
)
def test_guessable_passwords_are_refused(db, password):
    """Each guessable password is refused with a reason."""
    with pytest.raises(ValidationError) as caught:
        validate_password(password)
    assert caught.value.messages


@pytest.mark.parametrize(
    "password", [DEMO_PASSWORD, "tidy otter plum", "ryedale walks by the river", PHRASE_200]
)
def test_pass_phrases_are_accepted(db, password):
    """Pass-phrases pass, a 200-character one included (no upper limit below it)."""
    assert len(PHRASE_200) == 200
    validate_password(password)


def test_a_password_like_the_username_is_refused(db, user):
    """Django's similarity validator sees the account's own names."""
    with pytest.raises(ValidationError):
        validate_password("staff-a@example.org", user=user("staff-a"))


def test_allauths_password_change_uses_the_rules(client_for, member_a, user):
    """The change-password page refuses a guessable password, with its reason at the top of
    the form, and takes a 200-character pass-phrase."""
    client = client_for(user("staff-a"), member_a)
    refused = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": "Password2026!", "password2": "Password2026!"},
    )
    assert refused.status_code == 200
    assert "harder to guess" in refused.content.decode()
    assert user("staff-a").check_password(PASSWORD)
    accepted = client.post(
        "/accounts/password/change/",
        {"oldpassword": PASSWORD, "password1": PHRASE_200, "password2": PHRASE_200},
    )
    assert accepted.status_code == 302
    assert user("staff-a").check_password(PHRASE_200)
