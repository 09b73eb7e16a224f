"""Realistic demo data for one member's CRM (en_GB), written in bulk.

Organisations come from a consortium-wide pool per district, so neighbouring members hold
the same charities with the same identifiers, sometimes spelt differently: cross-member
matching has something real to find.

Tenant assumptions: the connection is on the member's schema.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from functools import cache
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from faker import Faker
from guardian.shortcuts import assign_perm

from tenants.districts import District, districts

from .changes import SAVED, announce
from .models import (
    Consent,
    Contact,
    ContactRole,
    Interaction,
    Organisation,
    OrganisationIdentifier,
    OrganisationRelationship,
    OrganisationType,
    Tag,
)

THINGS = [
    "Community Pantry", "Men's Shed", "Carers Support", "Walking Group", "Youth Club",
    "Food Bank", "Community Café", "Village Hall Trust", "Arts Collective", "Foodshare",
    "Dementia Friends", "Allotment Society", "Credit Union", "Good Neighbours", "Scouts",
    "Library Friends", "Community Transport", "Toddler Group", "Cricket Club", "Brass Band",
    "Mental Health Network", "Refugee Welcome", "Rural Action", "Repair Café", "Choir",
    "Women's Institute", "Bereavement Support", "Sports Association", "Heritage Society",
    "Parent Carers Forum", "Befriending Scheme", "Wildlife Group", "Advice Centre",
]  # fmt: skip
AREAS = ["Health and wellbeing", "Older people", "Children and young people", "Food",
         "Environment", "Arts and culture", "Sport", "Advice", "Housing", "Disability",
         "Heritage", "Transport", "Mental health", "Employment and skills"]  # fmt: skip
BENEFICIARIES = ["Older people", "Young people", "Families", "Carers", "Disabled people",
                 "People on low incomes", "Refugees", "Whole community", "Veterans"]  # fmt: skip
ORG_TYPES = [
    (OrganisationType.REGISTERED_CHARITY, 40), (OrganisationType.CIO, 20),
    (OrganisationType.COMMUNITY_GROUP, 20), (OrganisationType.CIC, 8),
    (OrganisationType.COMPANY, 5), (OrganisationType.FAITH_GROUP, 5),
    (OrganisationType.SOCIAL_ENTERPRISE, 2),
]  # fmt: skip
INWARD_LETTERS = "ABDEFGHJLNPQRSTUWXYZ"
PLACES = ["", "North", "South", "East", "West", "Central", "Riverside", "Old Town", "St Mary's",
          "Castle", "Abbey", "Moor", "Dale", "Park", "Hill"]  # fmt: skip


def postcode_in(district: District, rng: random.Random) -> str:
    outward = rng.choice(district.outward_codes)
    return f"{outward} {rng.randint(1, 9)}{rng.choice(INWARD_LETTERS)}{rng.choice(INWARD_LETTERS)}"


@cache
def organisation_pool(district_name: str) -> tuple[dict[str, Any], ...]:
    """The same organisations, with the same identifiers, for every member that asks."""
    district = next(d for d in districts() if d.name == district_name)
    rng = random.Random(f"pool-{district_name}")  # noqa: S311 - demo data
    names = [
        f"{town}{' ' + place if place else ''} {thing}"
        for town in district.towns for place in PLACES for thing in THINGS
    ]  # fmt: skip
    pool = []
    for name in rng.sample(names, min(450, len(names))):
        town = next(t for t in district.towns if name.startswith(t))
        org_type = rng.choices([t for t, _ in ORG_TYPES], [w for _, w in ORG_TYPES])[0]
        identifiers = []
        if org_type in (OrganisationType.REGISTERED_CHARITY, OrganisationType.CIO):
            identifiers.append(("GB-CHC", str(rng.randint(1000000, 1209999))))
        if org_type in (OrganisationType.CIC, OrganisationType.COMPANY) or rng.random() < 0.15:
            identifiers.append(("GB-COH", f"{rng.randint(1, 16999999):08d}"))
        pool.append({
            "name": name, "org_type": org_type, "identifiers": identifiers, "town": town,
            "postcode": postcode_in(district, rng), "district": district.name,
            "areas_of_work": rng.sample(AREAS, rng.randint(1, 3)),
            "beneficiaries": rng.sample(BENEFICIARIES, rng.randint(1, 2)),
            "website": f"https://www.{name.lower().replace(' ', '').replace(chr(39), '')}.org.uk",
        })  # fmt: skip
    return tuple(pool)


def _spelling_variant(name: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.08:
        return name.replace(" and ", " & ") if " and " in name else f"The {name}"
    if roll < 0.14:
        return name.replace("Community", "Comm.") if "Community" in name else name.upper()
    if roll < 0.18:
        return name.replace("'", "")
    return name


def _neighbours(district: District) -> list[District]:
    others = [d for d in districts() if d.name != district.name]
    return sorted(others, key=lambda d: abs(hash(d.name + district.name)) % 97)[:2]


@transaction.atomic
def member_demo_fill(*, member_slug: str, district_name: str, manager: Any, staff: Any) -> dict:
    """Fill an empty member CRM with 500-2,000 contacts, 200-800 organisations, their roles
    and three years of interactions. Does nothing if the member already has contacts."""
    if Contact.objects.exists():
        return {"skipped": True}
    rng = random.Random(f"member-{member_slug}")  # noqa: S311 - demo data
    fake = Faker("en_GB")
    fake.seed_instance(rng.randint(0, 10**9))
    district = next((d for d in districts() if d.name == district_name), districts()[0])
    user_ids = [u.pk for u in (manager, staff) if u is not None]
    now = timezone.now()

    # Organisations: mostly the home district, some from neighbours (the overlap).
    n_orgs = rng.randint(200, 800)
    home = list(organisation_pool(district.name))
    near = [o for d in _neighbours(district) for o in organisation_pool(d.name)]
    picked = rng.sample(home, min(len(home), int(n_orgs * 0.75)))
    picked += rng.sample(near, min(len(near), n_orgs - len(picked)))
    orgs = Organisation.objects.bulk_create([
        Organisation(
            name=_spelling_variant(o["name"], rng), org_type=o["org_type"], town=o["town"],
            postcode=o["postcode"], district=o["district"], website=o["website"],
            areas_of_work=o["areas_of_work"], beneficiaries=o["beneficiaries"],
            membership_status=rng.choice(["member", "member", "none", "lapsed", "prospect"]),
            income_band=rng.choice(["micro", "micro", "small", "small", "medium", "large", ""]),
            email=f"hello@{o['website'].split('www.')[1]}" if rng.random() < 0.6 else "",
            created_by_id=rng.choice(user_ids) if user_ids else None,
        )
        for o in picked
    ], batch_size=1000)  # fmt: skip
    OrganisationIdentifier.objects.bulk_create([
        OrganisationIdentifier(organisation=org, scheme=scheme, value=value, is_preferred=i == 0)
        for org, o in zip(orgs, picked, strict=True)
        for i, (scheme, value) in enumerate(o["identifiers"])
    ], batch_size=1000, ignore_conflicts=True)  # fmt: skip
    OrganisationRelationship.objects.bulk_create([
        OrganisationRelationship(from_organisation=a, to_organisation=b,
                                 kind=rng.choice(["member_of", "partner", "funded_by"]))
        for a, b in zip(orgs[::7], orgs[3::7], strict=False) if a.pk != b.pk
    ], ignore_conflicts=True)  # fmt: skip

    # Contacts.
    n_contacts = rng.randint(500, 2000)
    contacts = []
    for _ in range(n_contacts):
        first, last = fake.first_name(), fake.last_name()
        email = ""
        if rng.random() < 0.85:
            domain = rng.choice(["gmail.com", "outlook.com", "btinternet.com", "yahoo.co.uk",
                                 "hotmail.co.uk", "icloud.com"])  # fmt: skip
            handle = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
            email = f"{handle}{rng.randint(1, 99) if rng.random() < 0.4 else ''}@{domain}"
        contacts.append(Contact(
            title=rng.choice(["", "", "Mr", "Mrs", "Ms", "Dr", "Miss"]), first_name=first,
            last_name=last, email=email,
            phone=f"01{rng.randint(100, 999)} {rng.randint(100000, 999999)}"
            if rng.random() < 0.5 else "",
            mobile=f"07700 900{rng.randint(0, 999):03d}" if rng.random() < 0.5 else "",
            address_line1=fake.street_address().replace("\n", ", "),
            town=rng.choice(district.towns), postcode=postcode_in(district, rng),
            owner_id=rng.choice(user_ids) if user_ids else None,
            created_by_id=rng.choice(user_ids) if user_ids else None,
            is_restricted=rng.random() < 0.01,
        ))  # fmt: skip
    contacts = Contact.objects.bulk_create(contacts, batch_size=1000)

    roles = set()
    for contact in contacts:
        if rng.random() < 0.7:
            org = rng.choice(orgs)
            role = rng.choice(["contact", "trustee", "chair", "treasurer", "volunteer",
                               "staff", "secretary"])  # fmt: skip
            roles.add((contact.pk, org.pk, role))
    ContactRole.objects.bulk_create(
        [ContactRole(contact_id=c, organisation_id=o, role=r,
                     start_date=date(2018 + rng.randint(0, 7), rng.randint(1, 12), 1))
         for c, o, r in roles], batch_size=2000, ignore_conflicts=True,
    )  # fmt: skip

    # Three years of interactions.
    kinds = ["call", "meeting", "email", "advice", "training", "visit"]
    summaries = {
        "call": ["Funding question", "Trustee recruitment", "DBS checks", "Insurance query"],
        "meeting": ["Governance review", "Partnership planning", "Annual review"],
        "email": ["Newsletter follow-up", "Policy templates sent", "Grant deadline reminder"],
        "advice": ["Constitution advice", "Safeguarding policy", "Charity registration",
                   "Volunteer management", "Funding bid review"],
        "training": ["Trustee essentials", "Bid writing workshop", "GDPR basics"],
        "visit": ["Site visit", "Drop-in session", "AGM attendance"],
    }  # fmt: skip
    interactions = []
    start = now.date() - timedelta(days=3 * 365)
    for _ in range(rng.randint(n_contacts, n_contacts * 2)):
        kind = rng.choice(kinds)
        when = start + timedelta(days=rng.randint(0, 3 * 365))
        interactions.append(Interaction(
            kind=kind, date=when, duration_minutes=rng.choice([15, 30, 45, 60, 90, 120]),
            staff_id=rng.choice(user_ids) if user_ids else None,
            summary=rng.choice(summaries[kind]),
            outcome=rng.choice(["", "Resolved", "Referred on", "Follow-up booked"]),
            follow_up_date=when + timedelta(days=14) if rng.random() < 0.2 else None,
        ))  # fmt: skip
    interactions = Interaction.objects.bulk_create(interactions, batch_size=2000)
    through_c = Interaction.contacts.through
    through_o = Interaction.organisations.through
    through_c.objects.bulk_create([
        through_c(interaction_id=i.pk, contact_id=rng.choice(contacts).pk) for i in interactions
    ], batch_size=5000, ignore_conflicts=True)  # fmt: skip
    through_o.objects.bulk_create([
        through_o(interaction_id=i.pk, organisation_id=rng.choice(orgs).pk)
        for i in interactions if rng.random() < 0.8
    ], batch_size=5000, ignore_conflicts=True)  # fmt: skip

    restricted = Contact.objects.filter(is_restricted=True)
    if manager is not None and restricted.exists():
        assign_perm("crm.view_restricted_contact", manager, restricted)

    # Tags and consent.
    directory = Tag.objects.create(name="Directory 2026")
    newsletter = Tag.objects.create(name="Newsletter")
    Tag.objects.create(name="State of the Sector 2026")
    Organisation.tags.through.objects.bulk_create([
        Organisation.tags.through(organisation_id=o.pk, tag_id=directory.pk)
        for o in orgs if rng.random() < 0.6
    ])  # fmt: skip
    Contact.tags.through.objects.bulk_create([
        Contact.tags.through(contact_id=c.pk, tag_id=newsletter.pk)
        for c in contacts if rng.random() < 0.3
    ])  # fmt: skip
    Consent.objects.bulk_create([
        Consent(contact_id=c.pk, purpose="marketing",
                status="granted" if rng.random() < 0.85 else "objected",
                channel="email", lawful_basis="consent",
                recorded_at=now - timedelta(days=rng.randint(0, 900)),
                method=rng.choice(["website sign-up", "paper form", "event sign-in sheet"]),
                wording="I would like to receive the monthly newsletter by e-mail.")
        for c in contacts if c.email and rng.random() < 0.6
    ], batch_size=2000)  # fmt: skip

    # A CRM grows over years: spread when records were added over the last three (the
    # dashboard's "over time" chart would otherwise show everything arriving today).
    with connection.cursor() as cursor:
        for table in ("crm_organisation", "crm_contact"):
            cursor.execute(
                f"UPDATE {table} SET created_at = %s - (random() * interval '1095 days')",
                [now],
            )
    announce(record_type="organisation", ids=[o.pk for o in orgs], action=SAVED)
    announce(record_type="contact", ids=[c.pk for c in contacts], action=SAVED)
    return {"contacts": len(contacts), "organisations": len(orgs),
            "interactions": len(interactions)}  # fmt: skip
