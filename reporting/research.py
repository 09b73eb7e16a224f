"""Research projects: snapshots, aggregate tables and record-level extracts under the
consortium's disclosure rules, every output logged and released only after the checks.

Tenant assumptions: public schema only (the pool and snapshots live there).
"""

from __future__ import annotations

import hmac
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass
from hashlib import sha256
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from sharing.models import Agreement, Purpose, Status
from tenants.permissions import is_consortium_admin, is_researcher
from tenants.services import audit_record

from .disclosure import (
    MARKER,
    TOTAL,
    Protected,
    Rules,
    build_grid,
    coarsen,
    controlled_round,
    protect,
)
from .models import (
    DatasetQuestion,
    DisclosureSettings,
    OutputKind,
    OutputStatus,
    PooledResponse,
    ResearchDataset,
    ResearchOutput,
    ResearchProject,
    ResearchTerms,
    Snapshot,
    SnapshotRow,
)
from .pooling import loads

MEASURES = {"count": "Count of organisations", "percent": "Percentage of the row",
            "mean": "Mean", "median": "Median"}  # fmt: skip
ATTRIBUTE_LABELS = {"district": "Locality (district)", "org_type": "Type of organisation",
                    "town": "Town"}  # fmt: skip
NO_ANSWER = "(no answer)"
OTHER = "Other"
NOT_YOURS = "This project does not exist, or you are not one of its researchers."
PROJECT_ENDED = "This project has ended; its outputs stay in the release log."
NO_SNAPSHOT = "Take a snapshot of this wave first."
NO_SUCH_WAVE = "Choose one of this dataset's waves (years)."
NEEDS_VALUE = "Choose a numeric answer for a mean or median."
UNKNOWN_VARIABLE = "{name} is not a variable of this dataset."
ROUNDING_BASE = 5
ROUNDING_COUNTS_ONLY = "Controlled rounding applies to counts of organisations only."
NOT_RELEASABLE = "Only an output that passed the checks (or a reviewed one) can be downloaded."


# --- access -----------------------------------------------------------------------------


def project_get_for_researcher(*, user: Any, project_id: int) -> ResearchProject:
    """A project the user researches in; anything else is the same not-found."""
    project = ResearchProject.objects.filter(pk=project_id, researchers=user).first()
    if project is None or not is_researcher(user):
        raise ResearchProject.DoesNotExist(NOT_YOURS)
    return project


def projects_for(*, user: Any):
    if not is_researcher(user):
        return ResearchProject.objects.none()
    return ResearchProject.objects.filter(researchers=user).prefetch_related("datasets")


def _require_open(project: ResearchProject) -> None:
    if not project.is_open:
        raise PermissionDenied(PROJECT_ENDED)


def _require_admin(user: Any) -> None:
    if not is_consortium_admin(user):
        raise PermissionDenied("Only a consortium admin can do this.")


# --- set-up by the consortium and members -------------------------------------------------


@transaction.atomic
def dataset_create(*, acting_user: Any, title: str, survey_code: str,
                   description: str = "") -> ResearchDataset:  # fmt: skip
    _require_admin(acting_user)
    dataset = ResearchDataset(title=title, survey_code=survey_code, description=description)
    dataset.full_clean()
    dataset.save()
    audit_record(action="research.dataset_created", actor=acting_user, target=title)
    return dataset


@transaction.atomic
def project_create(*, acting_user: Any, title: str, purpose: str, ethics_reference: str,
                   end_date: Any, researcher_ids: list[int],
                   dataset_ids: list[int]) -> ResearchProject:  # fmt: skip
    """A project with named researchers (who must hold the researcher role)."""
    from django.contrib.auth import get_user_model

    _require_admin(acting_user)
    researchers = list(get_user_model().objects.filter(pk__in=researcher_ids))
    not_researchers = [u.get_username() for u in researchers if not is_researcher(u)]
    if not researchers or not_researchers:
        raise ValidationError({"researchers": "Name at least one person with the researcher "
                               "role." + (f" Not researchers: {', '.join(not_researchers)}."
                                          if not_researchers else "")})  # fmt: skip
    project = ResearchProject(title=title, purpose=purpose, ethics_reference=ethics_reference,
                              end_date=end_date, created_by=acting_user)  # fmt: skip
    project.full_clean()
    project.save()
    project.researchers.set(researchers)
    project.datasets.set(ResearchDataset.objects.filter(pk__in=dataset_ids))
    audit_record(action="research.project_created", actor=acting_user, target=title,
                 ethics=ethics_reference)  # fmt: skip
    return project


