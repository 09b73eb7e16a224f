"""The e-mail that tells an affected member's data protection leads of a breach, through the
house's mail path (Django's ``send_mail``, as tenants.invitation_mail), after the breach is
saved. It names the breach and links to it on the member's own site; it holds no one's data.
"""

from __future__ import annotations

from urllib.parse import urlparse

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse

from tenants.models import Member

from .breach_models import Breach
from .breach_selectors import breach_clock, breach_lead_emails


def member_site_link(member: Member, path: str) -> str:
    """``path`` on ``member``'s own site, with the scheme and port of COMMONS_SITE_URL."""
    site = urlparse(settings.SITE_URL)
    host = member.primary_domain_name or settings.BASE_DOMAIN
    port = f":{site.port}" if site.port else ""
    return f"{site.scheme}://{host}{port}{path}"


def breach_email_send(*, breach_id: int, member_ids: list[int]) -> None:
    """One e-mail per affected member, to its active data protection leads."""
    breach = Breach.objects.get(pk=breach_id)
    path = reverse("rights:breach_detail", urlconf="consortium.urls_tenant",
                   kwargs={"breach_id": breach.pk})  # fmt: skip
    for member in Member.objects.filter(pk__in=member_ids).order_by("name"):
        emails = breach_lead_emails(members=[member])
        if not emails:
            continue
        body = render_to_string("rights/email/breach_affects.txt", {
            "breach": breach, "member": member, "clock": breach_clock(breach),
            "link": member_site_link(member, path),
        })  # fmt: skip
        send_mail(f"Personal data breach {breach.reference} affects {member.name}", body, None,
                  emails)  # fmt: skip
