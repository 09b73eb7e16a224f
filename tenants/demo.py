"""The demo consortium: 17 members across North Yorkshire and York, with people to sign in as."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django_tenants.utils import schema_context

from crm.demo_data import member_demo_fill

from . import services
from .models import Member, Membership, Role
from .roles import CONSORTIUM_ADMINS, RESEARCHERS

User = get_user_model()
DEMO_PASSWORD = "commons-demo-2026"  # noqa: S105 - printed for the demo, never used elsewhere


@dataclass(frozen=True)
class DemoMember:
    name: str
    slug: str
    district: str
    charity_number: str = ""
    company_number: str = ""


DEMO_MEMBERS = [
    DemoMember("York CVS", "york-cvs", "York", "1150420", "08194553"),
    DemoMember("Ryedale Voluntary Action", "ryedale", "Ryedale", "1089231"),
    DemoMember("Malton & Norton Community Links", "malton", "Ryedale", "1167733"),
    DemoMember("Harrogate & District CVS", "harrogate", "Harrogate", "1127391", "06712034"),
    DemoMember("Ripon Community Link", "ripon", "Harrogate", "1093310"),
    DemoMember("Knaresborough Connectors", "knaresborough", "Harrogate", "1181920"),
    DemoMember("Craven Voluntary Action", "craven", "Craven", "1104567", "05012093"),
    DemoMember("Settle District Community Partnership", "settle", "Craven", "1143209"),
    DemoMember("Richmondshire Voluntary Support", "richmondshire", "Richmondshire", "1112048"),
    DemoMember("Catterick Garrison Community Network", "catterick", "Richmondshire", "1190274"),
    DemoMember("Hambleton Community Action", "hambleton", "Hambleton", "1076251", "03750217"),
    DemoMember("Thirsk & Sowerby Volunteer Centre", "thirsk", "Hambleton", "1158802"),
    DemoMember("Scarborough & District CVS", "scarborough", "Scarborough", "1098123"),
    DemoMember("Whitby Community Network", "whitby", "Scarborough", "1134567"),
    DemoMember("Filey Together", "filey", "Scarborough", "1172301"),
    DemoMember("Selby District AVS", "selby", "Selby", "1085510", "04153328"),
    DemoMember("Tadcaster Community Hub", "tadcaster", "Selby", "1178845"),
]

FIRST_NAMES = [
    "Alison",
    "Gareth",
    "Priya",
    "Tom",
    "Helen",
    "Imran",
    "Ruth",
    "Callum",
    "Sian",
    "Dev",
    "Joanne",
    "Marek",
    "Beth",
    "Owen",
    "Fatima",
    "Lewis",
    "Nicola",
]
LAST_NAMES = ["Atkinson", "Brown", "Chaudhry", "Dobson", "Ellis", "Farrow", "Garside", "Hewitt",
              "Iqbal", "Jowett", "Kettlewell", "Lister", "Metcalfe", "Nolan", "Outhwaite",
              "Pickles", "Raine"]  # fmt: skip


@dataclass(frozen=True)
class Credential:
    username: str
    password: str
    role: str
    where: str


def _user(username: str, first: str, last: str, email: str) -> tuple[User, bool]:
    user, created = User.objects.get_or_create(
        username=username, defaults={"first_name": first, "last_name": last, "email": email}
    )
    if created:
        user.set_password(DEMO_PASSWORD)
        user.save()
    return user, created


def demo_provision(*, progress=None) -> list[Credential]:
    """Create what is missing of the demo consortium; reuse what exists."""
    credentials: list[Credential] = []
    admin, _ = _user("admin", "Carol", "Ashworth", "admin@consortium.example.org")
    admin.groups.add(Group.objects.get(name=CONSORTIUM_ADMINS))
    credentials.append(Credential("admin", DEMO_PASSWORD, "Consortium admin", "localhost"))
    researcher, _ = _user("researcher", "Dr Nadia", "Khan", "research@consortium.example.org")
    researcher.groups.add(Group.objects.get(name=RESEARCHERS))
    credentials.append(Credential("researcher", DEMO_PASSWORD, "Researcher", "localhost"))

    total = len(DEMO_MEMBERS)
    for index, spec in enumerate(DEMO_MEMBERS):
        member = Member.organisations.filter(slug=spec.slug).first()
        if member is None:
            member = services.member_create(
                name=spec.name, slug=spec.slug, district=spec.district,
                charity_number=spec.charity_number, company_number=spec.company_number,
                acting_user=admin,
            )  # fmt: skip
        first, last = FIRST_NAMES[index], LAST_NAMES[index]
        second_first = FIRST_NAMES[(index + 5) % total]
        second_last = LAST_NAMES[(index + 11) % total]
        domain = f"{spec.slug}.example.org"
        with transaction.atomic():
            manager, _ = _user(f"{spec.slug}-manager", first, last, f"{first.lower()}@{domain}")
            staff, _ = _user(
                f"{spec.slug}-staff", second_first, second_last, f"{second_first.lower()}@{domain}"
            )
            for user, role in ((manager, Role.MANAGER), (staff, Role.STAFF)):
                if not Membership.objects.filter(user=user, member=member).exists():
                    services.membership_add(user=user, member=member, role=role, acting_user=admin)
        with schema_context(member.schema_name):
            member_demo_fill(
                member_slug=spec.slug, district_name=spec.district, manager=manager, staff=staff
            )
        host = member.primary_domain_name
        credentials.append(Credential(f"{spec.slug}-manager", DEMO_PASSWORD, "Manager", host))
        credentials.append(Credential(f"{spec.slug}-staff", DEMO_PASSWORD, "Staff", host))
        if progress:
            progress(index + 1, total, member.name)

    _demo_sharing(admin)

    from reporting.demo import demo_research

    demo_research(admin=admin, researcher=researcher)

    # Someone who works at three members, to show the picker.
    roamer, _ = _user("sam-roaming", "Sam", "Whitaker", "sam@roaming.example.org")
    for slug in ("ryedale", "malton", "scarborough"):
        member = Member.organisations.get(slug=slug)
        if not Membership.objects.filter(user=roamer, member=member).exists():
            services.membership_add(user=roamer, member=member, acting_user=admin)
    credentials.append(
        Credential("sam-roaming", DEMO_PASSWORD, "Staff at 3 members", "localhost (picker)")
    )
    return credentials


SHARING_PROVIDERS = ("york-cvs", "ryedale", "harrogate", "craven", "scarborough", "selby")


def _demo_sharing(admin) -> None:
    """A few members share their local-groups directory with all members, from the
    consortium's template, so "Shared with us" has something to show."""
    from sharing import services as sharing
    from sharing.models import Agreement, AgreementTemplate

    template = AgreementTemplate.objects.filter(name="Directory of local groups").first()
    if template is None:
        return
    terms = template.as_initial()
    terms["criteria_tags"] = template.criteria_tags
    for slug in SHARING_PROVIDERS:
        member = Member.organisations.filter(slug=slug).first()
        if member is None or Agreement.objects.filter(provider=member).exists():
            continue
        manager = User.objects.get(username=f"{slug}-manager")
        agreement = sharing.agreement_create(
            provider=member, acting_user=manager, recipient_ids=[], **terms
        )
        sharing.agreement_propose(agreement=agreement, acting_user=manager)
        sharing.agreement_sign(agreement=agreement, member=member, acting_user=manager)
