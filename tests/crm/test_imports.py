"""Imports: every awkward file members really have, and all-or-nothing writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from crm import importing, services
from crm.models import Consent, Contact, ContactRole, Organisation, OrganisationIdentifier

DATA = Path(__file__).resolve().parent.parent / "data" / "imports"
EXPECTED = list(csv.DictReader((DATA / "EXPECTED.tsv").open(encoding="utf-8"), delimiter="\t"))


def run_import(data: bytes, user=None, **kwargs):
    return importing.records_import(
        handle=io.BytesIO(data), size=len(data), acting_user=user, **kwargs
    )


def counts() -> tuple[int, int, int]:
    return Contact.objects.count(), Organisation.objects.count(), Consent.objects.count()


@pytest.mark.parametrize("case", EXPECTED, ids=[c["file"] for c in EXPECTED])
def test_every_awkward_file_has_the_expected_outcome(case, at_a, user):
    """Each file in tests/data/imports succeeds with its row count, or fails with a clear
    message and leaves nothing written (EXPECTED.tsv)."""
    data = (DATA / case["file"]).read_bytes()
    before = counts()
    if case["outcome"] == "ok":
        result = run_import(data, user("staff-a"))
        assert result.written
        assert result.new + result.updated == int(case["rows"])
        assert Contact.objects.count() + Organisation.objects.count() > sum(before[:2])
    else:
        with pytest.raises(importing.ImportRejected) as caught:
            run_import(data, user("staff-a"))
        assert caught.value.message
        assert counts() == before


def _problems(name: str, at_a) -> list:
    with pytest.raises(importing.ImportRejected) as caught:
        run_import((DATA / name).read_bytes())
    return caught.value.result.problems


def test_bad_emails_are_named_by_row_and_column(at_a):
    """err_bad_emails.csv: rows 5 and 6, column Email, and nothing written."""
    problems = _problems("err_bad_emails.csv", at_a)
    assert [(p.row, p.column) for p in problems] == [(5, "Email"), (6, "Email")]
    assert "not-an-email" in problems[0].message
    assert Contact.objects.count() == 0


def test_bad_postcode_is_named_by_row_and_column(at_a):
    """err_bad_postcode.csv: the row and the Postcode column are named."""
    problems = _problems("err_bad_postcode.csv", at_a)
    assert [(p.row, p.column) for p in problems] == [(4, "Postcode")]
    assert "NOT A POSTCODE" in problems[0].message


def test_ragged_row_is_named(at_a):
    """A row with more values than the header names its row."""
    problems = _problems("err_ragged.csv", at_a)
    assert problems[0].row == 4
    assert "8 values" in problems[0].message


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("err_empty.csv", "empty"),
        ("err_header_only.csv", "no rows"),
        ("err_missing_required.csv", "Last name"),
        ("err_binary.csv", "not a table"),
    ],
)
def test_file_level_problems_say_what_is_wrong(name, words, at_a):
    """Empty files, header-only files, missing columns and images get a plain message."""
    with pytest.raises(importing.ImportRejected) as caught:
        run_import((DATA / name).read_bytes())
    assert words in caught.value.message


def test_oversized_file_is_refused_before_reading(at_a, settings):
    """A file over the size limit is refused with the limit in the message."""
    settings.IMPORT_MAX_BYTES = 100
    with pytest.raises(importing.ImportRejected, match="largest file"):
        run_import((DATA / "ok_utf8.csv").read_bytes())


def test_encodings_and_quoting_keep_every_character(at_a):
    """UTF-8, UTF-8 with BOM and Windows-1252 read the same names; quoted newlines survive."""
    run_import((DATA / "ok_cp1252.csv").read_bytes())
    assert Contact.objects.get(email="tomas@example.org").last_name == "García"
    assert Organisation.objects.filter(name="Craven Youth £ Fund").exists()
    run_import((DATA / "ok_utf8_bom.csv").read_bytes())
    assert Contact.objects.get(email="zoe@example.org").first_name == "Zoë"
    run_import((DATA / "ok_quoted_newline.csv").read_bytes())
    assert Organisation.objects.filter(name='Selby "Friends", of the\nLibrary').exists()


def test_leading_zeros_are_kept_in_identifiers(at_a):
    """Company and charity numbers stay strings: 01234567, not 1234567."""
    run_import((DATA / "ok_leading_zeros.csv").read_bytes())
    org = Organisation.objects.get(name="Acme Trust")
    idents = set(
        OrganisationIdentifier.objects.filter(organisation=org).values_list("scheme", "value")
    )
    assert idents == {("GB-COH", "01234567"), ("GB-CHC", "0012345")}
    assert org.identifiers.filter(is_preferred=True).count() == 1


def test_reimport_matches_by_email_and_reports_unchanged_rows(at_a):
    """Importing the same people twice matches them by e-mail instead of duplicating them,
    and an import that changes nothing reports its rows as unchanged, not updated."""
    first = run_import((DATA / "ok_utf8.csv").read_bytes())
    second = run_import((DATA / "ok_crlf.csv").read_bytes())
    assert (first.new, second.new, second.updated, second.unchanged) == (5, 0, 0, 5)
    assert Contact.objects.count() == 5
    assert ContactRole.objects.count() == 5


def test_reimport_with_a_new_value_counts_that_row_as_updated(at_a):
    """Only rows that change something count as updated; the rest are unchanged."""
    run_import(b"First name,Last name,Email,Phone\nAda,L,ada@example.org,\nBo,M,bo@example.org,\n")
    again = run_import(
        b"First name,Last name,Email,Phone\nAda,L,ada@example.org,01904 000000\n"
        b"Bo,M,bo@example.org,\n"
    )
    assert (again.new, again.updated, again.unchanged) == (0, 1, 1)
    assert Contact.objects.get(email="ada@example.org").phone == "01904 000000"


def test_update_by_identifier(at_a):
    """An organisation import matches an existing organisation by its identifier."""
    services.organisation_create(
        acting_user=None, name="Acme Old Name", identifiers=[("GB-COH", "01234567")]
    )
    result = run_import((DATA / "ok_leading_zeros.csv").read_bytes())
    assert (result.new, result.updated) == (0, 1)
    assert Organisation.objects.get().name == "Acme Trust"


def test_opt_out_becomes_an_objection_that_a_reimport_keeps(at_a):
    """An opt-out flag becomes a marketing objection; a later import without it keeps it."""
    run_import(b"First name,Last name,Email,Do Not Email\nAda,Lovelace,ada@example.org,Yes\n")
    contact = Contact.objects.get(email="ada@example.org")
    assert contact.consents.get().status == "objected"
    run_import(b"First name,Last name,Email,Do Not Email\nAda,Lovelace,ada@example.org,No\n")
    run_import(b"First name,Last name,Email\nAda,Lovelace,ada@example.org\n")
    assert contact.consents.count() == 1
    assert contact.consents.get().status == "objected"


def test_dry_run_treats_a_hidden_restricted_email_exactly_like_an_unknown_one(at_a, user):
    """A row whose e-mail belongs to a restricted contact the importer cannot see gets the
    same preview as a row with an unknown e-mail (new, no match shown, nothing skipped), and
    the restricted record is never changed."""
    secret = services.contact_create(
        acting_user=user("manager-a"), first_name="Hidden", last_name="Person",
        email="hidden@example.org", is_restricted=True,
    )  # fmt: skip

    def check(email: bytes):
        data = b"First name,Last name,Email\nChanged,Name," + email + b"\n"
        return run_import(data, user("staff-a"), dry_run=True).as_summary()

    restricted, unknown = check(b"hidden@example.org"), check(b"nobody@example.org")
    for summary in (restricted, unknown):
        del summary["preview"][0]["E-mail"]
    assert restricted == unknown
    assert (restricted["new"], restricted["updated"], restricted["skipped"]) == (1, 0, 0)
    result = run_import(b"First name,Last name,Email\nChanged,Name,hidden@example.org\n",
                        user("staff-a"))  # fmt: skip
    secret.refresh_from_db()
    assert (secret.first_name, secret.last_name) == ("Hidden", "Person")
    assert result.new == 1


def test_importer_with_access_updates_the_restricted_contact(at_a, user):
    """A colleague granted the restricted contact matches and updates it as usual."""
    secret = services.contact_create(
        acting_user=user("manager-a"), first_name="Hidden", last_name="Person",
        email="hidden@example.org", is_restricted=True,
    )  # fmt: skip
    result = run_import(b"First name,Last name,Email\nChanged,Person,hidden@example.org\n",
                        user("manager-a"))  # fmt: skip
    secret.refresh_from_db()
    assert (result.new, result.updated, secret.first_name) == (0, 1, "Changed")


def test_crash_half_way_leaves_nothing(at_a):
    """A crash after contacts were written rolls everything back."""
    before = counts()
    with pytest.raises(RuntimeError):
        run_import((DATA / "ok_utf8.csv").read_bytes(), crash_after="contacts")
    assert counts() == before


def test_dry_run_counts_exactly_and_writes_nothing(at_a):
    """The preview's new/updated counts are exact, and nothing is written."""
    run_import((DATA / "ok_utf8.csv").read_bytes())
    before = counts()
    preview = run_import(
        b"First name,Last name,Email,Phone\n"
        b"Aoife,O'Brien,aoife.obrien@example.org,01904 999999\nNew,One,n1@example.org,\n",
        dry_run=True,
    )
    assert (preview.new, preview.updated, preview.written) == (1, 1, False)
    assert counts() == before


