"""Which column of an import means which field, with the headers that the CRMs and mailing
tools members use today (CiviCRM, Salesforce NPSP, Mailchimp, Excel lists) already known.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


def header_key(text: str) -> str:
    """``E-mail Address`` -> ``email address``; accents, case and punctuation dropped."""
    plain = unicodedata.normalize("NFKD", text or "")
    plain = "".join(ch for ch in plain if not unicodedata.combining(ch)).lower()
    plain = plain.replace("e-mail", "email")
    return re.sub(r"[^a-z0-9]+", " ", plain).strip()


@dataclass(frozen=True)
class Column:
    field: str
    label: str
    aliases: tuple[str, ...]


def _columns(*specs: tuple[str, str, str]) -> dict[str, Column]:
    return {
        field: Column(field, label, tuple(header_key(a) for a in aliases.split("|")))
        for field, label, aliases in specs
    }


_SHARED = [
    ("email", "E-mail", "email|email address|primary email|email 1|emailaddress|email primary|"
     "work email|personal email|email address primary|charity contact email"),
    ("phone", "Phone", "phone|telephone|phone number|tel|home phone|work phone|landline|"
     "phone primary|phone 1|main phone|charity contact phone|phone number"),
    ("address_line1", "Address", "address|street address|address 1|address line 1|street|"
     "mailing street|mailingstreet|address1|billing street|billingstreet|"
     "charity contact address1"),
    ("address_line2", "Address line 2", "address 2|address line 2|address2|"
     "supplemental address 1|charity contact address2"),
    ("town", "Town", "town|city|town city|mailing city|mailingcity|billing city|billingcity|"
     "post town|charity contact address3"),
    ("postcode", "Postcode", "postcode|post code|postal code|zip|zip code|mailing postal code|"
     "mailingpostalcode|billing postal code|billingpostalcode|postal code primary|"
     "charity contact postcode"),
    ("notes", "Notes", "notes|note|comments|comment|description"),
    ("tags", "Tags", "tags|tag|groups|labels|categories"),
]  # fmt: skip

CONTACT_COLUMNS = _columns(
    ("title", "Title", "title|salutation|prefix|individual prefix|honorific"),
    ("first_name", "First name", "first name|firstname|forename|forenames|given name|first|"
     "fname|first name required"),
    ("last_name", "Last name", "last name|lastname|surname|family name|last|lname"),
    ("full_name", "Full name", "name|full name|contact name|display name|sort name|"
     "contact full name"),
    ("preferred_name", "Preferred name", "preferred name|nickname|nick name|known as"),
    ("mobile", "Mobile", "mobile|mobile phone|mobilephone|cell|cell phone|mobile number"),
    ("county", "County", "county|state|state province|mailing state|mailingstate|region"),
    ("date_of_birth", "Date of birth", "date of birth|dob|birth date|birthdate|birthday"),
    ("organisation", "Organisation", "organisation|organization|organisation name|"
     "organization name|employer|current employer|account name|company|group name"),
    # Every opt-out column the systems members leave behind write: CiviCRM (Do Not Email,
    # No Bulk Emails, Is Opt Out, Do Not Mail/Phone/SMS), Salesforce NPSP (Email Opt Out,
    # HasOptedOutOfEmail, Do Not Call, Do Not Contact), Mailchimp's unsubscribed export
    # (UNSUB_TIME), Beacon and spreadsheets (Unsubscribed, Opted out of email).
    ("opt_out", "Opted out of marketing", "opt out|opted out|is opted out|do not email|"
     "do not mail|do not phone|do not sms|do not trade|no bulk emails|"
     "no bulk emails user opt out|user opt out|unsubscribed|email opt out|hasoptedoutofemail|"
     "has opted out of email|marketing opt out|unsubscribe|do not contact|donotcall|"
     "do not call|npsp do not contact c|unsub time|unsubscribed at|unsubscribe date|"
     "opted out of email|email unsubscribed|unsubscribed from email|email opted out|"
     "do not send email|do not email marketing"),
    ("optin_time", "Opted in at", "optin time|opt in time|opted in at|subscribed at"),
    ("confirm_time", "Opt-in confirmed at", "confirm time|confirmed at|double opt in time"),
    *_SHARED,
)  # fmt: skip

ORGANISATION_COLUMNS = _columns(
    ("name", "Name", "organisation name|organization name|name|organisation|organization|"
     "group name|account name|charity name|company name|group"),
    ("other_names", "Other names", "other names|also known as|aka|working name|other name"),
    ("org_type", "Type", "type|organisation type|organization type|legal form|account type|"
     "legal status|charity type|account record type"),
    ("charity_number", "Charity number", "charity number|registered charity number|charity no|"
     "charity reg no|charity registration number|regno|reg no|oscr number|"
     "scottish charity number"),
    ("company_number", "Company number", "company number|company no|companies house number|"
     "company registration number|company reg no|charity company registration number"),
    ("identifier", "Identifier", "identifier|org id|orgid|organisation identifier|"
     "organization identifier"),
    ("district", "District", "district|locality|area|local authority"),
    ("website", "Website", "website|web|url|web site|web address|charity contact web"),
    ("areas_of_work", "Areas of work", "areas of work|area of work|activities|what they do|"
     "causes|classification|sector"),
    ("beneficiaries", "Beneficiaries", "beneficiaries|who they help|client group|client groups"),
    *_SHARED,
)  # fmt: skip

ORGANISATION_ONLY_FIELDS = {
    "charity_number", "company_number", "identifier", "org_type", "website", "areas_of_work",
    "beneficiaries", "other_names", "district",
}  # fmt: skip


# Fields several columns may feed: any opt-out column counts; the first organisation column
# with a value wins (CiviCRM leaves "Organization Name" empty for people and names their
# employer in "Current Employer").
MULTI_COLUMN_FIELDS = {"opt_out", "organisation"}


def mapping_guess(headers: list[str], columns: dict[str, Column]) -> dict[int, str]:
    """Column index -> field, first column winning where two mean the same field (except
    the fields several columns may feed)."""
    by_alias = {alias: col.field for col in columns.values() for alias in col.aliases}
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        field = by_alias.get(header_key(header))
        if field in MULTI_COLUMN_FIELDS:
            mapping[index] = field
        elif field and field not in used:
            mapping[index] = field
            used.add(field)
    return mapping


def record_type_guess(headers: list[str]) -> str | None:
    """``contact`` when the file names people, ``organisation`` when it names groups only."""
    contact_fields = set(mapping_guess(headers, CONTACT_COLUMNS).values())
    org_fields = set(mapping_guess(headers, ORGANISATION_COLUMNS).values())
    if contact_fields & {"first_name", "last_name"}:
        return "contact"
    if "name" in org_fields and org_fields & ORGANISATION_ONLY_FIELDS:
        return "organisation"
    if "full_name" in contact_fields:
        return "contact"
    if "name" in org_fields:
        return "organisation"
    return None


def heading_score(cells: list[str]) -> int:
    """How many cells of a row are headings this importer knows: a table's header row scores
    high, a title row ("Members 2026") or a row of data scores nothing."""
    known = {a for cols in (CONTACT_COLUMNS, ORGANISATION_COLUMNS) for c in cols.values()
             for a in c.aliases}  # fmt: skip
    return sum(1 for cell in cells if cell and header_key(cell) in known)