TERMS_FIXED = (
    "The research terms of an agreement that is {state} cannot change: amend the agreement "
    "(a new version, signed again by every party) to change them."
)


@transaction.atomic
def research_terms_set(
    *, agreement: Agreement, dataset: ResearchDataset, free_text_questions: list[str],
    acting_user: Any,
) -> ResearchTerms:  # fmt: skip
    """Say which dataset a member's research agreement feeds and which free-text answers it
    lets through. A manager of the provider does this while the agreement is a draft or
    awaiting signatures: the terms are part of what the parties sign, so a change while
    awaiting clears the signatures given so far. An agreement in force (or stopped) keeps
    its terms; changing them means amending it."""
    from sharing.models import AgreementEvent, AgreementParty
    from sharing.projection import lock_provider
    from tenants.models import Membership, Role

    if agreement.purpose != Purpose.RESEARCH:
        raise ValidationError("Only an agreement for research can feed a research dataset.")
    if (
        acting_user is not None
        and not Membership.objects.filter(
            user=acting_user, member_id=agreement.provider_id, role=Role.MANAGER
        ).exists()
    ):
        raise PermissionDenied("Only a manager of the provider can do this.")
    lock_provider(agreement.provider_id, exclusive=True)
    agreement = Agreement.objects.select_for_update(no_key=True).get(pk=agreement.pk)
    if agreement.status not in (Status.DRAFT, Status.AWAITING):
        raise ValidationError(TERMS_FIXED.format(state=agreement.get_status_display().lower()))
    wanted = {"dataset": dataset, "free_text_questions": sorted(set(free_text_questions))}
    before = ResearchTerms.objects.filter(agreement=agreement).first()
    changed = before is None or (before.dataset_id, before.free_text_questions) != (
        dataset.pk, wanted["free_text_questions"])  # fmt: skip
    terms, _ = ResearchTerms.objects.update_or_create(agreement=agreement, defaults=wanted)
    if changed and agreement.status == Status.AWAITING:
        signed = AgreementParty.objects.filter(agreement=agreement, signed_at__isnull=False)
        if signed.update(signed_by=None, signed_role="", signed_at=None):
            AgreementEvent.objects.create(
                agreement_id=agreement.pk, action="signatures cleared",
                actor_id=getattr(acting_user, "pk", None), member_id=agreement.provider_id,
                detail="the research terms changed",
            )  # fmt: skip
        if agreement.admin_approved_at is not None:
            agreement.admin_approved_by = None
            agreement.admin_approved_at = None
            agreement.save(update_fields=["admin_approved_by", "admin_approved_at"])
    return terms


def research_terms_carry_over(sender: Any, *, agreement: Agreement, previous: Agreement,
                              **_: Any) -> None:  # fmt: skip
    """sharing's amendment signal: a new version starts with the research terms of the one
    it amends, so that the draft shows (and its parties sign) what it will let through."""
    earlier = ResearchTerms.objects.filter(agreement_id=previous.pk).first()
    if earlier is None or ResearchTerms.objects.filter(agreement_id=agreement.pk).exists():
        return
    ResearchTerms.objects.create(agreement=agreement, dataset=earlier.dataset,
                                 free_text_questions=earlier.free_text_questions)  # fmt: skip


@transaction.atomic
def settings_update(*, acting_user: Any, **values: Any) -> DisclosureSettings:
    _require_admin(acting_user)
    current = DisclosureSettings.current()
    for name, value in values.items():
        setattr(current, name, value)
    current.updated_by = acting_user
    current.full_clean()
    current.save()
    audit_record(action="research.disclosure_settings", actor=acting_user, target="settings",
                 settings={k: str(v) for k, v in values.items()})  # fmt: skip
    return current


# --- pseudonyms and snapshots ---------------------------------------------------------------


def pseudonym(project: ResearchProject, key: str) -> str:
    """The project's name for an organisation: a keyed hash of the pool's match key, stable
    across the project's waves and different in every other project."""
    digest = hmac.new(project.key.encode(), key.encode(), sha256).hexdigest()
    return "P" + digest[:15].upper()