def test_common_crm_headers_map_without_manual_work(at_a):
    """Salesforce, CiviCRM and Mailchimp style headers map to the right fields."""
    data = (
        b"FirstName,LastName,Email Address,MailingPostalCode,MobilePhone,HasOptedOutOfEmail,"
        b"Account Name\nGrace,Hopper,grace@example.org,yo1 7hh,07700 900001,true,Navy Trust\n"
    )
    run_import(data)
    grace = Contact.objects.get(email="grace@example.org")
    assert (grace.postcode, grace.mobile) == ("YO1 7HH", "07700 900001")
    assert grace.consents.get().status == "objected"
    assert grace.roles.get().organisation.name == "Navy Trust"


def test_same_email_twice_in_a_file_uses_the_first(at_a):
    """Two rows with one e-mail give one contact; the second row is reported as skipped."""
    result = run_import(b"First name,Last name,Email\nA,One,x@example.org\nB,Two,X@example.org\n")
    assert (result.new, result.skipped) == (1, 1)
    assert "row 2" in result.skipped_rows[0][1]


def test_import_announces_the_ids_it_wrote(at_a):
    """Imports announce the contact and organisation ids they wrote, in bulk."""
    from crm.changes import records_changed

    heard = []

    def listener(sender, **kwargs):
        heard.append((kwargs["record_type"], len(kwargs["ids"])))

    records_changed.connect(listener)
    try:
        run_import((DATA / "ok_utf8.csv").read_bytes())
    finally:
        records_changed.disconnect(listener)
    assert ("contact", 5) in heard
    assert ("organisation", 5) in heard


