"""Writing an import's organisations: load the spool into ``import_organisation``, match
each row by identifier, then by name and postcode, update and insert, keep identifiers
(one preferred) and tag.

Tenant assumptions: the connection is on the member's schema, inside the import's
transaction.
"""

from __future__ import annotations

from typing import IO, Any

from .checks import ORG_COPY
from .results import ImportResult
from .writing import Written, copy_in, counts_read, execute, mark_changed, tags_apply


def organisations_write(cursor: Any, spool: IO[str], result: ImportResult, *,
                        user_id: int | None, tag_name: str,
                        crash_after: str | None) -> Written:  # fmt: skip
    """Write the spooled organisations; returns the query for the ids of what was written."""
    execute(
        cursor,
        "DROP TABLE IF EXISTS import_organisation, import_org_name, import_identifier, import_tag",
    )
    execute(
        cursor,
        """
        CREATE TEMP TABLE import_organisation (
            rownum int, name text, other_names text, org_type text, email text, phone text,
            address_line1 text, address_line2 text, town text, postcode text, district text,
            website text, areas_of_work text, beneficiaries text, notes text, tags text,
            identifiers text, skip_reason text, org_id bigint,
            is_new boolean NOT NULL DEFAULT false, changed boolean NOT NULL DEFAULT false
        ) ON COMMIT DROP""",
    )
    spool.seek(0)
    copy_in(cursor, f"COPY import_organisation ({', '.join(ORG_COPY)}) FROM STDIN", spool)
    _organisations_match(cursor)
    text_fields = ["org_type", "email", "phone", "address_line1", "address_line2",
                   "town", "postcode", "district", "website"]  # fmt: skip
    sets = ",\n".join(f"{f} = CASE WHEN t.{f} <> '' THEN t.{f} ELSE o.{f} END" for f in text_fields)
    changes = [f"(t.{f} <> '' AND t.{f} <> o.{f})" for f in text_fields]
    # A register's "SKIPTON LUNCH CLUB" does not replace the member's "Skipton Lunch Club".
    renamed = "(t.name <> '' AND public.commons_fold(t.name) <> public.commons_fold(o.name))"
    changes += [
        renamed,
        *(
            f"(t.{f} <> '' AND string_to_array(t.{f}, ';') <> o.{f}::text[])"
            for f in ("other_names", "areas_of_work", "beneficiaries")
        ),
        "(t.notes <> '' AND strpos(o.notes, t.notes) = 0)",
    ]
    changed = " OR ".join(changes)
    execute(cursor, f"""
        UPDATE import_organisation t SET changed = true FROM crm_organisation o
         WHERE t.org_id = o.id AND t.skip_reason IS NULL AND ({changed})""")  # fmt: skip
    execute(cursor, f"""
        UPDATE crm_organisation o SET {sets},
            name = CASE WHEN {renamed} THEN t.name ELSE o.name END,
            other_names = CASE WHEN t.other_names <> ''
                               THEN string_to_array(t.other_names, ';') ELSE o.other_names END,
            areas_of_work = CASE WHEN t.areas_of_work <> ''
                                 THEN string_to_array(t.areas_of_work, ';')
                                 ELSE o.areas_of_work END,
            beneficiaries = CASE WHEN t.beneficiaries <> ''
                                 THEN string_to_array(t.beneficiaries, ';')
                                 ELSE o.beneficiaries END,
            notes = CASE WHEN t.notes = '' OR strpos(o.notes, t.notes) > 0 THEN o.notes
                         WHEN o.notes = '' THEN t.notes
                         ELSE o.notes || E'\\n\\n' || t.notes END,
            updated_at = now(), updated_by_id = %(user)s
          FROM import_organisation t
         WHERE t.org_id = o.id AND t.skip_reason IS NULL AND t.changed""",
         {"user": user_id})  # fmt: skip
    execute(
        cursor,
        """
        UPDATE import_organisation SET is_new = true,
               org_id = nextval(pg_get_serial_sequence('crm_organisation', 'id'))
         WHERE org_id IS NULL AND skip_reason IS NULL""",
    )
    execute(cursor, """
        INSERT INTO crm_organisation (id, created_at, updated_at, created_by_id, updated_by_id,
            name, other_names, org_type, email, phone, address_line1, address_line2, town,
            postcode, district, website, areas_of_work, beneficiaries, income_band,
            membership_status, notes, legal_hold)
        SELECT org_id, now(), now(), %(user)s, %(user)s, name,
               COALESCE(string_to_array(NULLIF(other_names, ''), ';'), '{}'),
               COALESCE(NULLIF(org_type, ''), 'other'), email, phone, address_line1,
               address_line2, town, postcode, district, website,
               COALESCE(string_to_array(NULLIF(areas_of_work, ''), ';'), '{}'),
               COALESCE(string_to_array(NULLIF(beneficiaries, ''), ';'), '{}'), '', 'none', notes,
               false
          FROM import_organisation WHERE is_new ORDER BY rownum""", {"user": user_id})  # fmt: skip
    if crash_after == "organisations":
        raise RuntimeError("injected crash after writing organisations")
    mark_changed(cursor, "import_organisation", "org_id", """
        INSERT INTO crm_organisationidentifier (organisation_id, scheme, value, is_preferred)
        SELECT DISTINCT ON (i.scheme, i.value) t.org_id, i.scheme, i.value, false
          FROM import_identifier i JOIN import_organisation t ON t.rownum = i.rownum
         WHERE t.skip_reason IS NULL ORDER BY i.scheme, i.value, i.rownum
        ON CONFLICT (scheme, value) DO NOTHING""", "organisation_id")  # fmt: skip
    execute(
        cursor,
        """
        UPDATE crm_organisationidentifier e SET is_preferred = true
          FROM (SELECT DISTINCT ON (organisation_id) id FROM crm_organisationidentifier
                 WHERE organisation_id IN (SELECT org_id FROM import_organisation)
                 ORDER BY organisation_id, id) first
         WHERE e.id = first.id AND NOT EXISTS (
               SELECT 1 FROM crm_organisationidentifier p
                WHERE p.organisation_id = e.organisation_id AND p.is_preferred)""",
    )
    tags_apply(cursor, "import_organisation", "org_id", "crm_organisation_tags",
               "organisation_id", tag_name)  # fmt: skip
    counts_read(cursor, "import_organisation", result)
    return None, (
        "SELECT org_id FROM import_organisation WHERE skip_reason IS NULL AND (is_new OR changed)"
    )


