"""Every read of a member's CRM that carries a rule: above all, who may see restricted contacts.

Tenant assumptions: the connection is on the member's schema. A restricted contact that the
user may not see does not exist for them: absent from lists, searches, counts and exports,
and fetching it raises the same DoesNotExist as a missing id.

``visibility`` holds the doors (contacts, interactions); the other modules read through them:
``contacts``, ``organisations``, ``interactions``, ``search``, ``duplicates``, ``team`` (the
member and its people) and ``imports``.
"""

from .contacts import (
    CONTACT_SORTS,
    contact_detail,
    contact_list,
    contacts_copied_from,
    contacts_suppressed_from_mailing,
)
from .duplicates import contact_duplicates, organisation_duplicates
from .imports import import_job_get_for_user, import_jobs_visible_to
from .interactions import interactions_for
from .organisations import (
    ORGANISATION_SORTS,
    organisation_by_name_or_identifier,
    organisation_detail,
    organisation_list,
    organisation_people,
    organisations_copied_from,
)
from .search import CORRECTIONS_PER_WORD, MIN_FUZZY_LENGTH, SEARCH_CAP, records_search
from .team import colleague_get, member_here, restricted_access_of
from .visibility import (
    contact_get_for_user,
    contact_ids_hidden_from,
    contacts_visible_to,
    interactions_visible_to,
    restricted_visible_ids,
)

__all__ = [
    "CONTACT_SORTS",
    "CORRECTIONS_PER_WORD",
    "MIN_FUZZY_LENGTH",
    "ORGANISATION_SORTS",
    "SEARCH_CAP",
    "colleague_get",
    "contact_detail",
    "contact_duplicates",
    "contact_get_for_user",
    "contact_ids_hidden_from",
    "contact_list",
    "contacts_copied_from",
    "contacts_suppressed_from_mailing",
    "contacts_visible_to",
    "import_job_get_for_user",
    "import_jobs_visible_to",
    "interactions_for",
    "interactions_visible_to",
    "member_here",
    "organisation_by_name_or_identifier",
    "organisation_detail",
    "organisation_duplicates",
    "organisation_list",
    "organisation_people",
    "organisations_copied_from",
    "records_search",
    "restricted_access_of",
    "restricted_visible_ids",
]