def test_import_records_command_imports_and_reports_problems(member_a, capsys):
    """`import_records --member SLUG FILE` imports with a progress bar; bad files name rows."""
    from django.core.management import CommandError, call_command
    from django.db import connection

    call_command("import_records", str(DATA / "ok_utf8.csv"), member="alpha")
    assert "Imported 5 rows into Alpha Voluntary Action: 5 new" in capsys.readouterr().out
    with pytest.raises(CommandError, match="2 problems"):
        call_command("import_records", str(DATA / "err_bad_emails.csv"), member="alpha")
    assert "row 5, column Email" in capsys.readouterr().err
    connection.set_tenant(member_a)
    assert Contact.objects.count() == 5


@pytest.mark.parametrize(
    ("data", "column"),
    [
        (b"Name,Areas of work\nLong Trust," + b"x" * 61 + b"\n", "Areas of work"),
        (b"First name,Last name,Email\nA,B," + b"a" * 250 + b"@example.org\n", "Email"),
        (b"First name,Last name,Tags\nA,B," + b"t" * 81 + b"\n", "Tags"),
        (b"Name,Charity number\nZ Trust," + b"1" * 41 + b"\n", "Charity number"),
    ],
)
def test_values_too_long_for_their_column_are_row_problems(data, column, at_a):
    """A value or list entry longer than its column is reported on its row, never a crash."""
    with pytest.raises(importing.ImportRejected) as caught:
        run_import(data)
    assert [(p.row, p.column) for p in caught.value.result.problems] == [(2, column)]


def test_tags_differing_only_in_case_make_one_tag(at_a):
    """'Volunteers' and 'volunteers' in one file are one tag."""
    from crm.models import Tag

    run_import(b"First name,Last name,Tags\nA,One,Volunteers\nB,Two,volunteers\n")
    assert Tag.objects.filter(name__iexact="volunteers").count() == 1
