"""Data-sharing agreements, made and (with ``in_force=True``) signed through the services."""

from __future__ import annotations

from typing import Any

import factory

from sharing import services
from sharing.models import Agreement, PartyRole, Status

from .people import manager_of


def agreement_in_force(agreement: Agreement) -> Agreement:
    """Propose as the provider's manager, then sign for every party by its manager, provider
    first: the agreement is active and its records are shared."""
    provider_manager = manager_of(agreement.provider)
    agreement = services.agreement_propose(agreement=agreement, acting_user=provider_manager)
    parties = agreement.parties.select_related("member")
    for party in sorted(parties, key=lambda p: (p.role != PartyRole.PROVIDER, p.pk)):
        agreement = services.agreement_sign(
            agreement=agreement, member=party.member, acting_user=manager_of(party.member)
        )
    if agreement.status != Status.ACTIVE:
        raise AssertionError(f"{agreement} is {agreement.status} after every party signed")
    return agreement


class AgreementFactory(factory.django.DjangoModelFactory):
    """A draft directory of organisation names from ``provider`` to ``recipients``, made by
    the provider's manager; ``in_force=True`` proposes it and has every party sign it."""

    class Meta:
        model = Agreement

    provider = None
    recipients = ()
    acting_user = factory.LazyAttribute(lambda o: manager_of(o.provider))
    title = factory.Sequence(lambda n: f"Directory {n}")
    purpose = "directory"
    record_types = factory.LazyFunction(lambda: ["organisation"])
    organisation_fields = factory.LazyAttribute(
        lambda o: ["name"] if "organisation" in o.record_types else []
    )
    in_force = False

    @classmethod
    def _create(cls, model_class, *args: Any, recipients: Any = (), in_force: bool = False,
                **fields: Any) -> Agreement:  # fmt: skip
        agreement = services.agreement_create(
            recipient_ids=[member.pk for member in recipients], **fields
        )
        return agreement_in_force(agreement) if in_force else agreement
