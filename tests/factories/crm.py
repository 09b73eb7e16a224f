"""A member's CRM records, made by ``crm.services`` on the schema the test has entered."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import factory
from django.utils import timezone

from crm import services
from crm.models import (
    Consent,
    ConsentPurpose,
    ConsentStatus,
    Contact,
    ContactRole,
    Interaction,
    InteractionKind,
    Organisation,
    RoleKind,
    Tag,
)


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Tag {n}")


def tags_of(tags: Iterable[Tag | str]) -> list[Tag]:
    """Tags given as tags or as names (made if new)."""
    return [tag if isinstance(tag, Tag) else TagFactory(name=tag) for tag in tags]


class OrganisationFactory(factory.django.DjangoModelFactory):
    """``OrganisationFactory(tags=["Directory"], identifiers=[("GB-CHC", "1100001")])``."""

    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Test Group {n}")
    acting_user = None
    tags = ()

    @classmethod
    def _create(cls, model_class, *args: Any, tags: Iterable[Tag | str] = (),
                **fields: Any) -> Organisation:  # fmt: skip
        return services.organisation_create(tags=tags_of(tags), **fields)


class ContactFactory(factory.django.DjangoModelFactory):
    """``ContactFactory(last_name="Hart", is_restricted=True, acting_user=manager)``: a
    restricted contact stays visible to whoever made it."""

    class Meta:
        model = Contact

    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Tester{n}")
    acting_user = None
    tags = ()

    @classmethod
    def _create(cls, model_class, *args: Any, tags: Iterable[Tag | str] = (),
                **fields: Any) -> Contact:  # fmt: skip
        return services.contact_create(tags=tags_of(tags), **fields)


class ContactRoleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ContactRole

    contact = factory.SubFactory(ContactFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = RoleKind.CONTACT
    acting_user = None

    @classmethod
    def _create(cls, model_class, *args: Any, **fields: Any) -> ContactRole:
        return services.role_add(**fields)


class InteractionFactory(factory.django.DjangoModelFactory):
    """``InteractionFactory(contacts=[ada], organisations=[org])``, dated today."""

    class Meta:
        model = Interaction

    kind = InteractionKind.CALL
    date = factory.LazyFunction(timezone.localdate)
    summary = factory.Sequence(lambda n: f"Call {n}")
    acting_user = None
    contacts = ()
    organisations = ()

    @classmethod
    def _create(cls, model_class, *args: Any, **fields: Any) -> Interaction:
        return services.interaction_create(**fields)


class ConsentFactory(factory.django.DjangoModelFactory):
    """Consent to sharing, given, unless told otherwise."""

    class Meta:
        model = Consent

    contact = factory.SubFactory(ContactFactory)
    purpose = ConsentPurpose.SHARING
    status = ConsentStatus.GRANTED
    acting_user = None

    @classmethod
    def _create(cls, model_class, *args: Any, **fields: Any) -> Consent:
        return services.consent_record(**fields)
