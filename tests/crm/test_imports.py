"""Imports: every awkward file members really have, and all-or-nothing writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.db import connection

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


# --- issue 11: files and exports members really have ------------------------------------


def _refused(name: str, user=None) -> importing.ImportRejected:
    with pytest.raises(importing.ImportRejected) as caught:
        run_import((DATA / name).read_bytes(), user)
    return caught.value


def test_utf8_with_one_bad_byte_is_refused_naming_its_row_and_column(at_a):
    """A UTF-8 file with one byte that is not UTF-8 is not read as Windows-1252: it is
    refused, naming the row and column of the bad byte, and the existing contact keeps its
    correctly spelt name."""
    services.contact_create(
        acting_user=None, first_name="Zoë", last_name="Brontë", email="zoe@example.org"
    )
    refused = _refused("err_utf8_one_bad_byte.csv")
    assert refused.message.startswith("Row 4, column 2 (B, Surname) has a byte that is not valid")
    assert "UTF-8" in refused.message
    zoe = Contact.objects.get(email="zoe@example.org")
    assert (zoe.first_name, zoe.last_name, Contact.objects.count()) == ("Zoë", "Brontë", 1)


def test_windows_1252_file_keeps_accents_pound_and_curly_quotes(at_a):
    """Excel's plain "CSV" on Windows (ë as 0xEB, £, curly quotes) imports every character."""
    run_import((DATA / "ok_cp1252_curly.csv").read_bytes())
    zoe = Contact.objects.get(email="zoe.cp@example.org")
    assert (zoe.first_name, zoe.last_name, zoe.notes) == ("Zoë", "Brontë", "“Paid £5” – thanks")
    assert Contact.objects.get(email="sean@example.org").last_name == "O’Neill"


def test_excel_unicode_text_imports(at_a):
    """Excel's "Unicode text" (UTF-16 LE with BOM, tab separated) is a table, not binary."""
    result = run_import((DATA / "ok_utf16_unicode_text.txt").read_bytes())
    assert result.new == 2
    zoe = Contact.objects.get(email="zoe16@example.org")
    assert (zoe.first_name, zoe.last_name, zoe.postcode) == ("Zoë", "Brontë", "YO1 7HH")


def test_table_on_second_sheet_below_a_title_row_is_found(at_a):
    """An XLSX whose first sheet is notes and whose table sits below a title row imports
    the table, with rows numbered as the spreadsheet shows them."""
    result = run_import((DATA / "ok_second_sheet_title_row.xlsx").read_bytes())
    assert result.new == 2
    assert [p["row"] for p in result.preview] == [4, 5]
    assert Contact.objects.get(email="ada.sheet2@example.org").last_name == "Lovelace"


@pytest.mark.parametrize("name", ["ok_merged_header.csv", "ok_merged_header.xlsx"])
def test_two_row_merged_header_is_read_as_one_header(name, at_a):
    """A merged "Name" over "First" and "Last" is one header: nobody is named "First"."""
    run_import((DATA / name).read_bytes())
    assert not Contact.objects.filter(first_name="First").exists()
    assert not Contact.objects.filter(last_name="Last").exists()
    ada = Contact.objects.get(first_name="Ada")
    assert ada.last_name == "Lovelace"
    assert ada.email.startswith("ada.")


def test_two_columns_with_one_heading_are_refused_naming_both(at_a):
    """Two columns headed "Email" are refused, naming both, and nothing is written."""
    refused = _refused("err_duplicate_headings.csv")
    assert "Columns 3 (C) and 5 (E) both have the heading “Email”" in refused.message
    assert Contact.objects.count() == 0


def test_semicolon_file_with_quoted_commas_is_split_on_semicolons(at_a):
    """`Name;"Address, line 1";"Address, line 2"` is semicolon separated, though the header
    has as many commas (inside quotes) as semicolons."""
    run_import((DATA / "ok_semicolon_quoted.csv").read_bytes())
    ada = Contact.objects.get(last_name="Lovelace")
    assert (ada.first_name, ada.last_name, ada.address_line1, ada.address_line2) == (
        "Ada", "Lovelace", "1, High Street", "Old Town, York"
    )  # fmt: skip


