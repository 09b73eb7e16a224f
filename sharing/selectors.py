"""Who may see which shared records: decided here, and only here.

Tenant assumptions: none — everything read lives in the public schema.
"""

from __future__ import annotations

import re
from typing import Any, cast

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.fields.json import KeyTextTransform
from django.utils import timezone

from crm.models import Fold
from crm.validators import is_uk_postcode, normalise_postcode
from tenants.models import Member
from tenants.ordering import name_order

from .models import (
    AccessMode,
    Agreement,
    Disclosure,
    PartyRole,
    PersonKey,
    SharedRecord,
    Status,
)

# Candidates kept per search; counts above this read "1,000+". Heap visits for a common word
# grow with it, so it is kept small on a directory of millions of records.
SEARCH_CAP = 1000


def _in_force(queryset: QuerySet[Agreement]) -> QuerySet[Agreement]:
    # An agreement past its end date shows nothing from that day, before any job runs.
    today = timezone.localdate()
    return queryset.filter(status=Status.ACTIVE, start_date__lte=today).filter(
        Q(end_date__isnull=True) | Q(end_date__gte=today)
    )


def agreements_in_force() -> QuerySet[Agreement]:
    """Every agreement in force today, of every member (the consortium's sharing map)."""
    return _in_force(Agreement.objects.all())


def agreement_in_force(*, agreement: Agreement) -> bool:
    """Whether ``agreement`` is in force today: the rule every recipient's view applies."""
    return _in_force(Agreement.objects.filter(pk=agreement.pk)).exists()


def agreements_register(*, status: str = "", purpose: str = "") -> list[Agreement]:
    """Every agreement of every member, in any state (the consortium admins' register; the
    caller checks who asks)."""
    agreements = (
        Agreement.objects.select_related("provider")
        .prefetch_related("parties__member")
        .order_by("provider__name", "title", "-version")
    )
    if status:
        agreements = agreements.filter(status=status)
    if purpose:
        agreements = agreements.filter(purpose=purpose)
    return list(agreements)


def agreements_received_by(*, member: Any) -> QuerySet[Agreement]:
    """Agreements in force that make ``member`` a recipient (named, or all members)."""
    named = Q(parties__member=member, parties__role=PartyRole.RECIPIENT)
    everyone = Q(all_members=True) & ~Q(provider=member)
    return _in_force(Agreement.objects.filter(named | everyone)).distinct()


def _party_to(member: Any) -> Q:
    """Agreements ``member`` is party to: its own, those naming it, and other members'
    all-members agreements once they have been in force (never their drafts)."""
    everyone = Q(all_members=True) & ~Q(status__in=[Status.DRAFT, Status.AWAITING])
    return Q(provider=member) | Q(parties__member=member) | everyone


def agreements_of(*, member: Any) -> QuerySet[Agreement]:
    """Every agreement ``member`` is party to, in any state (its register)."""
    return (
        Agreement.objects.filter(_party_to(member))
        .exclude(status=Status.SUPERSEDED)
        .select_related("provider")
        .distinct()
        .order_by("-created_at")
    )


def agreement_get_for(*, member: Any, agreement_id: int) -> Agreement:
    """An agreement ``member`` is party to; any other raises DoesNotExist (404)."""
    return (
        Agreement.objects.filter(_party_to(member))
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
    visible = list(agreements_received_by(member=member).values_list("pk", flat=True))
    records = SharedRecord.objects.filter(agreement_id__in=visible)
    if provider_id:
        records = records.filter(provider_id=provider_id)
    if agreement_id:
        records = records.filter(agreement_id=agreement_id)
    if record_type:
        records = records.filter(record_type=record_type)
    return _search(records, search).select_related("agreement", "agreement__provider")


def _words_query(records: QuerySet[SharedRecord], tsquery: str) -> QuerySet[SharedRecord]:
    return records.extra(
        where=["search_vector @@ to_tsquery('simple', public.commons_fold(%s))"],
        params=[tsquery],
    )


def _corrections(records: QuerySet[SharedRecord], words: list[str]) -> dict[str, list[str]]:
    """Closest words of the shared directory for each query word, kept only where a record
    the member may see holds that word (the list never reveals anything else)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT q.word, s.word FROM unnest(%s::text[]) AS q(word)
            CROSS JOIN LATERAL (
                SELECT word FROM public.sharing_sharedword
                 WHERE word %% public.commons_fold(q.word)
                 ORDER BY word <-> public.commons_fold(q.word) LIMIT 5) s
            """,
            [words],
        )
        options: dict[str, list[str]] = {}
        for word, option in cursor.fetchall():
            options.setdefault(word, []).append(option)
    kept: dict[str, list[str]] = {}
    for word, candidates in options.items():
        for option in candidates:
            if _words_query(records, option).exists():
                kept.setdefault(word, []).append(option)
    return kept


