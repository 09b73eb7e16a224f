"""factory_boy factories for the records tests set up, one module per app.

Each builds through the app's own service (``_create`` calls it), not the model's manager:
the services validate (``full_clean``), normalise (postcodes, e-mails), announce a change so
that an agreement in force shares it in the same transaction, and write the audit rows. A
factory that saved the model directly would make records the product itself never could,
and a test on them could pass for the wrong reason. Only tags, which have no rule but their
name, are a plain ``get_or_create``.

Factories run on whatever schema the test has entered (``at_a``, ``in_member(member)``): crm
records belong to that member; users, memberships, agreements and events live in the public
schema. Values are deterministic (sequences, no random fakes), so a failure repeats.

    with in_member(member_a):
        org = OrganisationFactory(name="Malton Men's Shed", tags=["Directory"])
        ContactRoleFactory(organisation=org, role=RoleKind.CHAIR)
    AgreementFactory(provider=member_a, recipients=[member_b], in_force=True)
"""

from .crm import (
    ConsentFactory,
    ContactFactory,
    ContactRoleFactory,
    InteractionFactory,
    OrganisationFactory,
    TagFactory,
)
from .events import BookingFactory, EventFactory, ResourceFactory
from .people import MembershipFactory, UserFactory, manager_of
from .sharing import AgreementFactory

__all__ = [
    "AgreementFactory",
    "BookingFactory",
    "ConsentFactory",
    "ContactFactory",
    "ContactRoleFactory",
    "EventFactory",
    "InteractionFactory",
    "MembershipFactory",
    "OrganisationFactory",
    "ResourceFactory",
    "TagFactory",
    "UserFactory",
    "manager_of",
]
