"""Every read of a member's CRM that carries a rule: above all, who may see restricted contacts.

Tenant assumptions: the connection is on the member's schema. A restricted contact that the
user may not see does not exist for them: absent from lists, searches, counts and exports,
and fetching it raises the same DoesNotExist as a missing id.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.contrib.postgres.search import TrigramWordSimilarity
from django.db import connection
from django.db.models import (
    BigIntegerField,
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Lower
from guardian.models import UserObjectPermission

from tenants.ordering import name_order

from .models import (
    Consent,
    ConsentPurpose,
    ConsentStatus,
    Contact,
    ContactRole,
    Fold,
    Interaction,
    Organisation,
    OrganisationIdentifier,
)
from .search import query_kind
from .validators import normalise_postcode

# Words shorter than this match as substrings only; longer ones may be corrected to the
# closest words the member's records contain (pg_trgm.similarity_threshold decides how close).
MIN_FUZZY_LENGTH = 3
# Search ranks at most this many candidates; more matches than this show as "2,000+".
SEARCH_CAP = 2000
CORRECTIONS_PER_WORD = 5

CONTACT_SORTS = {
    "name": [*name_order("last_name", "first_name"), "id"],
    "-name": [*name_order("-last_name", "-first_name"), "-id"],
    "updated": ["-updated_at", "-id"],
    "created": ["-created_at", "-id"],
    "postcode": ["postcode", "id"],
}
ORGANISATION_SORTS = {
    "name": [*name_order("name"), "id"],
    "-name": [*name_order("-name"), "-id"],
    "updated": ["-updated_at", "-id"],
    "district": [*name_order("district", "name"), "id"],
}


def _restricted_visible_ids(user: Any) -> QuerySet:
    """Ids of restricted contacts ``user`` was granted (guardian keeps them as text)."""
    if user is None or isinstance(user, AnonymousUser) or not user.is_authenticated:
        return UserObjectPermission.objects.none().values("object_pk")
    # By natural key, not ContentType's cache: django-tenants empties that cache on every
    # schema switch, which would cost a query per request.
    return (
        UserObjectPermission.objects.filter(
            user_id=user.pk,
            content_type__app_label="crm",
            content_type__model="contact",
            permission__codename="view_restricted_contact",
        )
        .annotate(contact_id=Cast("object_pk", BigIntegerField()))
        .values("contact_id")
    )


def contacts_visible_to(*, user: Any) -> QuerySet[Contact]:
    """The one door to contacts: restricted ones only for colleagues granted them."""
    return Contact.objects.filter(
        Q(is_restricted=False) | Q(pk__in=Subquery(_restricted_visible_ids(user)))
    )


def contact_ids_hidden_from(*, user: Any) -> list[int]:
    """Ids of the restricted contacts ``user`` may not see, for rules applied outside this
    schema's tables (e.g. registrations in public hold a contact id as a plain number)."""
    return list(
        Contact.objects.filter(is_restricted=True)
        .exclude(pk__in=Subquery(_restricted_visible_ids(user)))
        .values_list("pk", flat=True)
    )


def contact_get_for_user(*, user: Any, contact_id: int) -> Contact:
    return contacts_visible_to(user=user).get(pk=contact_id)


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


def _search(queryset: QuerySet, query: str, *, email_field: str | None) -> QuerySet:
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
    rank = None
    for word in words:
        similarity = TrigramWordSimilarity(Fold(Value(word)), "search_text")
        rank = similarity if rank is None else rank + similarity
    return ranked.annotate(rank=rank).order_by("-rank", "pk")


def _latest_consent(purpose: str) -> Subquery:
    return Subquery(
        Consent.objects.filter(contact=OuterRef("pk"), purpose=purpose)
        .order_by("-recorded_at", "-id")
        .values("status")[:1]
    )


def contacts_suppressed_from_mailing() -> QuerySet[Contact]:
    """Contacts whose newest marketing decision is an objection or a withdrawal, and every
    other record of the member with the same e-mail address.

    An objection belongs to the person, not to one record of them: a duplicate made by an
    import (for instance of a restricted contact the importer could not see, and so could
    not match) must not reach a mailing list the person objected to. Runs on the current
    member's schema over all its contacts, restricted ones included, so it must only ever
    be used to leave people *out*; it returns nothing a caller should show.
    """
    objected = Contact.objects.annotate(
        _marketing=_latest_consent(ConsentPurpose.MARKETING)
    ).filter(_marketing__in=[ConsentStatus.OBJECTED, ConsentStatus.WITHDRAWN])
    objected_emails = objected.exclude(email="").annotate(_email=Lower("email")).values("_email")
    return Contact.objects.annotate(_email=Lower("email")).filter(
        Q(pk__in=objected.values("pk")) | Q(_email__in=objected_emails)
    )