def _active_research_agreements() -> list[int]:
    """Research agreements in force today: active, and within their dates (an agreement
    past its end date counts as ended before the nightly expiry marks it so)."""
    today = timezone.localdate()
    return list(
        Agreement.objects.filter(status=Status.ACTIVE, purpose=Purpose.RESEARCH,
                                 start_date__lte=today)
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=today))
        .values_list("pk", flat=True)
    )  # fmt: skip


@transaction.atomic
def snapshot_take(*, project: ResearchProject, dataset: ResearchDataset, year: int,
                  acting_user: Any) -> Snapshot:  # fmt: skip
    """Freeze one wave of a dataset for the project (the kept response per organisation)."""
    _require_open(project)
    if not project.datasets.filter(pk=dataset.pk).exists():
        raise PermissionDenied("This project has not been given that dataset.")
    if not DatasetQuestion.objects.filter(dataset=dataset, year=year).exists():
        raise ValidationError({"year": NO_SUCH_WAVE})
    snapshot, created = Snapshot.objects.get_or_create(
        project=project, dataset=dataset, year=year, defaults={"taken_by": acting_user}
    )
    if created:
        pooled = PooledResponse.objects.filter(
            dataset=dataset, year=year, kept=True, agreement_id__in=_active_research_agreements()
        )
        SnapshotRow.objects.bulk_create([
            SnapshotRow(snapshot=snapshot, pseudonym=pseudonym(project, p.match_key),
                        provider_id=p.provider_id, agreement_id=p.agreement_id,
                        response_id=p.response_id, attributes=p.attributes,
                        answers=p.answers)
            for p in pooled.iterator(chunk_size=2000)
        ], batch_size=2000)  # fmt: skip
    return snapshot


# --- the codebook ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    kind: str  # attribute | single | likert | number | multiple | text
    options: tuple[str, ...] = ()

    @property
    def is_dimension(self) -> bool:
        return self.kind in ("attribute", "single", "likert")

    @property
    def source(self) -> str:
        return "attributes" if self.kind == "attribute" else "answers"


def codebook(*, dataset: ResearchDataset, year: int) -> list[Variable]:
    """The variables of one wave: organisation attributes, then the survey's questions."""
    from crm.models import OrganisationType
    from surveys.models import LIKERT_CHOICES

    from .pooling import POOLABLE_ATTRIBUTES

    variables = []
    for name in POOLABLE_ATTRIBUTES:
        if name in ATTRIBUTE_LABELS:
            options = tuple(OrganisationType.values) if name == "org_type" else ()
            variables.append(Variable(name, ATTRIBUTE_LABELS[name], "attribute", options))
    for q in DatasetQuestion.objects.filter(dataset=dataset, year=year):
        options = tuple(LIKERT_CHOICES) if q.kind == "likert" else tuple(q.options)
        variables.append(Variable(q.code, q.text, q.kind, options))
    return variables


def _variable(variables: list[Variable], name: str) -> Variable:
    found = next((v for v in variables if v.name == name), None)
    if found is None:
        raise ValidationError(UNKNOWN_VARIABLE.format(name=name or "(nothing)"))
    return found


def _label(variable: Variable, value: Any) -> str:
    """A value as shown: a choice or Likert answer only as one of the codebook's options
    (anything else, which could be free text from a member's differing copy, is "Other")."""
    if value in (None, "", []):
        return NO_ANSWER
    if variable.kind == "likert":
        try:
            index = int(value)
        except (TypeError, ValueError):
            return OTHER
        return variable.options[index - 1] if 1 <= index <= len(variable.options) else OTHER
    if variable.kind == "single" or (variable.kind == "attribute" and variable.options):
        return str(value) if str(value) in variable.options else OTHER
    if variable.kind == "multiple":
        values = value if isinstance(value, list) else [value]
        shown = [str(v) for v in values if str(v) in variable.options]
        return "; ".join(dict.fromkeys(shown + ([OTHER] if len(shown) < len(values) else [])))
    return str(value)


def _order(variable: Variable, labels: set[str]) -> list[str]:
    known = [o for o in variable.options if o in labels]
    return known + sorted(labels - set(known) - {NO_ANSWER}) + (
        [NO_ANSWER] if NO_ANSWER in labels else [])  # fmt: skip


