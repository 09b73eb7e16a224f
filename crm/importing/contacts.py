"""Writing an import's contacts: load the spool into ``import_contact``, match it, update
and insert contacts, link the organisations the file names, tag, and record consent.

Every statement is set-based, so a million rows cost a handful of statements. Tenant
assumptions: the connection is on the member's schema, inside the import's transaction.
"""

from __future__ import annotations

from typing import IO, Any

from .checks import CONTACT_COPY
from .matching import contacts_match
from .results import ImportResult
from .writing import Written, copy_in, counts_read, execute, mark_changed, tags_apply

# Contact fields an import fills where the file has a value; address fields from a one-line
# address only fill a contact that has no address yet.
CONTACT_TEXT_FIELDS = ["title", "first_name", "last_name", "preferred_name", "phone", "mobile"]
ADDRESS_FIELDS = ["address_line1", "address_line2", "town", "county", "postcode"]
NO_ADDRESS = "(c.address_line1 = '' AND c.address_line2 = '' AND c.town = '' AND c.postcode = '')"


def _contact_sets() -> tuple[list[str], list[str]]:
    """SET clauses for crm_contact c from import_contact t, and the conditions under which
    each would change something."""
    sets, changes = [], []
    for f in CONTACT_TEXT_FIELDS:
        sets.append(f"{f} = CASE WHEN t.{f} <> '' THEN t.{f} ELSE c.{f} END")
        changes.append(f"(t.{f} <> '' AND t.{f} <> c.{f})")
    for f in ADDRESS_FIELDS:
        applies = f"t.{f} <> '' AND (NOT t.address_one_line OR {NO_ADDRESS})"
        sets.append(f"{f} = CASE WHEN {applies} THEN t.{f} ELSE c.{f} END")
        changes.append(f"({applies} AND t.{f} <> c.{f})")
    sets.append("date_of_birth = COALESCE(t.date_of_birth, c.date_of_birth)")
    changes.append("(t.date_of_birth IS NOT NULL AND t.date_of_birth IS DISTINCT FROM "
                   "c.date_of_birth)")  # fmt: skip
    # Notes are added to, once: re-importing the same file does not repeat them.
    sets.append("notes = CASE WHEN t.notes = '' OR strpos(c.notes, t.notes) > 0 THEN c.notes "
                "WHEN c.notes = '' THEN t.notes "
                "ELSE c.notes || E'\\n\\n' || t.notes END")  # fmt: skip
    changes.append("(t.notes <> '' AND strpos(c.notes, t.notes) = 0)")
    return sets, changes


def contacts_write(cursor: Any, spool: IO[str], result: ImportResult, *, user_id: int | None,
                   acting_user: Any, method: str, tag_name: str,
                   crash_after: str | None) -> Written:  # fmt: skip
    """Write the spooled contacts; returns the queries for the ids of what was written."""
    execute(
        cursor,
        "DROP TABLE IF EXISTS import_contact, import_org_name, import_identifier, import_tag",
    )
    execute(cursor, """
        CREATE TEMP TABLE import_contact (
            rownum int, title text, first_name text, last_name text, preferred_name text,
            email text, phone text, mobile text, address_line1 text, address_line2 text,
            town text, county text, postcode text, date_of_birth date, notes text,
            organisation text, tags text, opt_out boolean, optin_time timestamptz,
            confirm_time timestamptz, address_one_line boolean,
            email_key text, name_key text, phone_key text, contact_id bigint,
            is_new boolean NOT NULL DEFAULT false, changed boolean NOT NULL DEFAULT false,
            match_how text, skip_reason text
        ) ON COMMIT DROP""")  # fmt: skip
    spool.seek(0)
    copy_in(cursor, f"COPY import_contact ({', '.join(CONTACT_COPY)}) FROM STDIN", spool)
    contacts_match(cursor, result, acting_user)
    sets, changes = _contact_sets()
    changed = " OR ".join(changes)
    execute(cursor, f"""
        UPDATE import_contact t SET changed = true FROM crm_contact c
         WHERE t.contact_id = c.id AND t.skip_reason IS NULL AND ({changed})""")  # fmt: skip
    assignments = ", ".join(sets)
    execute(cursor, f"""
        UPDATE crm_contact c SET {assignments}, updated_at = now(), updated_by_id = %(user)s
          FROM import_contact t
         WHERE t.contact_id = c.id AND NOT t.is_new AND t.skip_reason IS NULL AND t.changed""",
         {"user": user_id})  # fmt: skip
    execute(
        cursor,
        """
        UPDATE import_contact SET contact_id = nextval(pg_get_serial_sequence('crm_contact', 'id')),
               is_new = true
         WHERE contact_id IS NULL AND skip_reason IS NULL""",
    )
    execute(cursor, """
        INSERT INTO crm_contact (id, created_at, updated_at, created_by_id, updated_by_id,
            owner_id, title, first_name, last_name, preferred_name, email, other_emails, phone,
            mobile, address_line1, address_line2, town, county, postcode, date_of_birth, notes,
            is_restricted, legal_hold)
        SELECT contact_id, now(), now(), %(user)s, %(user)s, %(user)s, title, first_name,
               last_name, preferred_name, email, '{}', phone, mobile, address_line1,
               address_line2, town, county, postcode, date_of_birth, notes, false, false
          FROM import_contact WHERE is_new ORDER BY rownum""", {"user": user_id})  # fmt: skip
    if crash_after == "contacts":
        raise RuntimeError("injected crash after writing contacts")
    _organisations_link(cursor, user_id)
    tags_apply(cursor, "import_contact", "contact_id", "crm_contact_tags", "contact_id", tag_name)
    result.objections = _consents_record(cursor, method=method, user_id=user_id)
    counts_read(cursor, "import_contact", result)
    cursor.execute("SELECT count(*) FROM import_org_name WHERE is_new")
    result.new_organisations = cursor.fetchone()[0]
    return (
        "SELECT contact_id FROM import_contact WHERE skip_reason IS NULL AND (is_new OR changed)",
        "SELECT org_id FROM import_org_name WHERE is_new",
    )


