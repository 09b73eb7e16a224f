"""Which existing contact each imported row is: by e-mail, else by name and postcode, else
by name and phone; and which rows of the file are the same person as an earlier row.

Only contacts the importer may see are ever matched: a restricted contact hidden from them
is, for the import, someone who does not exist. Tenant assumptions: the connection is on
the member's schema, and ``import_contact`` holds the file's rows.
"""

from __future__ import annotations

from typing import Any

from crm.selectors import contact_ids_hidden_from

from .results import ImportResult
from .writing import execute

PHONE_KEY = "right(regexp_replace({col}, '[^0-9]', '', 'g'), 10)"
MATCH_LABEL = "Matches"


def _hidden_contacts(acting_user: Any) -> list[int]:
    """Restricted contacts the importer may not see. An import treats them as if they did
    not exist: a row with one of their e-mails is a new person, exactly as an unknown
    address is, so a dry run reveals nothing and no restricted record is changed. Who may
    see what is the selector's decision."""
    return contact_ids_hidden_from(user=acting_user)


def contacts_match(cursor: Any, result: ImportResult, acting_user: Any) -> None:
    """Set ``contact_id`` and ``match_how`` of each row that is a contact the importer may
    see, and ``skip_reason`` of each row that repeats an earlier one."""
    phone = PHONE_KEY.format(col="COALESCE(NULLIF(phone, ''), mobile)")
    execute(cursor, f"""
        UPDATE import_contact SET email_key = NULLIF(lower(email), ''),
               name_key = public.commons_fold(first_name || ' ' || last_name),
               phone_key = CASE WHEN length({phone}) = 10 THEN {phone} END""")  # fmt: skip
    execute(cursor, "CREATE INDEX ON import_contact (email_key)")
    execute(
        cursor,
        """
        UPDATE import_contact t SET skip_reason = 'same e-mail as row ' || d.first_row
          FROM (SELECT email_key, min(rownum) AS first_row FROM import_contact
                 WHERE email_key IS NOT NULL GROUP BY email_key HAVING count(*) > 1) d
         WHERE t.email_key = d.email_key AND t.rownum <> d.first_row""",
    )
    hidden = _hidden_contacts(acting_user)
    execute(cursor, """
        UPDATE import_contact t SET contact_id = m.id, match_how = 'e-mail'
          FROM (SELECT lower(c.email) AS k, min(c.id) AS id FROM crm_contact c
                 WHERE lower(c.email) IN (SELECT email_key FROM import_contact)
                   AND c.id <> ALL(%(hidden)s)
                 GROUP BY lower(c.email)) m
         WHERE t.email_key = m.k AND t.skip_reason IS NULL""", {"hidden": hidden})  # fmt: skip
    # People without an e-mail: the same name at the same postcode, or with the same phone
    # (asked only when the file has such rows: it reads every contact's phone numbers).
    cursor.execute("SELECT EXISTS (SELECT 1 FROM import_contact WHERE email_key IS NULL)")
    if cursor.fetchone()[0]:
        _match_without_email(cursor, hidden)
    # Two rows for one person (by e-mail in one, by name in another, or twice by name).
    execute(
        cursor,
        """
        UPDATE import_contact t SET skip_reason = 'same person as row ' || d.first_row
          FROM (SELECT contact_id, min(rownum) AS first_row FROM import_contact
                 WHERE contact_id IS NOT NULL AND skip_reason IS NULL
                 GROUP BY contact_id HAVING count(*) > 1) d
         WHERE t.contact_id = d.contact_id AND t.rownum <> d.first_row""",
    )
    execute(
        cursor,
        """
        UPDATE import_contact t SET skip_reason = 'same person as row ' || d.first_row
          FROM (SELECT name_key, postcode, phone_key, rownum, min(rownum) OVER (
                       PARTITION BY name_key, COALESCE(NULLIF(postcode, ''), phone_key)
                       ) AS first_row
                  FROM import_contact
                 WHERE email_key IS NULL AND contact_id IS NULL AND skip_reason IS NULL
                   AND (postcode <> '' OR phone_key IS NOT NULL)) d
         WHERE t.rownum = d.rownum AND d.first_row <> d.rownum""",
    )
    _preview_matches(cursor, result)


def _match_without_email(cursor: Any, hidden: list[int]) -> None:
    """Rows without an e-mail match a visible contact by name and postcode, else by name
    and phone (the last ten digits, so +44 1904 and 01904 agree)."""
    execute(cursor, """
        UPDATE import_contact t SET contact_id = m.id, match_how = 'name and postcode'
          FROM (SELECT public.commons_fold(c.first_name || ' ' || c.last_name) AS k,
                       c.postcode, min(c.id) AS id FROM crm_contact c
                 WHERE c.postcode IN (SELECT postcode FROM import_contact
                                       WHERE email_key IS NULL AND postcode <> '')
                   AND c.id <> ALL(%(hidden)s)
                 GROUP BY 1, 2) m
         WHERE t.email_key IS NULL AND t.skip_reason IS NULL AND t.postcode <> ''
           AND m.k = t.name_key AND m.postcode = t.postcode""", {"hidden": hidden})  # fmt: skip
    c_phone = PHONE_KEY.format(col="p.number")
    execute(cursor, f"""
        UPDATE import_contact t SET contact_id = m.id, match_how = 'name and phone'
          FROM (SELECT public.commons_fold(c.first_name || ' ' || c.last_name) AS k,
                       {c_phone} AS p, min(c.id) AS id
                  FROM crm_contact c, LATERAL (VALUES (c.phone), (c.mobile)) AS p(number)
                 WHERE p.number <> '' AND c.id <> ALL(%(hidden)s)
                   AND {c_phone} IN (SELECT phone_key FROM import_contact
                                      WHERE email_key IS NULL AND contact_id IS NULL)
                 GROUP BY 1, 2) m
         WHERE t.email_key IS NULL AND t.contact_id IS NULL AND t.skip_reason IS NULL
           AND m.k = t.name_key AND m.p = t.phone_key""", {"hidden": hidden})  # fmt: skip


def _preview_matches(cursor: Any, result: ImportResult) -> None:
    """Show in the preview which existing contact each row will update, and how it was
    matched. Only contacts the importer may see are ever matched."""
    rows = [p["row"] for p in result.preview]
    if not rows:
        return
    cursor.execute(
        """
        SELECT t.rownum, t.match_how, c.first_name, c.last_name, c.email
          FROM import_contact t JOIN crm_contact c ON c.id = t.contact_id
         WHERE t.rownum = ANY(%s) AND t.skip_reason IS NULL""",
        [rows],
    )
    found = {
        rownum: f"{' '.join(x for x in (first, last) if x)}"
        + (f" ({email})" if email else "")
        + f", by {how}"
        for rownum, how, first, last, email in cursor.fetchall()
    }
    for shown in result.preview:
        if shown["row"] in found:
            shown[MATCH_LABEL] = found[shown["row"]]