# --- tables ---------------------------------------------------------------------------------


def _snapshot(project: ResearchProject, dataset: ResearchDataset, year: int) -> Snapshot:
    snapshot = Snapshot.objects.filter(project=project, dataset=dataset, year=year).first()
    if snapshot is None:
        raise ValidationError(NO_SNAPSHOT)
    return snapshot


def _grouped(snapshot: Snapshot, row_var: Variable, col_var: Variable | None,
             value_var: Variable | None) -> list[tuple]:  # fmt: skip
    """Counts per (row value, column value) of the snapshot's organisations whose agreement
    is still in force, with the numeric answers of each group for means and medians. The
    grouping runs in SQL; values come back as JSON text."""
    params: list[Any] = [row_var.name]
    column = "NULL::jsonb"
    if col_var is not None:
        column = f"{col_var.source}->%s"
        params.append(col_var.name)
    number, numbers = "NULL::float8", "NULL::float8[]"
    if value_var is not None:
        number = ("CASE WHEN jsonb_typeof(answers->%s) = 'number' "
                  "THEN (answers->>%s)::float8 END")  # fmt: skip
        numbers = "array_agg(v) FILTER (WHERE v IS NOT NULL)"
        params += [value_var.name, value_var.name]
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT r, c, count(*), {numbers} FROM (SELECT {row_var.source}->%s AS r, "
            f"{column} AS c, {number} AS v FROM public.reporting_snapshotrow "
            "WHERE snapshot_id = %s AND agreement_id = ANY(%s)) AS x GROUP BY r, c",
            [*params, snapshot.pk, _active_research_agreements()],
        )
        return cursor.fetchall()


def _released_counts(project: ResearchProject, query: dict[str, Any]) -> list[dict]:
    """Released tables of the same cross-classification in this project (drafts do not
    count), as their released contributor counts."""
    same = ResearchOutput.objects.filter(
        project=project, kind=OutputKind.TABLE, status=OutputStatus.RELEASED,
        dataset_id=query["dataset"], year=query["year"], query__rows=query["rows"],
        query__cols=query.get("cols", ""), query__coarse=query.get("coarse", False),
    )  # fmt: skip
    # Counts and percentages count organisations; means and medians count those who gave
    # that numeric answer: compare like with like.
    if query["measure"] in ("mean", "median"):
        same = same.filter(query__measure__in=["mean", "median"], query__value=query["value"])
    else:
        same = same.filter(query__measure__in=["count", "percent"])
    found = []
    for output in same:
        counts = output.result.get("released_counts", {})
        found.append({tuple(key.split("\x1f")): value for key, value in counts.items()})
    return found


