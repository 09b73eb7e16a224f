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

from .base import ServiceFactory


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Tag {n}")


def tags_of(tags: Iterable[Tag | str]) -> list[Tag]:
    """Tags given as tags or as names (made if new)."""
    return [tag if isinstance(tag, Tag) else TagFactory(name=tag) for tag in tags]


class _TaggedFactory(ServiceFactory):
    """Tags may be given as tags or as names."""

    class Meta:
        abstract = True

    acting_user = None
    tags = ()

    @classmethod
    def _create(cls, model_class: type, *args: Any, tags: Iterable[Tag | str] = (),
                **fields: Any) -> Any:  # fmt: skip
        return super()._create(model_class, *args, tags=tags_of(tags), **fields)


class OrganisationFactory(_TaggedFactory):
    """``OrganisationFactory(tags=["Directory"], identifiers=[("GB-CHC", "1100001")])``."""

    class Meta:
        model = Organisation

    service = staticmethod(services.organisation_create)
    name = factory.Sequence(lambda n: f"Test Group {n}")


class ContactFactory(_TaggedFactory):
    """``ContactFactory(last_name="Hart", is_restricted=True, acting_user=manager)``: a
    restricted contact stays visible to whoever made it."""

    class Meta:
        model = Contact

    service = staticmethod(services.contact_create)
    first_name = "Pat"
    last_name = factory.Sequence(lambda n: f"Tester{n}")


class ContactRoleFactory(ServiceFactory):
    class Meta:
        model = ContactRole

    service = staticmethod(services.role_add)
    contact = factory.SubFactory(ContactFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    role = RoleKind.CONTACT
    acting_user = None


class InteractionFactory(ServiceFactory):
    """``InteractionFactory(contacts=[ada], organisations=[org])``, dated today."""

    class Meta:
        model = Interaction

    service = staticmethod(services.interaction_create)
    kind = InteractionKind.CALL
    date = factory.LazyFunction(timezone.localdate)
    summary = factory.Sequence(lambda n: f"Call {n}")
    acting_user = None
    contacts = ()
    organisations = ()


class ConsentFactory(ServiceFactory):
    """Consent to sharing, given, unless told otherwise."""

    class Meta:
        model = Consent

    service = staticmethod(services.consent_record)
    contact = factory.SubFactory(ContactFactory)
    purpose = ConsentPurpose.SHARING
    status = ConsentStatus.GRANTED
    acting_user = None
