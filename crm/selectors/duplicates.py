"""Likely duplicates inside one member: contacts by e-mail or by a similar name at the same
postcode, organisations by name. The merge (crm.merging) keeps the older record.

Tenant assumptions: the connection is on the member's schema. A pair is offered only if
the user may see both contacts.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from crm.models import Contact, Organisation

from .visibility import restricted_visible_ids


def contact_duplicates(*, user: Any, limit: int = 50) -> list[tuple[Contact, Contact, str]]:
    """Pairs of contacts the user may see that look like one person: the same e-mail, or a
    similar name at the same postcode. Older record first (the one a merge keeps)."""
    granted = [int(i) for i in restricted_visible_ids(user).values_list("contact_id", flat=True)]
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