def test_web_page_is_named_as_such_without_echoing_it(at_a):
    """A web page saved as .csv is called a web page; the message holds none of its code."""
    refused = _refused("err_web_page.csv")
    assert "looks like a web page, not a spreadsheet" in refused.message
    assert "<" not in refused.message
    assert "html" not in refused.message.lower()


def test_unknown_headings_that_are_not_text_are_not_echoed(at_a):
    """A file whose first row is not headings says so instead of quoting it."""
    with pytest.raises(importing.ImportRejected) as caught:
        run_import(b"<b>x</b>,\x1b[31mred\n1,2\n")
    assert "<b>" not in caught.value.message
    assert "\x1b" not in caught.value.message
    assert importing.NOT_HEADINGS in caught.value.message


def test_very_long_cell_is_reported_as_too_long_with_row_column_and_limit(at_a):
    """A 200,000-character cell is "too long" (row, column, limit), not blamed on quoting."""
    refused = _refused("err_long_field.csv")
    [problem] = refused.result.problems
    assert (problem.row, problem.column) == (2, "Notes")
    assert "200,000 characters long, which is too long" in problem.message
    assert "32,767" in problem.message
    assert "quoting" not in problem.message


def _mailing_export(client_for, user, member_a) -> str:
    client = client_for(user("staff-a"), member_a)
    response = client.get("/contacts/export.csv", {"mailing": "1"})
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


@pytest.mark.parametrize(
    ("name", "opted_out", "kept"),
    [
        ("civicrm_contacts.csv", {"ada.civi@example.org", "alan.civi@example.org"},
         {"grace.civi@example.org"}),
        ("npsp_contacts.csv", {"ben.npsp@example.org"}, {"ada.npsp@example.org"}),
        ("mailchimp_unsubscribed.csv", {"ada.unsub@example.org"}, set()),
    ],
)  # fmt: skip
def test_every_known_opt_out_column_keeps_people_out_of_the_mailing_export(
    name, opted_out, kept, client_for, user, member_a
):
    """CiviCRM's "Do Not Email" and "No Bulk Emails (User Opt Out)" both count, as do NPSP's
    "Do Not Contact" and Mailchimp's UNSUB_TIME: such people are absent from the "for a
    mailing" export, and the others are in it."""
    connection.set_tenant(member_a)
    run_import((DATA / name).read_bytes(), user("staff-a"))
    export = _mailing_export(client_for, user, member_a)
    for email in opted_out:
        assert email not in export
    for email in kept:
        assert email in export


def test_civicrm_current_employer_is_kept_when_organization_name_is_empty(at_a):
    """CiviCRM leaves "Organization Name" empty for people: "Current Employer" is used."""
    run_import((DATA / "civicrm_contacts.csv").read_bytes())
    ada = Contact.objects.get(email="ada.civi@example.org")
    assert [r.organisation.name for r in ada.roles.all()] == ["Analytical Engines Ltd"]


def test_npsp_household_accounts_are_not_organisations(at_a):
    """An NPSP "Smith Household" account is a family: no organisation, no role; a real
    account is linked. In an organisation import, a household row is skipped, saying why."""
    run_import((DATA / "npsp_contacts.csv").read_bytes())
    assert not Organisation.objects.filter(name__icontains="household").exists()
    assert not Contact.objects.get(email="ada.npsp@example.org").roles.exists()
    assert Contact.objects.get(email="ben.npsp@example.org").roles.get().organisation.name == (
        "Ryedale Food Bank"
    )
    result = run_import(
        b"Account Name,Account Record Type,Phone\nJones Household,Household Account,\n"
        b"Malton Men's Shed,Organization,01653 000000\n"
    )
    assert (result.new, result.skipped_rows) == (1, [(2, importing.HOUSEHOLD)])
    assert not Organisation.objects.filter(name="Jones Household").exists()