def _organisations_match(cursor: Any) -> None:
    """Set ``org_id`` of each row that is an existing organisation (by identifier, then by
    name and postcode), and ``skip_reason`` of each row that repeats an earlier one."""
    execute(
        cursor,
        """
        CREATE TEMP TABLE import_identifier ON COMMIT DROP AS
        SELECT t.rownum, split_part(x, '|', 1) AS scheme, split_part(x, '|', 2) AS value
          FROM import_organisation t, unnest(string_to_array(t.identifiers, ';')) AS x
         WHERE x <> '' AND t.skip_reason IS NULL""",
    )
    execute(
        cursor,
        """
        UPDATE import_organisation t SET skip_reason = 'same identifier as row ' || d.first_row
          FROM (SELECT i.rownum, min(j.rownum) AS first_row FROM import_identifier i
                  JOIN import_identifier j ON j.scheme = i.scheme AND j.value = i.value
                   AND j.rownum < i.rownum GROUP BY i.rownum) d
         WHERE t.rownum = d.rownum""",
    )
    execute(
        cursor,
        """
        UPDATE import_organisation t SET org_id = m.organisation_id
          FROM (SELECT DISTINCT ON (i.rownum) i.rownum, e.organisation_id
                  FROM import_identifier i
                  JOIN crm_organisationidentifier e ON e.scheme = i.scheme AND e.value = i.value
                 ORDER BY i.rownum, e.organisation_id) m
         WHERE t.rownum = m.rownum AND t.skip_reason IS NULL""",
    )
    execute(
        cursor,
        """
        UPDATE import_organisation t SET org_id = m.id
          FROM (SELECT public.commons_fold(name) AS k, postcode, min(id) AS id
                  FROM crm_organisation GROUP BY 1, 2) m
         WHERE t.org_id IS NULL AND t.skip_reason IS NULL
           AND m.k = public.commons_fold(t.name) AND m.postcode = t.postcode""",
    )
    execute(
        cursor,
        """
        UPDATE import_organisation t SET skip_reason = 'same organisation as row ' || d.first_row
          FROM (SELECT org_id, min(rownum) AS first_row FROM import_organisation
                 WHERE org_id IS NOT NULL AND skip_reason IS NULL
                 GROUP BY org_id HAVING count(*) > 1) d
         WHERE t.org_id = d.org_id AND t.rownum <> d.first_row""",
    )
