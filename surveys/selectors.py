"""Reads of a member's surveys.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, QuerySet

from .models import Invitation, Response, Survey, Wave


def survey_list() -> QuerySet[Survey]:
    return Survey.objects.prefetch_related("waves")


@dataclass(frozen=True)
class Coverage:
    locality: str
    invited: int
    responded: int

    @property
    def rate(self) -> int:
        return round(100 * self.responded / self.invited) if self.invited else 0


def wave_coverage(*, wave: Wave) -> list[Coverage]:
    """Invited and responded organisations per locality (district), with a total last."""
    answered = Response.objects.filter(wave=wave, organisation=OuterRef("organisation"))
    rows = (
        Invitation.objects.filter(wave=wave)
        .annotate(done=Exists(answered))
        .values_list("organisation__district", "done")
    )
    counts: dict[str, list[int]] = {}
    for district, done in rows:
        entry = counts.setdefault(district or "Not recorded", [0, 0])
        entry[0] += 1
        entry[1] += int(done)
    # Staff may enter answers for organisations never sent a link.
    uninvited = (
        Response.objects.filter(wave=wave)
        .exclude(organisation__in=Invitation.objects.filter(wave=wave).values("organisation"))
        .values_list("organisation__district", flat=True)
    )
    for district in uninvited:
        entry = counts.setdefault(district or "Not recorded", [0, 0])
        entry[1] += 1
    result = [Coverage(k, v[0], v[1]) for k, v in sorted(counts.items())]
    result.append(Coverage("All localities", sum(c.invited for c in result),
                           sum(c.responded for c in result)))  # fmt: skip
    return result


def wave_invitations(*, wave: Wave) -> QuerySet[Invitation]:
    answered = Response.objects.filter(wave=wave, organisation=OuterRef("organisation"))
    return (
        Invitation.objects.filter(wave=wave)
        .select_related("organisation")
        .annotate(responded=Exists(answered))
    )


def wave_responses(*, wave: Wave) -> QuerySet[Response]:
    return Response.objects.filter(wave=wave).select_related("organisation", "entered_by")


def invitation_by_token(*, token: str) -> Invitation:
    """The invitation behind a link; a wrong token raises Invitation.DoesNotExist."""
    return Invitation.objects.select_related("wave__survey", "organisation").get(token=token)