def _candidate_ids(
    records: QuerySet[SharedRecord], query: str, words: list[str]
) -> tuple[list[int], bool]:
    """The first tier that finds anything, capped at SEARCH_CAP ids; and whether its
    matches are approximate (then they are ranked by closeness)."""

    def ids(queryset: QuerySet[SharedRecord]) -> list[int]:
        return list(queryset.order_by().values_list("pk", flat=True)[:SEARCH_CAP])

    if is_uk_postcode(query):
        by_postcode = records.alias(postcode=KeyTextTransform("postcode", "data")).filter(
            postcode=normalise_postcode(query)
        )  # the ->> expression that sharing_record_postcode indexes
        return ids(by_postcode), False
    if "@" in query or "." in query:
        fragment = records
        for word in query.lower().split():
            fragment = fragment.filter(search_text__contains=Fold(Value(word)))
        return ids(fragment), False
    if len(words) > 1:
        # A whole name as typed: a prefix range on the folded name (its own index), far
        # cheaper than intersecting two common words' lists.
        pattern = query.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        found = ids(records.extra(
            where=["public.commons_fold(display_name) LIKE public.commons_fold(%s) || '%%'"],
            params=[pattern],
        ))  # fmt: skip
        if found:
            return found, False
    found = ids(_words_query(records, " & ".join(words)))
    if found:
        return found, False
    found = ids(_words_query(records, " & ".join(f"{w}:*" for w in words)))
    if found:
        return found, False
    corrections = _corrections(records, [w for w in words if len(w) >= 3])
    if not corrections:
        return [], True
    alternatives = []
    for word in words:
        options = [word, *corrections.get(word, [])]
        alternatives.append("(" + " | ".join(f"{o}:*" for o in options) + ")")
    return ids(_words_query(records, " & ".join(alternatives))), True


def _search(records: QuerySet[SharedRecord], search: str) -> QuerySet[SharedRecord]:
    """Tiered search over the projection, cheap however many records match:

    0. several words that begin a name as typed ("olivia smith"), else
    1. every word as a whole word (the words index), else
    2. every word as a word prefix (same index), else
    3. typos: each word, or its closest spellings in the directory's word list.
    E-mail-like fragments are matched as substrings (the trigram index). Only the first
    SEARCH_CAP candidates are kept; approximate matches are ranked by closeness, exact ones
    listed by name. The count stops at the cap.
    """
    query = " ".join(search.replace("\x00", "").split())
    if not query:
        return records.order_by(*name_order("display_name"), "id")
    words = [w for w in re.split(r"[^\w]+", query.lower()) if w][:6]
    if not words:
        return records.none()
    candidates, approximate = _candidate_ids(records, query, words)
    found = SharedRecord.objects.filter(pk__in=candidates)
    if not approximate:
        # Every candidate holds every word (or fragment): alphabetical is the useful order.
        return found.order_by(*name_order("display_name"), "id")
    rank: Any = None
    for word in words:
        # Django takes any expression here; django-stubs names only a string.
        similarity = TrigramWordSimilarity(cast(Any, Fold(Value(word))), "search_text")
        rank = similarity if rank is None else rank + similarity
    return found.annotate(rank=rank).order_by("-rank", *name_order("display_name"), "id")


def shared_records_exportable_for(*, member: Any) -> QuerySet[SharedRecord]:
    """Shared records ``member`` may see now whose agreement also lets them leave Commons
    (export, or copy)."""
    return shared_records_for(member=member).filter(
        agreement__access_mode__in=[AccessMode.EXPORT, AccessMode.COPY]
    )


def shared_record_get_for(*, member: Any, shared_id: int) -> SharedRecord:
    return shared_records_for(member=member).get(pk=shared_id)


def shared_by(*, member: Any) -> list[Agreement]:
    """What ``member`` shares: per agreement, how many records and which fields."""
    counts = SharedRecord.objects.filter(agreement=OuterRef("pk")).order_by().values("agreement")
    agreements = (
        Agreement.objects.filter(provider=member)
        .exclude(status=Status.SUPERSEDED)
        .annotate(records=Subquery(counts.annotate(n=Count("id")).values("n")[:1]))
        .order_by("-created_at")
    )
    return list(agreements)


def disclosures_of(*, provider: Any, limit: int | None = 100) -> QuerySet[Disclosure]:
    """The disclosure log of what ``provider`` shares (newest first): only its own records'
    entries, whoever saw them. ``limit=None`` leaves it unsliced, for filtering."""
    disclosures = Disclosure.objects.filter(provider_id=provider.pk)
    return disclosures if limit is None else disclosures[:limit]


def shared_records_of(
    *, provider: Any, record_type: str, record_ids: list[int]
) -> QuerySet[SharedRecord]:
    """The projections of some of ``provider``'s own records, under every agreement that
    holds them (whatever its state): what recipients are, or were last, shown of them. For
    the provider's own questions about its records (a subject access pack), never for a
    recipient's view."""
    return (
        SharedRecord.objects.filter(
            provider_id=provider.pk, record_type=record_type, record_id__in=record_ids
        )
        .select_related("agreement")
        .order_by("record_id", "agreement_id")
    )


def disclosures_of_records(
    *, provider: Any, record_type: str, record_ids: list[int]
) -> QuerySet[Disclosure]:
    """The disclosure-log entries of ``provider`` that name any of ``record_ids`` (oldest
    first): who was shown, sent, or copied them. Only the provider's own entries."""
    return (
        disclosures_of(provider=provider, limit=None)
        .filter(record_type=record_type, record_ids__overlap=list(record_ids))
        .order_by("at", "id")
    )


def members_holding(keys: list[str]) -> dict[int, list[int]]:
    """Which members hold a contact with any of these person keys (sharing.person_keys), and
    which of their contacts: member id -> sorted contact ids. Only active members count.

    It says nothing of the contacts but their ids in their own member's schema: who may see
    the members' names or the ids is the caller's rule (rights.permissions)."""
    if not keys:
        return {}
    active = Member.organisations.filter(is_active=True).values("pk")
    rows = (
        PersonKey.objects.filter(digest__in=list(keys), member_id__in=active)
        .values_list("member_id", "contact_id")
        .distinct()
    )
    found: dict[int, set[int]] = {}
    for member_id, contact_id in rows:
        found.setdefault(member_id, set()).add(contact_id)
    return {member_id: sorted(ids) for member_id, ids in sorted(found.items())}