def table_compute(*, project: ResearchProject, dataset: ResearchDataset, year: int,
                  rows: str, cols: str = "", measure: str = "count", value: str = "",
                  coarse: bool = False, rounding: bool = False,
                  rules: Rules | None = None) -> dict[str, Any]:  # fmt: skip
    """An aggregate table of the snapshot with every disclosure rule applied; returns the
    result as stored in the output log."""
    rules = rules or DisclosureSettings.current().rules()
    if measure not in MEASURES:
        raise ValidationError("Choose a measure from the list.")
    variables = codebook(dataset=dataset, year=year)
    row_var = _variable(variables, rows)
    col_var = _variable(variables, cols) if cols else None
    for var in (row_var, col_var):
        if var is not None and not var.is_dimension:
            raise ValidationError(f"{var.label} cannot be a row or column of a table.")
    value_var = None
    if measure in ("mean", "median"):
        value_var = _variable(variables, value) if value else None
        if value_var is None or value_var.kind != "number":
            raise ValidationError(NEEDS_VALUE)
    snapshot = _snapshot(project, dataset, year)
    groups = []
    for r_raw, c_raw, n, numbers in _grouped(snapshot, row_var, col_var, value_var):
        r = _label(row_var, loads(r_raw))
        c = _label(col_var, loads(c_raw)) if col_var else TOTAL
        groups.append((r, c, n, [float(x) for x in numbers or []]))
    row_labels = _order(row_var, {r for r, *_ in groups})
    col_labels = _order(col_var, {c for _, c, *_ in groups}) if col_var else []
    if coarse and groups:
        row_totals: Counter = Counter()
        col_totals: Counter = Counter()
        for r, c, n, _ in groups:
            row_totals[r] += n
            col_totals[c] += n
        row_map = coarsen(row_labels, [row_totals[x] for x in row_labels], rules.threshold)
        col_map = {TOTAL: TOTAL}
        if col_var:
            col_map = coarsen(col_labels, [col_totals[x] for x in col_labels], rules.threshold)
        groups = [(row_map[r], col_map[c], n, v) for r, c, n, v in groups]
        row_labels = list(dict.fromkeys(row_map[x] for x in row_labels))
        col_labels = list(dict.fromkeys(col_map[x] for x in col_labels)) if col_var else []
    if not row_labels:
        raise ValidationError("The snapshot holds no responses to tabulate.")
    width = len(col_labels) or 1
    r_index = {label: i for i, label in enumerate(row_labels)}
    c_index = {label: j for j, label in enumerate(col_labels)} if col_var else {TOTAL: 0}
    values: list[list[list[float]]] = [[[] for _ in range(width)] for _ in row_labels]
    counts = [[0] * width for _ in row_labels]
    for r, c, n, numbers in groups:
        i, j = r_index[r], c_index[c]
        # A mean or median counts the organisations that gave the numeric answer.
        counts[i][j] += len(numbers) if value_var else n
        values[i][j].extend(numbers)
    query = {"dataset": dataset.pk, "year": year, "rows": rows, "cols": cols,
             "measure": measure, "value": value, "coarse": coarse}  # fmt: skip
    if rounding:
        if measure != "count":
            raise ValidationError(ROUNDING_COUNTS_ONLY)
        return _rounded_result(row_labels, col_labels, counts, {**query, "rounding": True},
                               rules)  # fmt: skip
    table = protect(row_labels=row_labels, col_labels=col_labels, counts=counts, rules=rules,
                    released=_released_counts(project, query))  # fmt: skip
    return _result(table, values, measure, query, rules)


def _rounded_result(row_labels: list[str], col_labels: list[str], counts: list[list[int]],
                    query: dict, rules: Rules) -> dict[str, Any]:  # fmt: skip
    """The table by controlled rounding instead of suppression: every figure a multiple of
    the base within one base of the truth, rows and columns still adding up."""
    grid = [[cell.count for cell in row] for row in build_grid(counts)]
    rounded = controlled_round(grid, ROUNDING_BASE)
    return {
        "query": query, "rows": row_labels, "cols": col_labels, "measure": "count",
        "cells": [[{"value": v, "hidden": False, "reason": ""} for v in row] for row in rounded],
        # Rounded figures are not exact counts: later tables are not differenced against them.
        "released_counts": {}, "suppressed": 0, "mostly_blank": False, "explanations": {},
        "marker": MARKER, "threshold": rules.threshold, "rounded_to": ROUNDING_BASE,
    }  # fmt: skip


def _margin_values(values: list[list[list[float]]]) -> list[list[list[float]]]:
    rows, cols = len(values), len(values[0])
    one_way = cols == 1
    grid = [row[:] + ([] if one_way else [[v for cell in row for v in cell]]) for row in values]
    width = len(grid[0])
    grid.append([[v for i in range(rows) for v in grid[i][j]] for j in range(width)])
    return grid


def _result(table: Protected, values, measure: str, query: dict, rules: Rules) -> dict:
    grid = table.grid
    stats = _margin_values(values) if measure in ("mean", "median") else None
    width = len(grid[0])
    cells = []
    for i, row in enumerate(grid):
        out = []
        for j, cell in enumerate(row):
            shown: float | int | None = None
            if not cell.suppressed:
                if measure == "count":
                    shown = cell.count
                elif measure == "percent":
                    denominator = row[-1] if width > 1 else grid[-1][0]
                    if not denominator.suppressed and denominator.count:
                        shown = round(100 * cell.count / denominator.count, 1)
                elif stats is not None:
                    data = stats[i][j]
                    summary = statistics.fmean if measure == "mean" else statistics.median
                    shown = round(summary(data), 2) if data else None
            reason = cell.reason.value if cell.reason else ""
            if shown is None and not reason and measure == "percent":
                reason = "denominator"
            out.append({"value": shown, "hidden": shown is None, "reason": reason})
        cells.append(out)
    released_counts = {
        f"{key[0]}\x1f{key[1]}": cell.count for key, cell in table.keyed().items()
        if not cell.suppressed
    }  # fmt: skip
    explanations = {r.value: rules.explain(r) for r in {c.reason for c in table.all_cells()
                                                        if c.reason}}  # fmt: skip
    if any(c["reason"] == "denominator" for row in cells for c in row):
        explanations["denominator"] = "its row total is hidden"
    return {
        "query": query, "rows": table.row_labels, "cols": table.col_labels,
        "measure": measure, "cells": cells, "released_counts": released_counts,
        "suppressed": sum(c["hidden"] for row in cells for c in row),
        "mostly_blank": table.mostly_blank, "explanations": explanations, "marker": MARKER,
        "threshold": rules.threshold,
    }  # fmt: skip


