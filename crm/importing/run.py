"""Running an import: open the file, choose the record type and the columns, check every
row, then write everything in one transaction, or nothing.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

import tempfile
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction

from crm.columns import CONTACT_COLUMNS, ORGANISATION_COLUMNS, mapping_guess, record_type_guess
from crm.services.common import crm_audit
from crm.tabular import TableError, table_open

from .checks import contacts_check, headings_found, organisations_check
from .contacts import contacts_write
from .organisations import organisations_write
from .results import ImportRejected, ImportResult, ProgressCallback
from .writing import announce_written

NOTHING_TO_IMPORT = "The file has a header row but no rows to import."
UNKNOWN_RECORD_TYPE = (
    "The file has no column for a last name (for contacts) or a name (for organisations). {found}"
)


class _DryRun(Exception):
    pass


def records_import(
    *,
    handle: IO[bytes],
    size: int,
    acting_user: Any,
    filename: str = "upload",
    record_type: str | None = None,
    mapping: dict[int, str] | None = None,
    tag_name: str = "",
    dry_run: bool = False,
    progress: ProgressCallback | None = None,
    crash_after: str | None = None,
) -> ImportResult:
    """Import contacts or organisations from a CSV/XLSX stream: all rows or none.

    Raises ImportRejected (with the result, for row problems) when nothing can be written.
    ``dry_run`` does everything and rolls back, so its counts are exact.
    """

    def report(fraction: float, phase: str = "Checking rows") -> None:
        if progress:
            progress(int(fraction * 60), phase)

    try:
        table = table_open(handle, size=size, limit=settings.IMPORT_MAX_BYTES)
    except TableError as exc:
        raise ImportRejected(str(exc)) from exc
    kind = record_type or record_type_guess(table.headers)
    if kind is None:
        raise ImportRejected(UNKNOWN_RECORD_TYPE.format(found=headings_found(table.headers)))
    columns = CONTACT_COLUMNS if kind == "contact" else ORGANISATION_COLUMNS
    chosen = mapping if mapping is not None else mapping_guess(table.headers, columns)
    chosen = {int(i): f for i, f in chosen.items() if f in columns and int(i) < len(table.headers)}
    result = ImportResult(record_type=kind, headers=table.headers, mapping=chosen)
    report(0.0)
    with tempfile.TemporaryFile("w+", encoding="utf-8") as spool:
        try:
            if kind == "contact":
                contacts_check(table, result, spool, report)
            else:
                organisations_check(table, result, spool, report)
        except TableError as exc:
            raise ImportRejected(str(exc), result) from exc
        if result.problem_count:
            raise ImportRejected(
                f"{result.problem_count} problem{'s' if result.problem_count != 1 else ''} "
                "found. Nothing was imported: correct the file and try again.",
                result,
            )
        if result.total_rows == 0:
            raise ImportRejected(NOTHING_TO_IMPORT, result)
        if progress:
            progress(65, "Writing records")
        user_id = getattr(acting_user, "pk", None)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if kind == "contact":
                    contact_sql, org_sql = contacts_write(
                        cursor, spool, result, user_id=user_id, acting_user=acting_user,
                        method=f"import: {filename}",
                        tag_name=tag_name, crash_after=crash_after,
                    )  # fmt: skip
                else:
                    contact_sql, org_sql = organisations_write(
                        cursor, spool, result, user_id=user_id, tag_name=tag_name,
                        crash_after=crash_after,
                    )  # fmt: skip
                if progress:
                    progress(90, "Updating what depends on these records")
                announce_written("contact", contact_sql, acting_user)
                announce_written("organisation", org_sql, acting_user)
                if dry_run:
                    raise _DryRun
                crm_audit(
                    action="import.finished", acting_user=acting_user, target=f"{kind} import",
                    record_type=kind, rows=result.total_rows, new=result.new,
                    updated=result.updated, unchanged=result.unchanged, skipped=result.skipped,
                )  # fmt: skip
        except _DryRun:
            return result
    result.written = True
    if progress:
        progress(100, "Done")
    return result
