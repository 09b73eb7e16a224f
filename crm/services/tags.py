"""Writes to tags: making one by name (or finding it), and tagging many records at once.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction

from crm.changes import TAGGED, announce
from crm.models import Contact, Organisation, Tag

from .common import crm_audit


@transaction.atomic
def tag_get_or_create(*, name: str, acting_user: Any) -> Tag:
    """The tag of that name in any case (spaces tidied), made if there is none yet; making
    one leaves an audit row (finding one writes nothing)."""
    name = " ".join(name.split())
    tag = Tag.objects.filter(name__iexact=name).first()
    if tag is None:
        tag = Tag.objects.create(name=name)
        crm_audit(action="tag.created", acting_user=acting_user, target=f"tag {tag.pk}")
    return tag


@transaction.atomic
def tags_bulk_apply(
    *, record_type: str, ids: Iterable[int], tag: Tag, acting_user: Any, remove: bool = False
) -> int:
    """Tag (or untag) many records in one statement; announces them in bulk."""
    model = Contact if record_type == "contact" else Organisation
    through: Any = model.tags.through  # the two through models differ only in their key
    fk = f"{model._meta.model_name}_id"
    id_list = sorted(set(ids))
    if remove:
        through.objects.filter(**{f"{fk}__in": id_list, "tag_id": tag.pk}).delete()
    else:
        through.objects.bulk_create(
            [through(**{fk: i, "tag_id": tag.pk}) for i in id_list], ignore_conflicts=True
        )
    announce(record_type=record_type, ids=id_list, action=TAGGED, acting_user=acting_user)
    crm_audit(action="tag.removed_in_bulk" if remove else "tag.added_in_bulk",
              acting_user=acting_user, target=f"tag {tag.pk}", record_type=record_type,
              count=len(id_list))  # fmt: skip
    return len(id_list)