def _organisations_link(cursor: Any, user_id: int | None) -> None:
    """Organisations named in the file: linked by folded name, created when new."""
    execute(
        cursor,
        """
        CREATE TEMP TABLE import_org_name ON COMMIT DROP AS
        SELECT DISTINCT ON (public.commons_fold(organisation)) organisation AS name,
               public.commons_fold(organisation) AS k, NULL::bigint AS org_id,
               false AS is_new
          FROM import_contact WHERE organisation <> '' AND skip_reason IS NULL
         ORDER BY public.commons_fold(organisation), rownum""",
    )
    execute(
        cursor,
        """
        UPDATE import_org_name n SET org_id = m.id
          FROM (SELECT public.commons_fold(name) AS k, min(id) AS id FROM crm_organisation
                 GROUP BY 1) m
         WHERE m.k = n.k""",
    )
    execute(
        cursor,
        """
        UPDATE import_org_name SET is_new = true,
               org_id = nextval(pg_get_serial_sequence('crm_organisation', 'id'))
         WHERE org_id IS NULL""",
    )
    execute(cursor, """
        INSERT INTO crm_organisation (id, created_at, updated_at, created_by_id, updated_by_id,
            name, other_names, org_type, email, phone, address_line1, address_line2, town,
            postcode, district, website, areas_of_work, beneficiaries, income_band,
            membership_status, notes, legal_hold)
        SELECT org_id, now(), now(), %(user)s, %(user)s, name, '{}', 'other', '', '', '', '',
               '', '', '', '', '{}', '{}', '', 'none', '', false
          FROM import_org_name WHERE is_new""", {"user": user_id})  # fmt: skip
    mark_changed(cursor, "import_contact", "contact_id", """
        INSERT INTO crm_contactrole (contact_id, organisation_id, role)
        SELECT t.contact_id, n.org_id, 'contact'
          FROM import_contact t JOIN import_org_name n ON n.k = public.commons_fold(t.organisation)
         WHERE t.skip_reason IS NULL
        ON CONFLICT DO NOTHING""", "contact_id")  # fmt: skip


def _consents_record(cursor: Any, *, method: str, user_id: int | None) -> int:
    """Record what the file says of marketing; returns how many objections it added."""
    # An opt-out becomes a marketing objection, unless one is already the latest word.
    objections = mark_changed(cursor, "import_contact", "contact_id", """
        INSERT INTO crm_consent (contact_id, purpose, channel, status, lawful_basis,
            recorded_at, method, wording, recorded_by_id)
        SELECT t.contact_id, 'marketing', 'any', 'objected', 'legitimate_interests', now(),
               %(method)s, 'Marked as opted out in the imported file', %(user)s
          FROM import_contact t
         WHERE t.opt_out AND t.skip_reason IS NULL
           AND COALESCE((SELECT c.status FROM crm_consent c
                          WHERE c.contact_id = t.contact_id AND c.purpose = 'marketing'
                          ORDER BY c.recorded_at DESC, c.id DESC LIMIT 1), '') <> 'objected'""",
        "contact_id", {"method": method[:100], "user": user_id})  # fmt: skip
    # A mailing tool's opt-in times (Mailchimp's OPTIN_TIME, CONFIRM_TIME) are the evidence
    # of consent: kept as a consent given at that time, once.
    mark_changed(cursor, "import_contact", "contact_id", """
        INSERT INTO crm_consent (contact_id, purpose, channel, status, lawful_basis,
            recorded_at, method, wording, recorded_by_id)
        SELECT t.contact_id, 'marketing', 'email', 'granted', 'consent',
               COALESCE(t.confirm_time, t.optin_time), %(method)s,
               concat_ws('; ',
                   'Opted in to the mailing list at ' || to_char(t.optin_time AT TIME ZONE 'UTC',
                                                            'YYYY-MM-DD HH24:MI:SS "UTC"'),
                   'confirmed at ' || to_char(t.confirm_time AT TIME ZONE 'UTC',
                                              'YYYY-MM-DD HH24:MI:SS "UTC"')),
               %(user)s
          FROM import_contact t
         WHERE NOT t.opt_out AND t.skip_reason IS NULL
           AND COALESCE(t.confirm_time, t.optin_time) IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM crm_consent c
                            WHERE c.contact_id = t.contact_id AND c.purpose = 'marketing'
                              AND c.status = 'granted'
                              AND c.recorded_at = COALESCE(t.confirm_time, t.optin_time))""",
        "contact_id", {"method": method[:100], "user": user_id})  # fmt: skip
    return objections
