"""Research projects: snapshots, aggregate tables and record-level extracts under the
consortium's disclosure rules, every output logged and released only after the checks.

One module per section: ``access`` (who works in which project), ``setup`` (datasets,
projects, disclosure settings, a provider's research terms), ``snapshots``, ``codebook``,
``tables``, ``extracts`` and ``release``. Pseudonyms are :mod:`reporting.pseudonyms`, shared
with the pool. This package re-exports the public API, so callers write
``research.table_produce``.

Tenant assumptions: public schema only (the pool and snapshots live there).
"""

from .access import (
    NOT_YOURS,
    PROJECT_ENDED,
    project_get_for_researcher,
    project_require_open,
    project_require_researcher,
    projects_for,
)
from .codebook import Variable, codebook
from .extracts import extract_compute, extract_produce
from .release import NOT_RELEASABLE, output_dataset, output_release, review_release, review_request
from .setup import (
    PROVIDER_MANAGERS_ONLY,
    TERMS_FIXED,
    dataset_create,
    project_create,
    research_terms_carry_over,
    research_terms_set,
    settings_update,
)
from .snapshots import NO_SNAPSHOT, NO_SUCH_WAVE, snapshot_take
from .tables import MEASURES, ROUNDING_BASE, table_compute, table_produce

__all__ = [
    "MEASURES",
    "NOT_RELEASABLE",
    "NOT_YOURS",
    "NO_SNAPSHOT",
    "NO_SUCH_WAVE",
    "PROJECT_ENDED",
    "PROVIDER_MANAGERS_ONLY",
    "ROUNDING_BASE",
    "TERMS_FIXED",
    "Variable",
    "codebook",
    "dataset_create",
    "extract_compute",
    "extract_produce",
    "output_dataset",
    "output_release",
    "project_create",
    "project_get_for_researcher",
    "project_require_open",
    "project_require_researcher",
    "projects_for",
    "research_terms_carry_over",
    "research_terms_set",
    "review_release",
    "review_request",
    "settings_update",
    "snapshot_take",
    "table_compute",
    "table_produce",
]