def contact_list(
    *,
    user: Any,
    search: str = "",
    tag: str = "",
    consent: str = "",
    sort: str = "name",
    for_mailing: bool = False,
) -> QuerySet[Contact]:
    """Contacts ``user`` may see, searched, filtered and sorted.

    ``for_mailing`` drops everyone whose marketing decision is an objection or withdrawal.
    """
    contacts = contacts_visible_to(user=user)
    if tag:
        contacts = contacts.filter(tags__name=tag)
    if consent:
        purpose, _, status = consent.partition(":")
        contacts = contacts.annotate(_consent=_latest_consent(purpose))
        contacts = (
            contacts.filter(_consent__isnull=True)
            if status == "none"
            else contacts.filter(_consent=status)
        )
    if for_mailing:
        contacts = contacts.exclude(pk__in=contacts_suppressed_from_mailing().values("pk"))
    searched = _search(contacts, search, email_field="email")
    if search.strip() and searched.query.order_by:
        return searched.prefetch_related("tags")
    return searched.order_by(*CONTACT_SORTS.get(sort, CONTACT_SORTS["name"])).prefetch_related(
        "tags"
    )


def contact_detail(*, user: Any, contact_id: int) -> Contact:
    return (
        contacts_visible_to(user=user)
        .prefetch_related(
            "tags",
            "consents",
            Prefetch("roles", queryset=ContactRole.objects.select_related("organisation")),
        )
        .get(pk=contact_id)
    )


def organisation_list(
    *, search: str = "", tag: str = "", org_type: str = "", district: str = "", sort: str = "name"
) -> QuerySet[Organisation]:
    orgs = Organisation.objects.all()
    if tag:
        orgs = orgs.filter(tags__name=tag)
    if org_type:
        orgs = orgs.filter(org_type=org_type)
    if district:
        orgs = orgs.filter(district=district)
    if search.strip() and "-" in search and search.upper().startswith(("GB-", "XI-")):
        scheme, _, value = search.strip().upper().rpartition("-")
        orgs = orgs.filter(
            Exists(
                OrganisationIdentifier.objects.filter(
                    organisation=OuterRef("pk"), scheme__iexact=scheme, value__iexact=value
                )
            )
        )
        return orgs.order_by(*name_order("name"), "id").prefetch_related("identifiers", "tags")
    searched = _search(orgs, search, email_field="email")
    if search.strip() and searched.query.order_by:
        return searched.prefetch_related("identifiers", "tags")
    return searched.order_by(
        *ORGANISATION_SORTS.get(sort, ORGANISATION_SORTS["name"])
    ).prefetch_related("identifiers", "tags")


def organisation_detail(*, organisation_id: int) -> Organisation:
    return Organisation.objects.prefetch_related("identifiers", "tags").get(pk=organisation_id)


def organisation_people(*, user: Any, organisation: Organisation) -> QuerySet[ContactRole]:
    """Roles at an organisation, of contacts the user may see."""
    return (
        ContactRole.objects.filter(
            organisation=organisation,
            contact__in=contacts_visible_to(user=user).values("pk"),
        )
        .select_related("contact")
        .order_by("role", *name_order("contact__last_name", "contact__first_name"), "id")
    )


def interactions_visible_to(*, user: Any) -> QuerySet[Interaction]:
    """The one door to interactions: those whose every contact ``user`` may see (an
    interaction with no contacts at all is visible to every colleague).

    An interaction with a restricted person is part of that person's safeguarding record,
    whoever else took part: shown with the restricted contact left off, its summary, date,
    outcome and organisation would still tell what happened to them, and that a visible
    contact met someone hidden. So one hidden contact hides the whole interaction, in every
    list, timeline, count, chart, report and API answer.
    """
    hidden_link = Interaction.contacts.through.objects.filter(
        interaction_id=OuterRef("pk"), contact__is_restricted=True
    ).exclude(contact_id__in=Subquery(_restricted_visible_ids(user)))
    return Interaction.objects.filter(~Exists(hidden_link))


