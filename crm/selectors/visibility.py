"""The doors to a member's contacts and interactions: who may see which.

A restricted contact is seen only by colleagues granted it; an interaction only by those
who may see every contact on it. Every other read that touches contacts or interactions
starts from these querysets. Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import BigIntegerField, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Cast
from guardian.models import UserObjectPermission

from crm.models import Contact, Interaction


def restricted_visible_ids(user: Any) -> QuerySet:
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
        Q(is_restricted=False) | Q(pk__in=Subquery(restricted_visible_ids(user)))
    )


def contact_ids_hidden_from(*, user: Any) -> list[int]:
    """Ids of the restricted contacts ``user`` may not see, for rules applied outside this
    schema's tables (e.g. registrations in public hold a contact id as a plain number)."""
    return list(
        Contact.objects.filter(is_restricted=True)
        .exclude(pk__in=Subquery(restricted_visible_ids(user)))
        .values_list("pk", flat=True)
    )


def contact_get_for_user(*, user: Any, contact_id: int) -> Contact:
    return contacts_visible_to(user=user).get(pk=contact_id)


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
    ).exclude(contact_id__in=Subquery(restricted_visible_ids(user)))
    return Interaction.objects.filter(~Exists(hidden_link))
