"""Every write to a member's CRM. Atomic, validated, and announced (crm.changes); deliberate
acts (deletes, merges, restriction changes, new tags, bulk tags, imports) leave an audit row.

One module per kind of record: ``contacts``, ``organisations`` (and their relationships),
``roles``, ``interactions``, ``tags``; ``common`` holds what they share. Merges are in
crm.merging, imports in crm.importing.

Tenant assumptions: the connection is on the member's schema (the request's, or a task's
that entered it at its boundary). Nothing here switches schema.
"""

from .anonymise import (
    contacts_anonymise,
    contacts_remove,
    import_job_expire,
    interactions_anonymise,
    interactions_remove,
)
from .contacts import (
    consent_record,
    contact_create,
    contact_delete,
    contact_processing_restrict,
    contact_processing_restriction_lift,
    contact_restricted_access_grant,
    contact_restricted_access_revoke,
    contact_update,
)
from .erasure import ContactsErased, contacts_erase
from .holds import legal_hold_set
from .interactions import interaction_create, interaction_delete, interaction_update
from .organisations import (
    organisation_create,
    organisation_delete,
    organisation_relationship_create,
    organisation_relationship_delete,
    organisation_relationship_update,
    organisation_update,
)
from .roles import role_add, role_delete, role_update
from .tags import tag_get_or_create, tags_bulk_apply

__all__ = [
    "ContactsErased",
    "consent_record",
    "contact_create",
    "contact_delete",
    "contact_processing_restrict",
    "contact_processing_restriction_lift",
    "contact_restricted_access_grant",
    "contact_restricted_access_revoke",
    "contact_update",
    "contacts_anonymise",
    "contacts_erase",
    "contacts_remove",
    "import_job_expire",
    "interaction_create",
    "interaction_delete",
    "interaction_update",
    "interactions_anonymise",
    "interactions_remove",
    "legal_hold_set",
    "organisation_create",
    "organisation_delete",
    "organisation_relationship_create",
    "organisation_relationship_delete",
    "organisation_relationship_update",
    "organisation_update",
    "role_add",
    "role_delete",
    "role_update",
    "tag_get_or_create",
    "tags_bulk_apply",
]