def interactions_for(
    *, user: Any, contact: Contact | None = None, organisation: Organisation | None = None
) -> QuerySet[Interaction]:
    """Interactions ``user`` may see, of one contact or organisation if given, newest first."""
    interactions = (
        interactions_visible_to(user=user)
        .select_related("staff")
        .prefetch_related(
            Prefetch("contacts", queryset=contacts_visible_to(user=user)), "organisations"
        )
    )
    if contact is not None:
        interactions = interactions.filter(contacts=contact)
    if organisation is not None:
        interactions = interactions.filter(organisations=organisation)
    return interactions.order_by("-date", "-id")


def contact_duplicates(*, user: Any, limit: int = 50) -> list[tuple[Contact, Contact, str]]:
    """Pairs of contacts the user may see that look like one person: the same e-mail, or a
    similar name at the same postcode. Older record first (the one a merge keeps)."""
    granted = [int(i) for i in _restricted_visible_ids(user).values_list("contact_id", flat=True)]
    visible = "(NOT {t}.is_restricted OR {t}.id = ANY(%(granted)s))"
    both = f"{visible.format(t='a')} AND {visible.format(t='b')}"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT a.id, b.id, 'same e-mail' FROM crm_contact a
              JOIN crm_contact b ON lower(a.email) = lower(b.email) AND a.id < b.id
             WHERE a.email <> '' AND {both}
            UNION
            SELECT a.id, b.id, 'similar name, same postcode' FROM crm_contact a
              JOIN crm_contact b ON a.postcode = b.postcode AND a.id < b.id
             WHERE a.postcode <> '' AND {both}
               AND similarity(public.commons_fold(a.first_name || ' ' || a.last_name),
                              public.commons_fold(b.first_name || ' ' || b.last_name)) > 0.6
            ORDER BY 1, 2 LIMIT %(limit)s
            """,
            {"granted": granted, "limit": limit},
        )
        rows = cursor.fetchall()
    people = Contact.objects.in_bulk({i for row in rows for i in row[:2]})
    return [(people[a], people[b], why) for a, b, why in rows if a in people and b in people]


def organisation_duplicates(*, limit: int = 50) -> list[tuple[Organisation, Organisation, str]]:
    """Pairs of organisations that look like one: a similar name at the same postcode, or
    the same name."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT a.id, b.id, CASE WHEN a.search_text = b.search_text THEN 'same name'
                                    ELSE 'similar name, same postcode' END
              FROM crm_organisation a JOIN crm_organisation b ON a.id < b.id
               AND ((a.postcode <> '' AND a.postcode = b.postcode
                     AND similarity(public.commons_fold(a.name), public.commons_fold(b.name)) > 0.5)
                    OR public.commons_fold(a.name) = public.commons_fold(b.name))
             ORDER BY 1, 2 LIMIT %s
            """,
            [limit],
        )
        rows = cursor.fetchall()
    orgs = Organisation.objects.in_bulk({i for row in rows for i in row[:2]})
    return [(orgs[a], orgs[b], why) for a, b, why in rows if a in orgs and b in orgs]


def colleague_get(*, member: Any, user_id: int) -> Any:
    """A user who works at ``member`` (the current site), or None."""
    from tenants.selectors import team_of

    membership = team_of(member=member).filter(user_id=user_id).first()
    return membership.user if membership else None


def restricted_access_of(*, contact: Contact, member: Any) -> list[tuple[Any, bool]]:
    """Each colleague at ``member``, and whether they may see restricted ``contact``."""
    from tenants.selectors import team_of

    granted = set(
        UserObjectPermission.objects.filter(
            object_pk=str(contact.pk),
            content_type__app_label="crm",
            content_type__model="contact",
            permission__codename="view_restricted_contact",
        ).values_list("user_id", flat=True)
    )
    return [(m.user, m.user_id in granted) for m in team_of(member=member)]


def organisation_by_name_or_identifier(*, text: str) -> Organisation | None:
    """The one organisation named ``text`` (any case or accents) or holding that identifier."""
    text = text.strip()
    if not text:
        return None
    scheme, _, value = text.upper().rpartition("-")
    if scheme.count("-") == 1:
        found = Organisation.objects.filter(
            identifiers__scheme=scheme, identifiers__value=value
        ).first()
        if found:
            return found
    matches = list(Organisation.objects.filter(search_text__startswith=Fold(Value(text)))[:50])
    named = [o for o in matches if o.name.casefold() == text.casefold()]
    return named[0] if len(named) == 1 else None
