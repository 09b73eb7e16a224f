"""Importing contacts and organisations from CSV or XLSX: check everything, then write
everything in one transaction with set-based SQL, or write nothing.

1. Read the file as a stream (crm.tabular) and map its columns (crm.columns).
2. Check every row in Python (``checks``, cleaning each cell with ``values``); each problem
   names its row, column and what is wrong. Valid rows are spooled to a temporary file in
   COPY format, so memory stays flat.
3. Only if no row has a problem: COPY the spool into a temporary table, match its rows to
   existing records (``matching``, ``organisations``) and merge it into the member's tables
   with a handful of statements (``contacts``, ``organisations``, ``writing``), all in one
   transaction (``run``). A dry run does the same and rolls back, so the preview's counts
   are exact.

Tenant assumptions: the connection is on the member's schema.
"""

from .checks import HOUSEHOLD, NOT_HEADINGS
from .matching import MATCH_LABEL
from .results import ImportRejected, ImportResult, ProgressCallback, RowProblem
from .run import NOTHING_TO_IMPORT, UNKNOWN_RECORD_TYPE, records_import

__all__ = [
    "HOUSEHOLD",
    "MATCH_LABEL",
    "NOTHING_TO_IMPORT",
    "NOT_HEADINGS",
    "UNKNOWN_RECORD_TYPE",
    "ImportRejected",
    "ImportResult",
    "ProgressCallback",
    "RowProblem",
    "records_import",
]
