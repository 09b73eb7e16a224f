"""Release: a researcher publishes (downloads) an output that passed the checks; a table
whose hidden cells matter goes to review, and a consortium admin may release it with a
recorded reason. Released tables count for the differencing check of later ones.

Tenant assumptions: public schema only (outputs live there).
"""

from __future__ import annotations

from typing import Any

import tablib
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from reporting.disclosure import TOTAL, Rules
from reporting.models import OutputKind, OutputStatus, ResearchOutput
from reporting.permissions import admin_require
from tenants.audit import audit_record

from .access import project_require_open, project_require_researcher
from .tables import MEASURES, table_compute

NOT_RELEASABLE = "Only an output that passed the checks (or a reviewed one) can be downloaded."


@transaction.atomic
def output_release(*, output: ResearchOutput, acting_user: Any) -> ResearchOutput:
    """A researcher publishes (downloads) an output that passed the checks. Released tables
    count for the differencing check of later ones."""
    output = ResearchOutput.objects.select_for_update().get(pk=output.pk)
    if output.status == OutputStatus.RELEASED:
        return output
    if output.status != OutputStatus.PASSED:
        raise PermissionDenied(NOT_RELEASABLE)
    project_require_open(output.project)
    project_require_researcher(output.project, acting_user)
    output.status = OutputStatus.RELEASED
    output.released_at = timezone.now()
    output.released_by = acting_user
    output.save(update_fields=["status", "released_at", "released_by"])
    return output


@transaction.atomic
def review_request(*, output: ResearchOutput, acting_user: Any, note: str) -> ResearchOutput:
    """A researcher on the project asks a consortium admin to review a table whose hidden
    cells matter to the research, saying why."""
    project_require_researcher(output.project, acting_user)
    if output.kind != OutputKind.TABLE or output.status not in (OutputStatus.PASSED,
                                                                OutputStatus.BLOCKED):  # fmt: skip
        raise ValidationError("Only a table not yet released can go to review.")
    if not note.strip():
        raise ValidationError({"note": "Say why the hidden cells matter to the research."})
    output.status = OutputStatus.REVIEW
    output.review_note = note.strip()
    output.save(update_fields=["status", "review_note"])
    return output


@transaction.atomic
def review_release(*, output: ResearchOutput, acting_user: Any, reason: str,
                   show_hidden: bool) -> ResearchOutput:  # fmt: skip
    """A consortium admin releases a reviewed table, with a recorded reason; with
    ``show_hidden`` the cells the rules hid are shown as computed."""
    admin_require(acting_user)
    output = ResearchOutput.objects.select_for_update().get(pk=output.pk)
    if output.status != OutputStatus.REVIEW:
        raise ValidationError("This output is not waiting for review.")
    if not reason.strip():
        raise ValidationError({"reason": "Record why this table may be released."})
    if show_hidden:
        q = output.query
        full = table_compute(
            project=output.project, dataset=output.dataset, year=output.year, rows=q["rows"],
            cols=q["cols"], measure=q["measure"], value=q["value"], coarse=q["coarse"],
            rounding=q.get("rounding", False),
            rules=Rules(threshold=1, zero_disclosive=False, dominance_one=1, dominance_two=1,
                        mostly_blank=1),
        )  # fmt: skip
        output.result = {**full, "reviewed": True}
        output.suppressed_cells = 0
    output.status = OutputStatus.RELEASED
    output.released_at = timezone.now()
    output.released_by = acting_user
    output.release_reason = reason.strip()
    output.save()
    audit_record(action="research.output_released_on_review", actor=acting_user,
                 target=f"output {output.pk}", reason=reason.strip())  # fmt: skip
    return output


def output_dataset(output: ResearchOutput) -> tablib.Dataset:
    """The output as a tablib Dataset (hidden cells as the marker), for CSV/XLSX."""
    result = output.result
    if output.kind == OutputKind.EXTRACT:
        data = tablib.Dataset(headers=result["headers"], title="Extract")
        for record in result["records"]:
            data.append(record)
        return data
    cols = [*result["cols"], TOTAL] if result["cols"] else [MEASURES[result["measure"]]]
    # A table of one column has no total column (its one column is the total).
    cols = cols[: len(result["cells"][0])] if result["cells"] else cols
    data = tablib.Dataset(headers=["", *cols], title="Table")
    for label, row in zip([*result["rows"], TOTAL], result["cells"], strict=True):
        data.append([label, *[result["marker"] if c["hidden"] else c["value"] for c in row]])
    return data
