"""Record-level extracts of a snapshot: pseudonym and chosen variables, released only when
they give k-anonymity (and l-diversity for one sensitive answer); otherwise advice on what
to coarsen or drop. Each one logged as an output.

Tenant assumptions: public schema only (snapshots and outputs live there).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction

from reporting.models import (
    DisclosureSettings,
    OutputKind,
    OutputStatus,
    ResearchDataset,
    ResearchOutput,
    ResearchProject,
)
from reporting.pooling import loads

from .access import project_require_open, project_require_researcher
from .codebook import Variable, codebook, value_label, variable_find
from .snapshots import active_research_agreements, snapshot_get


def extract_compute(*, project: ResearchProject, dataset: ResearchDataset, year: int,
                    quasi_identifiers: list[str], sensitive: str = "",
                    variables: list[str] | None = None,
                    settings_row: DisclosureSettings | None = None) -> dict[str, Any]:  # fmt: skip
    """Records (pseudonym and chosen variables) only if every released variable except the
    one sensitive answer gives k-anonymity, and the sensitive answer l-diversity; otherwise
    which variables to coarsen or drop. The "other variables" count as quasi-identifiers
    too: a town or an exact number released beside the ticked ones can single an
    organisation out just the same."""
    settings_row = settings_row or DisclosureSettings.current()
    k, l_needed = settings_row.k_anonymity, settings_row.l_diversity
    book = codebook(dataset=dataset, year=year)
    ticked = [variable_find(book, name) for name in quasi_identifiers]
    if not ticked:
        raise ValidationError("Choose at least one quasi-identifier.")
    sensitive_var = variable_find(book, sensitive) if sensitive else None
    extra = [variable_find(book, name) for name in dict.fromkeys(variables or []) if name not in
             {*quasi_identifiers, sensitive}]  # fmt: skip
    qis = [*ticked, *extra]
    chosen = [*qis, *([sensitive_var] if sensitive_var else [])]
    snapshot = snapshot_get(project, dataset, year)
    with connection.cursor() as cursor:
        exprs = ", ".join(f"{v.source}->%s" for v in chosen)
        cursor.execute(
            f"SELECT pseudonym, {exprs} FROM public.reporting_snapshotrow "
            "WHERE snapshot_id = %s AND agreement_id = ANY(%s) ORDER BY pseudonym",
            [*[v.name for v in chosen], snapshot.pk, active_research_agreements()],
        )
        raw = [(row[0], *[loads(v) for v in row[1:]]) for row in cursor.fetchall()]
    records = [
        [row[0], *[value_label(v, x) for v, x in zip(chosen, row[1:], strict=True)]]
        for row in raw
    ]  # fmt: skip
    groups: dict[tuple, list[list]] = defaultdict(list)
    for record in records:
        groups[tuple(record[1 : 1 + len(qis)])].append(record)
    smallest = min((len(g) for g in groups.values()), default=0)
    diversity = min((len({r[1 + len(qis)] for r in g}) for g in groups.values()),
                    default=0) if sensitive_var else None  # fmt: skip
    passes = bool(records) and smallest >= k and (diversity is None or diversity >= l_needed)
    advice = [] if passes else _coarsen_advice(records, qis, k)
    query = {"dataset": dataset.pk, "year": year, "quasi_identifiers": quasi_identifiers,
             "sensitive": sensitive, "variables": [v.name for v in extra]}  # fmt: skip
    return {
        "query": query, "passes": passes, "k": smallest, "k_needed": k,
        "l": diversity, "l_needed": l_needed, "advice": advice,
        "checked": [v.name for v in qis],
        "headers": ["pseudonym", *[v.name for v in chosen]],
        "records": records if passes else [], "count": len(records),
    }  # fmt: skip


def _coarsen_advice(records: list[list], qis: list[Variable], k: int) -> list[str]:
    advice = []
    for position, variable in enumerate(qis):
        distinct = len({r[1 + position] for r in records})
        others = [i for i in range(len(qis)) if i != position]
        sizes = Counter(tuple(r[1 + i] for i in others) for r in records)
        fixed = bool(records) and (not others or min(sizes.values()) >= k)
        advice.append((not fixed, -distinct, f"{variable.label} ({variable.name}): {distinct} "
                       "categories — coarsen or drop it" + (
                           "; dropping or merging it alone would be enough"
                           if fixed else "")))  # fmt: skip
    return [text for *_order, text in sorted(advice)]


@transaction.atomic
def extract_produce(*, project: ResearchProject, dataset: ResearchDataset, year: int,
                    researcher: Any, **spec: Any) -> ResearchOutput:  # fmt: skip
    """Check an extract and log it: passed (releasable) or blocked, with the advice."""
    project_require_open(project)
    project_require_researcher(project, researcher)
    result = extract_compute(project=project, dataset=dataset, year=year, **spec)
    return ResearchOutput.objects.create(
        project=project, dataset=dataset, year=year, researcher=researcher,
        kind=OutputKind.EXTRACT, query=result["query"], result=result,
        status=OutputStatus.PASSED if result["passes"] else OutputStatus.BLOCKED,
    )  # fmt: skip