@transaction.atomic
def table_produce(*, project: ResearchProject, dataset: ResearchDataset, year: int,
                  researcher: Any, **spec: Any) -> ResearchOutput:  # fmt: skip
    """Compute a table and log it (who, project, dataset, query, cells suppressed)."""
    _require_open(project)
    result = table_compute(project=project, dataset=dataset, year=year, **spec)
    return ResearchOutput.objects.create(
        project=project, dataset=dataset, year=year, researcher=researcher,
        kind=OutputKind.TABLE, query=result["query"], result=result,
        suppressed_cells=result["suppressed"], status=OutputStatus.PASSED,
    )  # fmt: skip


# --- record-level extracts ---------------------------------------------------------------


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
    ticked = [_variable(book, name) for name in quasi_identifiers]
    if not ticked:
        raise ValidationError("Choose at least one quasi-identifier.")
    sensitive_var = _variable(book, sensitive) if sensitive else None
    extra = [_variable(book, name) for name in dict.fromkeys(variables or []) if name not in
             {*quasi_identifiers, sensitive}]  # fmt: skip
    qis = [*ticked, *extra]
    chosen = [*qis, *([sensitive_var] if sensitive_var else [])]
    snapshot = _snapshot(project, dataset, year)
    with connection.cursor() as cursor:
        exprs = ", ".join(f"{v.source}->%s" for v in chosen)
        cursor.execute(
            f"SELECT pseudonym, {exprs} FROM public.reporting_snapshotrow "
            "WHERE snapshot_id = %s AND agreement_id = ANY(%s) ORDER BY pseudonym",
            [*[v.name for v in chosen], snapshot.pk, _active_research_agreements()],
        )
        raw = [(row[0], *[loads(v) for v in row[1:]]) for row in cursor.fetchall()]
    records = [
        [row[0], *[_label(v, x) for v, x in zip(chosen, row[1:], strict=True)]]
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
    _require_open(project)
    result = extract_compute(project=project, dataset=dataset, year=year, **spec)
    return ResearchOutput.objects.create(
        project=project, dataset=dataset, year=year, researcher=researcher,
        kind=OutputKind.EXTRACT, query=result["query"], result=result,
        status=OutputStatus.PASSED if result["passes"] else OutputStatus.BLOCKED,
    )  # fmt: skip


# --- release ------------------------------------------------------------------------------


@transaction.atomic
def output_release(*, output: ResearchOutput, acting_user: Any) -> ResearchOutput:
    """A researcher publishes (downloads) an output that passed the checks. Released tables
    count for the differencing check of later ones."""
    output = ResearchOutput.objects.select_for_update().get(pk=output.pk)
    if output.status == OutputStatus.RELEASED:
        return output
    if output.status != OutputStatus.PASSED:
        raise PermissionDenied(NOT_RELEASABLE)
    _require_open(output.project)
    if not output.project.researchers.filter(pk=getattr(acting_user, "pk", None)).exists():
        raise PermissionDenied(NOT_YOURS)
    output.status = OutputStatus.RELEASED
    output.released_at = timezone.now()
    output.released_by = acting_user
    output.save(update_fields=["status", "released_at", "released_by"])
    return output


@transaction.atomic
def review_request(*, output: ResearchOutput, acting_user: Any, note: str) -> ResearchOutput:
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
    _require_admin(acting_user)
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


def output_dataset(output: ResearchOutput):
    """The output as a tablib Dataset (hidden cells as the marker), for CSV/XLSX."""
    import tablib

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