def test_mailchimp_one_line_address_is_split_and_never_overwrites_a_structured_one(at_a):
    """Mailchimp's one-line Address fills a new contact's address fields, split sensibly,
    and never replaces the structured address an existing contact has."""
    services.contact_create(
        acting_user=None, first_name="Alan", last_name="Turing", email="alan.mc@example.org",
        address_line1="1 Bletchley Park", town="Milton Keynes", postcode="MK3 6EB",
    )  # fmt: skip
    data = (DATA / "mailchimp_subscribed.csv").read_bytes()
    line = b'alan.mc@example.org,Alan,Turing,"9 Station Road  Filey  YO14 9DG",'
    data = data.replace(b"alan.mc@example.org,Alan,Turing,,", line)
    run_import(data)
    ada = Contact.objects.get(email="ada.mc@example.org")
    assert (ada.address_line1, ada.address_line2, ada.town, ada.county, ada.postcode) == (
        "12 High Street", "Flat 3", "Malton", "North Yorkshire", "YO17 7AB"
    )  # fmt: skip
    alan = Contact.objects.get(email="alan.mc@example.org")
    assert (alan.address_line1, alan.town, alan.postcode) == (
        "1 Bletchley Park", "Milton Keynes", "MK3 6EB"
    )  # fmt: skip


def test_mailchimp_tags_lose_their_quotes(at_a):
    """TAGS `"Volunteers","Newsletter 2026"` become the tags Volunteers and Newsletter 2026."""
    run_import((DATA / "mailchimp_subscribed.csv").read_bytes())
    ada = Contact.objects.get(email="ada.mc@example.org")
    assert sorted(t.name for t in ada.tags.all()) == ["Newsletter 2026", "Volunteers"]
    assert [t.name for t in Contact.objects.get(email="alan.mc@example.org").tags.all()] == [
        "Trustees"
    ]


def test_mailchimp_opt_in_times_are_kept_as_consent_evidence_once(at_a):
    """OPTIN_TIME and CONFIRM_TIME become a marketing consent given by e-mail at the
    confirmation time, worded with both times; re-importing does not add a second."""
    from datetime import UTC, datetime

    run_import((DATA / "mailchimp_subscribed.csv").read_bytes())
    again = run_import((DATA / "mailchimp_subscribed.csv").read_bytes())
    consent = Contact.objects.get(email="ada.mc@example.org").consents.get()
    assert (consent.purpose, consent.channel, consent.status) == ("marketing", "email", "granted")
    assert consent.recorded_at == datetime(2024, 3, 1, 9, 20, 31, tzinfo=UTC)
    assert "2024-03-01 09:15:00 UTC" in consent.wording
    assert "confirmed at 2024-03-01 09:20:31 UTC" in consent.wording
    alan = Contact.objects.get(email="alan.mc@example.org").consents.get()
    assert alan.recorded_at == datetime(2023, 11, 5, 18, 0, tzinfo=UTC)
    assert (again.new, again.updated, again.unchanged) == (0, 0, 2)


def test_charity_commission_extract_maps_postcode_and_company_and_matches_by_number(at_a):
    """The register extract maps postcode and company number (GB-COH-, 8 digits), and an
    organisation the member has (by charity number) is matched, keeping its own spelling,
    instead of an upper-case duplicate being created."""
    services.organisation_create(
        acting_user=None, name="Skipton District Lunch Club",
        identifiers=[("GB-CHC", "1104221")],
    )  # fmt: skip
    result = run_import((DATA / "charity_commission_extract.txt").read_bytes())
    assert (result.new, result.updated) == (4, 1)
    club = Organisation.objects.get(identifiers__value="1104221")
    assert (club.name, club.postcode) == ("Skipton District Lunch Club", "BD23 2HX")
    assert Organisation.objects.filter(name__iexact="skipton district lunch club").count() == 1
    mission = Organisation.objects.get(identifiers__value="0509876")
    assert mission.postcode == "YO1 9QL"
    assert set(mission.identifiers.values_list("scheme", "value")) == {
        ("GB-CHC", "0509876"), ("GB-COH", "01422334")
    }  # fmt: skip


