"""Typo-tolerant search over contacts and organisations, inside the records a caller may
already see: the queryset passed in is the limit of what a search can find or reveal.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from typing import Any

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import Q, QuerySet, Subquery, Value

from crm.models import Fold
from crm.search import query_kind
from crm.validators import normalise_postcode

# Words shorter than this match as substrings only; longer ones may be corrected to the
# closest words the member's records contain (pg_trgm.similarity_threshold decides how close).
MIN_FUZZY_LENGTH = 3
# Search ranks at most this many candidates; more matches than this show as "2,000+".
SEARCH_CAP = 2000
CORRECTIONS_PER_WORD = 5


def _corrections(words: list[str], queryset: QuerySet) -> dict[str, list[str]]:
    """For each query word, the closest words that records in ``queryset`` contain.

    The word list holds words of every record the member ever had; a correction is kept only
    if a record the user may see contains it, so the list never reveals a restricted or
    deleted record. The check is on whole words: a visible record that merely contains the
    hidden word inside a longer one does not count.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT q.word, s.word FROM unnest(%s::text[]) AS q(word)
            CROSS JOIN LATERAL (
                SELECT word FROM crm_searchword
                 WHERE word %% public.commons_fold(q.word)
                 ORDER BY word <-> public.commons_fold(q.word) LIMIT %s) s
            """,
            [words, CORRECTIONS_PER_WORD],
        )
        candidates: dict[str, list[str]] = {}
        for word, correction in cursor.fetchall():
            candidates.setdefault(word, []).append(correction)
    options = sorted({o for opts in candidates.values() for o in opts})
    if not options:
        return {}
    visible_sql, visible_params = queryset.order_by().values("search_text").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT o FROM unnest(%s::text[]) AS o
             WHERE EXISTS (SELECT 1 FROM ({visible_sql}) v
                            WHERE v.search_text LIKE '%%' || o || '%%'
                              AND v.search_text ~ ('\\m' || o || '\\M'))
            """,
            [options, *visible_params],
        )
        seen = {row[0] for row in cursor.fetchall()}
    return {w: [o for o in opts if o in seen] for w, opts in candidates.items()}


def records_search(queryset: QuerySet, query: str, *, email_field: str | None) -> QuerySet:
    """Tiered search. An e-mail or a postcode matches exactly. Otherwise every word must
    appear in the record; when no record has them all, each word of three letters or more
    may instead be one of its closest spellings in the member's own word list (so "brnte"
    finds "Brontë"). Ranking runs over at most SEARCH_CAP candidates, so a common surname
    costs no more than a rare one; counts above the cap show as "2,000+".

    Folding (case, accents) happens in the database, by the same function that fills
    ``search_text``, so queries and stored text agree.
    """
    query = " ".join(query.replace("\x00", "").split())
    if not query:
        return queryset
    kind = query_kind(query)
    if kind == "email" and email_field:
        return queryset.filter(**{f"{email_field}__icontains": query})
    if kind == "postcode":
        postcode = normalise_postcode(query)
        if " " in postcode:
            return queryset.filter(postcode=postcode)
        return queryset.filter(postcode__startswith=f"{postcode} ")
    words = query.split()[:6]
    exact = queryset
    for word in words:
        exact = exact.filter(search_text__contains=Fold(Value(word)))
    tier = exact
    if not exact.exists():
        corrections = _corrections([w for w in words if len(w) >= MIN_FUZZY_LENGTH], queryset)
        tier = queryset
        for word in words:
            condition = Q(search_text__contains=Fold(Value(word)))
            for correction in corrections.get(word, []):
                condition |= Q(search_text__contains=correction)
            tier = tier.filter(condition)
    candidates = tier.order_by().values("pk")[:SEARCH_CAP]
    ranked = queryset.filter(pk__in=Subquery(candidates))
    rank: Any = None
    for word in words:
        # The stubs allow only a field name here; PostgreSQL takes any text expression.
        similarity = TrigramWordSimilarity(Fold(Value(word)), "search_text")  # type: ignore[arg-type]
        rank = similarity if rank is None else rank + similarity
    return ranked.annotate(rank=rank).order_by("-rank", "pk")
