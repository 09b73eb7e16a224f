"""What both record types' writes share: running a statement, marking records a statement
added to, applying tags, reading the counts back, and announcing what was written.

The writes work on temporary tables (``import_contact``, ``import_organisation``) that hold
one row per spooled file row. Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from typing import IO, Any

from django.db import connection

from crm.changes import SAVED, announce

from .results import MAX_PROBLEMS_KEPT, ImportResult

Written = tuple[str | None, str | None]  # queries for the contact and organisation ids written
ANNOUNCE_CHUNK = 10_000


def execute(cursor: Any, statement: str, params: Any = None) -> None:
    cursor.execute(statement, params)


def copy_in(cursor: Any, statement: str, spool: IO[str]) -> None:
    """COPY the spool in, a chunk at a time, so memory stays flat (psycopg 3's COPY)."""
    with cursor.copy(statement) as copy:
        while chunk := spool.read(1 << 16):
            copy.write(chunk)


def announce_written(record_type: str, sql: str | None, acting_user: Any) -> None:
    """Announce the ids an import wrote, in chunks read from a server-side cursor, so a
    million-row import holds ten thousand ids at a time, not a million."""
    if sql is None:
        return
    with connection.chunked_cursor() as cursor:
        cursor.execute(sql)
        while rows := cursor.fetchmany(ANNOUNCE_CHUNK):
            announce(record_type=record_type, ids=[r[0] for r in rows], action=SAVED,
                     acting_user=acting_user)  # fmt: skip


def mark_changed(cursor: Any, temp: str, id_column: str, insert: str, returning: str,
                 params: Any = None) -> int:  # fmt: skip
    """Run ``insert`` (INSERT ... RETURNING ``returning``) and mark the existing records it
    added something to as changed; returns how many rows it inserted."""
    execute(cursor, f"""
        WITH added AS ({insert} RETURNING {returning} AS record_id),
             marked AS (UPDATE {temp} SET changed = true
                         WHERE {id_column} IN (SELECT record_id FROM added) AND NOT is_new)
        SELECT count(*) FROM added""", params)  # fmt: skip
    return cursor.fetchone()[0]


def tags_apply(cursor: Any, temp: str, id_column: str, through: str, fk: str,
               tag_name: str) -> None:  # fmt: skip
    """Tag each written record with the tags its row names, and every one with ``tag_name``
    (the import's own tag, if any); tags are matched by name in any case."""
    execute(cursor, f"""
        CREATE TEMP TABLE import_tag ON COMMIT DROP AS
        SELECT DISTINCT t.{id_column} AS record_id, btrim(x) AS name
          FROM {temp} t, unnest(string_to_array(t.tags, ';')) AS x
         WHERE t.skip_reason IS NULL AND btrim(x) <> ''
        UNION
        SELECT t.{id_column}, %(tag)s FROM {temp} t
         WHERE t.skip_reason IS NULL AND %(tag)s <> ''""", {"tag": tag_name})  # fmt: skip
    execute(
        cursor,
        """
        INSERT INTO crm_tag (name, created_at)
        SELECT DISTINCT ON (lower(n.name)) n.name, now() FROM import_tag n
         WHERE NOT EXISTS (SELECT 1 FROM crm_tag g WHERE lower(g.name) = lower(n.name))
        ON CONFLICT (name) DO NOTHING""",
    )
    mark_changed(cursor, temp, id_column, f"""
        INSERT INTO {through} ({fk}, tag_id)
        SELECT DISTINCT n.record_id, g.id FROM import_tag n
          JOIN crm_tag g ON lower(g.name) = lower(n.name)
        ON CONFLICT DO NOTHING""", fk)  # fmt: skip
    execute(cursor, "DROP TABLE import_tag")


def counts_read(cursor: Any, temp: str, result: ImportResult) -> None:
    """New, updated, unchanged and skipped rows of ``temp``, and the skipped rows' reasons."""
    cursor.execute(f"""
        SELECT count(*) FILTER (WHERE is_new),
               count(*) FILTER (WHERE NOT is_new AND skip_reason IS NULL AND changed),
               count(*) FILTER (WHERE NOT is_new AND skip_reason IS NULL AND NOT changed),
               count(*) FILTER (WHERE skip_reason IS NOT NULL)
          FROM {temp}""")  # fmt: skip
    result.new, result.updated, result.unchanged, result.skipped = cursor.fetchone()
    cursor.execute(
        f"SELECT rownum, skip_reason FROM {temp} WHERE skip_reason IS NOT NULL "
        "ORDER BY rownum LIMIT %s", [MAX_PROBLEMS_KEPT])  # fmt: skip
    result.skipped_rows = [tuple(r) for r in cursor.fetchall()]