def test_contacts_without_email_are_matched_by_name_and_postcode_or_phone(at_a):
    """People without an e-mail are matched on re-import by name and postcode, or by name
    and phone, the match shown in the preview; nothing is duplicated."""
    data = (
        b"First name,Last name,Postcode,Phone\n"
        b"Zo\xc3\xab,Bront\xc3\xab,YO1 7HH,\nAlan,Turing,,01904 123456\n"
    )
    first = run_import(data)
    preview = run_import(
        data.replace(b"Zo\xc3\xab,", b"zo\xc3\xab,").replace(b"01904 123456", b"+44 1904 123456"),
        dry_run=True,
    )
    assert (first.new, preview.new, preview.updated) == (2, 0, 2)
    matches = [p[importing.MATCH_LABEL] for p in preview.preview]
    assert matches == ["Zoë Brontë, by name and postcode", "Alan Turing, by name and phone"]
    again = run_import(data)
    assert (again.new, again.unchanged, Contact.objects.count()) == (0, 2, 2)


# --- uploaded files are not kept longer than needed -----------------------------------


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def _kept_files(media) -> list:
    return [p for p in media.rglob("*") if p.is_file()]


def test_upload_over_the_size_limit_is_refused_and_not_kept(client_for, user, member_a, media,
                                                            settings):  # fmt: skip
    """An upload refused for its size is a form error, and no file stays on disk."""
    settings.IMPORT_MAX_BYTES = 100
    client = client_for(user("staff-a"), member_a)
    with (DATA / "ok_utf8.csv").open("rb") as handle:
        response = client.post("/imports/", {"file": handle})
    assert response.status_code == 200
    assert "the largest file an import takes" in response.content.decode()
    assert _kept_files(media) == []


@pytest.mark.parametrize("name", ["err_binary.csv", "err_utf8_one_bad_byte.csv", "ok_utf8.csv"])
def test_refused_and_finished_imports_do_not_keep_their_file(name, client_for, user, member_a,
                                                             media):  # fmt: skip
    """A file refused as a whole, and a file whose import is done, are removed from disk."""
    client = client_for(user("staff-a"), member_a)
    with (DATA / name).open("rb") as handle:
        detail = client.post("/imports/", {"file": handle})["Location"]
    if name.startswith("ok"):
        client.post(detail, {"confirm": "1"})
    connection.set_tenant(member_a)
    from crm.models import ImportJob

    job = ImportJob.objects.get()
    assert job.status == ("done" if name.startswith("ok") else "failed")
    assert (job.file.name, _kept_files(media)) == ("", [])


def test_abandoned_imports_lose_their_file_by_command_and_on_the_next_import(at_a, user,
                                                                             media):  # fmt: skip
    """A checked import left for longer than the threshold, and an upload no import refers
    to, are removed by `imports_clean` (the job says why); a recent one is kept; the next
    import cleans up as well."""
    from datetime import timedelta

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command
    from django.utils import timezone

    from crm import import_jobs
    from crm.models import ImportJob

    def upload():
        data = (DATA / "ok_utf8.csv").read_bytes()
        job = import_jobs.import_job_create(
            upload=SimpleUploadedFile("people.csv", data), acting_user=user("staff-a")
        )
        return import_jobs.import_job_check(job=job)

    old, recent = upload(), upload()
    assert (old.status, len(_kept_files(media))) == ("checked", 2)
    stray = media / "imports" / at_a.schema_name / "stray"
    stray.write_bytes(b"left by a crash")
    two_days_ago = timezone.now() - timedelta(days=2)
    ImportJob.objects.filter(pk=old.pk).update(created_at=two_days_ago)
    import os

    os.utime(stray, (two_days_ago.timestamp(), two_days_ago.timestamp()))
    call_command("imports_clean")
    old.refresh_from_db()
    assert (old.status, old.file.name) == ("failed", "")
    assert "left unfinished for more than 24 hours" in old.summary["message"]
    assert [p.name for p in _kept_files(media)] == [os.path.basename(recent.file.name)]
    with pytest.raises(ValueError, match="file has been removed"):
        import_jobs.import_job_check(job=old)

    ImportJob.objects.filter(pk=recent.pk).update(created_at=two_days_ago)
    newest = upload()
    recent.refresh_from_db()
    assert recent.file.name == ""
    assert [p.name for p in _kept_files(media)] == [os.path.basename(newest.file.name)]


