"""Who may see which shared records: decided here, and only here.

Tenant assumptions: none — everything read lives in the public schema.
"""

from __future__ import annotations

import re
from typing import Any

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.utils import timezone

from crm.models import Fold

from .models import Agreement, Disclosure, PartyRole, SharedRecord, Status

SEARCH_CAP = 2000


def _in_force(queryset: QuerySet[Agreement]) -> QuerySet[Agreement]:
    # An agreement past its end date shows nothing from that day, before any job runs.
    today = timezone.localdate()
    return queryset.filter(status=Status.ACTIVE, start_date__lte=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


def agreements_received_by(*, member: Any) -> QuerySet[Agreement]:
    """Agreements in force that make ``member`` a recipient (named, or all members)."""
    named = Q(parties__member=member, parties__role=PartyRole.RECIPIENT)
    everyone = Q(all_members=True) & ~Q(provider=member)
    return _in_force(Agreement.objects.filter(named | everyone)).distinct()


def agreements_of(*, member: Any) -> QuerySet[Agreement]:
    """Every agreement ``member`` is party to, in any state (its register)."""
    return (
        Agreement.objects.filter(
            Q(provider=member) | Q(parties__member=member) | Q(all_members=True)
        )
        .exclude(status=Status.SUPERSEDED)
        .select_related("provider")
        .distinct()
        .order_by("-created_at")
    )


def agreement_get_for(*, member: Any, agreement_id: int) -> Agreement:
    """An agreement ``member`` is party to; any other raises DoesNotExist (404)."""
    return (
        Agreement.objects.filter(
            Q(provider=member) | Q(parties__member=member) | Q(all_members=True)
        )
        .select_related("provider", "created_by")
        .distinct()
        .get(pk=agreement_id)
    )


def shared_records_for(
    *,
    member: Any,
    search: str = "",
    provider_id: int | None = None,
    agreement_id: int | None = None,
    record_type: str = "",
) -> QuerySet[SharedRecord]:
    """Shared records ``member`` may see now, through agreements in force."""
    records = SharedRecord.objects.filter(
        agreement__in=agreements_received_by(member=member).values("pk")
    ).select_related("agreement", "agreement__provider")
    if provider_id:
        records = records.filter(provider_id=provider_id)
    if agreement_id:
        records = records.filter(agreement_id=agreement_id)
    if record_type:
        records = records.filter(record_type=record_type)
    return _search(records, search)


def _tsquery(words: list[str], *, prefix: bool) -> str:
    suffix = ":*" if prefix else ""
    return " & ".join(f"{w}{suffix}" for w in words)


def _search(records: QuerySet[SharedRecord], search: str) -> QuerySet[SharedRecord]:
    """Tiered search over the projection, cheap however many records match:

    1. every word as a whole word (the words index), else
    2. every word as a word prefix (same index), else
    3. fragments and typos: every word as a substring or a close trigram match (from three
       letters), over the trigram index.
    E-mail-like queries go straight to substring matching. Only the first SEARCH_CAP
    candidates are ranked (by closeness, then name); counts above the cap read "cap+".
    """
    query = " ".join(search.replace("\x00", "").split())
    if not query:
        return records.order_by("display_name", "id")
    words = [w for w in re.split(r"[^\w]+", query.lower()) if w][:6]
    if not words:
        return records.none()
    folded = [Fold(Value(w)) for w in words]
    tiers: list[QuerySet[SharedRecord]] = []
    if "@" not in query and "." not in query:
        for prefix in (False, True):
            tsquery = _tsquery(words, prefix=prefix)
            tiers.append(records.extra(
                where=["search_vector @@ to_tsquery('simple', public.commons_fold(%s))"],
                params=[tsquery],
            ))  # fmt: skip
    fuzzy = records
    for word, fold in zip(words, folded, strict=True):
        condition = Q(search_text__contains=fold)
        if len(word) >= 3:
            condition |= Q(search_text__trigram_word_similar=fold)
        fuzzy = fuzzy.filter(condition)
    tiers.append(fuzzy)
    chosen = next((t for t in tiers[:-1] if t.exists()), tiers[-1])
    candidates = chosen.order_by().values("pk")[:SEARCH_CAP]
    rank = None
    for fold in folded:
        similarity = TrigramWordSimilarity(fold, "search_text")
        rank = similarity if rank is None else rank + similarity
    return (
        SharedRecord.objects.filter(pk__in=Subquery(candidates))
        .select_related("agreement", "agreement__provider")
        .annotate(rank=rank)
        .order_by("-rank", "display_name", "id")
    )


def shared_record_get_for(*, member: Any, shared_id: int) -> SharedRecord:
    return shared_records_for(member=member).get(pk=shared_id)


def shared_by(*, member: Any) -> list[dict[str, Any]]:
    """What ``member`` shares: per agreement, how many records and which fields."""
    counts = SharedRecord.objects.filter(agreement=OuterRef("pk")).order_by().values("agreement")
    agreements = (
        Agreement.objects.filter(provider=member)
        .exclude(status=Status.SUPERSEDED)
        .annotate(records=Subquery(counts.annotate(n=Count("id")).values("n")[:1]))
        .order_by("-created_at")
    )
    return list(agreements)


def disclosures_of(*, provider: Any, limit: int = 100) -> QuerySet[Disclosure]:
    return Disclosure.objects.filter(provider_id=provider.pk)[:limit]
