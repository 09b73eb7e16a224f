"""Cell values as an import reads them: dates, yes/no words, e-mail addresses, postcodes,
tags, one-line addresses, org-id identifiers and organisation types.

Each function takes the text of one cell and returns the value to store, or raises
ValueError with the message a row problem shows. Tenant assumptions: none.
"""

from __future__ import annotations

import csv
import re
from datetime import UTC, date, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from crm.models import OrganisationType
from crm.validators import is_uk_postcode, normalise_postcode

BAD_TIME = "“{value}” is not a date and time (use 2024-03-31 14:05:00)."
BAD_EMAIL = "“{value}” is not a valid e-mail address."
BAD_POSTCODE = "“{value}” is not a UK postcode."
BAD_DATE = "“{value}” is not a date (use 31/12/1980 or 1980-12-31)."
FUTURE_DATE = "{value} is in the future."
BAD_FLAG = "“{value}” should be yes or no."

TRUE_WORDS = {"yes", "y", "true", "t", "1", "x", "opted out", "opt out", "unsubscribed", "on"}
FALSE_WORDS = {"", "no", "n", "false", "f", "0", "off", "subscribed", "opted in"}

DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%d %B %Y", "%d %b %Y")


def calendar_date(value: str) -> date:
    for fmt in DATE_FORMATS:
        try:
            parsed = datetime.strptime(value, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
        if parsed > date.today():  # noqa: DTZ011 - a calendar date
            raise ValueError(FUTURE_DATE.format(value=value))
        return parsed
    raise ValueError(BAD_DATE.format(value=value))


def flag(value: str) -> bool:
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(BAD_FLAG.format(value=value))


TIME_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%d/%m/%Y %H:%M:%S",
                "%d/%m/%Y %H:%M", "%Y-%m-%d", "%d/%m/%Y")  # fmt: skip
LOOKS_LIKE_DATE = re.compile(r"^\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}\b")


def timestamp(value: str) -> str:
    """Mailchimp's OPTIN_TIME and CONFIRM_TIME (UTC) as an ISO timestamp."""
    text = value.strip().removesuffix("Z").removesuffix(" UTC")
    for fmt in TIME_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt).replace(tzinfo=UTC)
        except ValueError:
            continue
        if parsed > datetime.now(tz=UTC):
            raise ValueError(FUTURE_DATE.format(value=value))
        return parsed.isoformat()
    raise ValueError(BAD_TIME.format(value=value))


def opted_out(value: str) -> bool:
    """An opt-out cell: yes/no words, or a date (Mailchimp's UNSUB_TIME) meaning yes."""
    return bool(LOOKS_LIKE_DATE.match(value.strip())) or flag(value)


TAG_QUOTES = "\"'“”‘’"


def tag_names(value: str) -> str:
    """``"Volunteers","Newsletter 2026"`` (Mailchimp) or ``a; b, c``: names without quotes,
    separated by semicolons."""
    if any(q in value for q in '"“”'):
        text = value.replace("“", '"').replace("”", '"')
        items = next(csv.reader([text], skipinitialspace=True), [])
        items = [i for item in items for i in re.split(r"[;]", item)]
    else:
        items = re.split(r"[;,]", value)
    names = [item.strip().strip(TAG_QUOTES).strip() for item in items]
    return ";".join(n for n in names if n)


COUNTRY_WORDS = {"gb", "uk", "united kingdom", "england", "scotland", "wales", "great britain"}


def address_split(value: str) -> dict[str, str]:
    """A one-line address (Mailchimp's ``Address``: parts two spaces apart, or a line with
    commas) as structured fields: the postcode and country recognised from the end."""
    mailchimp = bool(re.search(r"\S {2,}\S", value))
    parts = [p.strip() for p in re.split(r" {2,}|\s*,\s*|\n", value) if p.strip()]
    if parts and parts[-1].lower().rstrip(".") in COUNTRY_WORDS:
        parts.pop()
    out = {"address_line1": "", "address_line2": "", "town": "", "county": "", "postcode": ""}
    if parts and is_uk_postcode(parts[-1]):
        out["postcode"] = parts.pop()
    elif parts:
        found = re.search(r"\s([A-Za-z]{1,2}\d[A-Za-z\d]?\s*\d[A-Za-z]{2})$", parts[-1])
        if found and is_uk_postcode(found.group(1)):
            out["postcode"] = found.group(1)
            parts[-1] = parts[-1][: found.start()].strip()
    if mailchimp and len(parts) >= 3:
        out["county"] = parts.pop()
    if parts:
        out["address_line1"] = parts.pop(0)
    if len(parts) >= 1:
        out["town"] = parts.pop()
    out["address_line2"] = ", ".join(parts)
    return out


def email(value: str) -> str:
    try:
        validate_email(value)
    except ValidationError as exc:
        raise ValueError(BAD_EMAIL.format(value=value)) from exc
    return value


def postcode(value: str) -> str:
    if not is_uk_postcode(value):
        raise ValueError(BAD_POSTCODE.format(value=value))
    return normalise_postcode(value)


def identifier_from(kind: str, value: str) -> str:
    value = re.sub(r"\s+", "", value).upper()
    if kind == "charity_number":
        return f"GB-SC|{value}" if value.startswith("SC") else f"GB-CHC|{value}"
    if kind == "company_number":
        # Companies House numbers are 8 characters: registers and spreadsheets drop the
        # leading zeros (1422334 is 01422334; SC12345 is SC012345).
        prefix = re.fullmatch(r"([A-Z]{2})(\d+)", value)
        if value.isdigit() and len(value) < 8:
            value = value.zfill(8)
        elif prefix and len(value) < 8:
            value = prefix.group(1) + prefix.group(2).zfill(6)
        return f"GB-COH|{value}"
    parts = value.split("-")
    if len(parts) >= 3:
        return f"{parts[0]}-{parts[1]}|{'-'.join(parts[2:])}"
    raise ValueError(f"“{value}” is not an org-id identifier (e.g. GB-CHC-1234567).")


ORG_TYPE_WORDS = [
    ("cio", OrganisationType.CIO), ("charitable incorporated", OrganisationType.CIO),
    ("charitable company", OrganisationType.REGISTERED_CHARITY),
    ("cic", OrganisationType.CIC), ("community interest", OrganisationType.CIC),
    ("social enterprise", OrganisationType.SOCIAL_ENTERPRISE),
    ("charity", OrganisationType.REGISTERED_CHARITY),
    ("company", OrganisationType.COMPANY), ("guarantee", OrganisationType.COMPANY),
    ("faith", OrganisationType.FAITH_GROUP), ("church", OrganisationType.FAITH_GROUP),
    ("community", OrganisationType.COMMUNITY_GROUP),
    ("unincorporated", OrganisationType.COMMUNITY_GROUP),
    ("council", OrganisationType.PUBLIC_BODY), ("nhs", OrganisationType.PUBLIC_BODY),
    ("public", OrganisationType.PUBLIC_BODY),
]  # fmt: skip


def org_type(value: str) -> str:
    lowered = value.lower()
    for word, choice in ORG_TYPE_WORDS:
        if word in lowered:
            return choice
    return OrganisationType.OTHER