@pytest.mark.parametrize(
    ("data", "words"),
    [
        # Found by the "Imports never lie" sweep: UTF-16 bytes 00 E0 are U+E000.
        ("\ufeffLast name\n\ue000\n".encode("utf-16-le"), "not text (U+E000"),
        (b"First name,Last name\nA,B\x07ell\n", "control character (code 7)"),
        ("Last name\nBront\ufffd\n".encode(), "an earlier conversion left"),
    ],
)
def test_characters_no_one_types_are_refused_as_damaged_text(data, words, at_a):
    """Private-use, unassigned and control characters, and the replacement character an
    earlier bad conversion leaves, are row problems naming row and column: never a name."""
    with pytest.raises(importing.ImportRejected) as caught:
        run_import(data)
    [problem] = caught.value.result.problems
    assert (problem.row, problem.column) == (2, "Last name")
    assert words in problem.message
    assert Contact.objects.count() == 0


def test_reimporting_notes_adds_them_once(at_a):
    """Notes are added to a contact once: importing the same file again neither repeats
    them nor counts the row as updated (found while building the unchanged count)."""
    data = b"First name,Last name,Email,Notes\nAda,L,ada@example.org,Met at the fair\n"
    run_import(data)
    again = run_import(data)
    assert Contact.objects.get(email="ada@example.org").notes == "Met at the fair"
    assert (again.updated, again.unchanged) == (0, 1)


def test_an_objection_follows_the_person_to_an_import_made_duplicate(client_for, user, member_a):
    """A restricted contact who objected to marketing, imported again by staff who cannot
    see them (so the import makes a new record), stays out of the "for a mailing" export:
    an objection belongs to the e-mail address's owner, not to one record of them. The
    importer learns nothing: the new record holds no objection of its own."""
    connection.set_tenant(member_a)
    secret = services.contact_create(
        acting_user=user("manager-a"), first_name="Hidden", last_name="Objector",
        email="Hidden.Objector@example.org", is_restricted=True,
    )  # fmt: skip
    services.consent_record(contact=secret, purpose="marketing", status="objected",
                            acting_user=user("manager-a"))  # fmt: skip
    result = run_import(
        b"First name,Last name,Email\nHidden,Objector,hidden.objector@example.org\n"
        b"Open,Person,open.person@example.org\n",
        user("staff-a"),
    )
    assert result.new == 2
    duplicate = Contact.objects.get(email__iexact="hidden.objector@example.org",
                                    is_restricted=False)  # fmt: skip
    assert not duplicate.consents.exists()
    export = _mailing_export(client_for, user, member_a)
    assert "hidden.objector@example.org" not in export.lower()
    assert "open.person@example.org" in export


def test_a_short_windows_1252_file_the_detector_is_unsure_of_still_imports(at_a):
    """A few rows of Windows-1252 ("Zoë", "£5", curly quotes) are too little text for the
    detector; accented letters and typography alone make it Windows-1252 (hypothesis found
    this file being refused)."""
    data = (
        "First name|Last name|Town|Email\r\n|Zoë Zoë|£5|person0@example.org\r\n"
        "|“quoted”||person1@example.org\r\n"
    ).encode("cp1252")
    result = run_import(data)
    assert (result.new, result.problem_count) == (2, 0)
    assert Contact.objects.get(email="person0@example.org").last_name == "Zoë Zoë"
