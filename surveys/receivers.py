"""What surveys does when other apps announce a change: crm's record announcements.

Connected in ``SurveysConfig.ready``. A receiver runs inside the sender's transaction, so
what it moves stands or falls with the change announced.

Tenant assumptions: the connection is on the member's schema whose records changed (crm
announces from there); nothing here switches schema.
"""

from __future__ import annotations

from typing import Any

from .changes import responses_changed
from .models import Invitation, Response


def on_records_changed(sender: Any, *, record_type: str, ids: list[int], action: str,
                       **_: Any) -> None:  # fmt: skip
    """crm's announcements: when an organisation is merged into another, its invitations
    and answers move to the organisation kept (crm records the merge before announcing the
    deletion). Where the kept organisation already answered a wave, its own answer stays and
    the merged-away duplicate goes with the merged record."""
    from crm.changes import DELETED
    from crm.models import MergeRecord

    if record_type != "organisation" or action != DELETED:
        return
    moved: dict[str, list[int]] = {}
    for drop_id in ids:
        merge = (
            MergeRecord.objects.filter(record_type="organisation", merged_id=drop_id)
            .order_by("-merged_at", "-id").first()
        )  # fmt: skip
        if merge is None:
            continue
        keep_id = merge.kept_id
        invited = Invitation.objects.filter(organisation_id=keep_id).values("wave_id")
        Invitation.objects.filter(organisation_id=drop_id).exclude(wave_id__in=invited).update(
            organisation_id=keep_id)  # fmt: skip
        answered = Response.objects.filter(organisation_id=keep_id).values("wave_id")
        moving = Response.objects.filter(organisation_id=drop_id).exclude(wave_id__in=answered)
        for pk, code in moving.values_list("pk", "wave__survey__code"):
            moved.setdefault(code, []).append(pk)
        moving.update(organisation_id=keep_id)
    for code, response_ids in moved.items():
        responses_changed.send(sender=Response, survey_code=code, response_ids=response_ids)
