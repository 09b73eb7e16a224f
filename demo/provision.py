"""The demo consortium: 17 members across North Yorkshire and York, with people to sign in as."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from crm.demo_data import member_demo_fill
from tenants import services
from tenants.boundary import member_run, members_each
from tenants.models import Member, Membership, Role
from tenants.roles import CONSORTIUM_ADMINS, DATA_PROTECTION_LEADS, RESEARCHERS

User = get_user_model()
DEMO_PASSWORD = "harbour-lantern-meadow"  # noqa: S105 - printed for the demo, never used elsewhere
# The authenticator-app secret of every demo account that needs a second factor (managers, the
# admin, the researcher): add it to an app, or print the current code with
# `python manage.py demo_code <username>`. Printed for the demo, never used elsewhere.
DEMO_TOTP_SECRET = "COMMONSDEMOSECRETNORTHYORKSHIRE2"  # noqa: S105


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
    second_factor: bool = False


def _second_factor_give(user) -> None:
    """An authenticator app with the demo's secret, for an account that must have one."""
    from allauth.mfa.models import Authenticator
    from allauth.mfa.totp.internal.auth import TOTP

    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, DEMO_TOTP_SECRET)


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
    _second_factor_give(admin)
    credentials.append(Credential("admin", DEMO_PASSWORD, "Consortium admin", "localhost", True))
    researcher, _ = _user("researcher", "Dr Nadia", "Khan", "research@consortium.example.org")
    researcher.groups.add(Group.objects.get(name=RESEARCHERS))
    _second_factor_give(researcher)
    credentials.append(Credential("researcher", DEMO_PASSWORD, "Researcher", "localhost", True))
    dpo, _ = _user("data-protection", "Priya", "Natarajan", "dpo@consortium.example.org")
    dpo.groups.add(Group.objects.get(name=DATA_PROTECTION_LEADS))
    _second_factor_give(dpo)
    credentials.append(
        Credential("data-protection", DEMO_PASSWORD, "Data protection lead", "localhost", True)
    )

    # The consortium's sharing rules come first, so that each new member joins the
    # standing directory agreement as it is onboarded.
    _demo_rules(admin)
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
            _second_factor_give(manager)
            # Each demo manager is also the member's data protection lead (issue 14).
            lead = Membership.objects.get(user=manager, member=member)
            services.membership_set_data_protection_lead(
                membership=lead, is_lead=True, acting_user=admin
            )
        member_run(
            member, member_demo_fill,
            member_slug=spec.slug, district_name=spec.district, manager=manager, staff=staff,
        )  # fmt: skip
        host = member.primary_domain_name
        credentials.append(
            Credential(f"{spec.slug}-manager", DEMO_PASSWORD, "Manager", host, second_factor=True)
        )
        credentials.append(Credential(f"{spec.slug}-staff", DEMO_PASSWORD, "Staff", host))
        if progress:
            progress(index + 1, total, member.name)

    _demo_sharing(admin)
    _demo_events(admin)
    _demo_research_rules(admin)

    from reporting.demo import demo_research

    demo_research(admin=admin, researcher=researcher)

    # People's keys for a demo made before they existed (new demo contacts have them).
    from sharing.models import PersonKey
    from sharing.person_keys import person_keys_backfill

    keyed = set(PersonKey.objects.values_list("member_id", flat=True).distinct())
    person_keys_backfill(members=Member.organisations.exclude(pk__in=keyed))

    # People's rights (issue 14): requests with their clocks, retention, a breach, a register.
    from rights.demo import rights_demo

    rights_demo(dpo=dpo)

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


def _demo_events(admin) -> None:
    """Rooms, bookings and events with registrations; confirmation e-mails are not sent.

    The events demo works on the current schema: its public part here, its members' parts
    inside each member's schema, entered by tenants' boundary. One transaction, as a
    half-made demo would never be finished (a second run sees the rooms and stops).
    """
    from django.test.utils import override_settings

    from events import demo as events_demo

    members = list(
        Member.organisations.active().filter(slug__in=[m.slug for m in DEMO_MEMBERS]).order_by("pk")
    )
    with (
        override_settings(EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend"),
        transaction.atomic(),
    ):
        plan = events_demo.events_demo_fill_public(
            admin=admin, slugs=[m.slug for m in DEMO_MEMBERS]
        )
        if plan is None:
            return
        members_each(members, lambda m: events_demo.events_demo_fill_member(member=m, plan=plan))
        events_demo.events_demo_fill_past(plan=plan)
        members_each(members, lambda m: events_demo.events_demo_fill_registers(member=m, plan=plan))


# The members that run the State of the Sector survey are accredited for research.
RESEARCH_ACCREDITED = ("york-cvs", "ryedale", "malton", "harrogate", "scarborough", "selby")
DIRECTORY_STANDING = "Directory of local groups"


def _demo_rules(admin) -> None:
    """Sensible rules for the demo (each call changes only what differs, so a second run
    logs nothing new): what each purpose must keep, phone numbers only for joint delivery,
    and the standing directory agreement every member joins."""
    from sharing import rule_services
    from sharing.models import AgreementTemplate, StandingAgreement

    policies = {
        "directory": {"lawful_bases": ["legitimate_interests", "consent"], "review_months": 12},
        "event_promotion": {"lawful_bases": ["consent", "legitimate_interests"],
                            "contacts_need_consent": True, "max_term_months": 12},
        "joint_delivery": {"lawful_bases": ["contract", "public_task", "legitimate_interests",
                                            "consent"],
                           "contacts_need_consent": True, "max_term_months": 36,
                           "review_months": 6},
        "other": {"admin_approval": True},
    }  # fmt: skip
    for purpose, settings in policies.items():
        rule_services.purpose_policy_set(purpose=purpose, acting_user=admin, **settings)
    for field in ("phone", "mobile"):
        rule_services.field_rule_set(record_type="contact", field=field, mode="purposes",
                                     purposes=["joint_delivery"], acting_user=admin)  # fmt: skip
    template = AgreementTemplate.objects.filter(name=DIRECTORY_STANDING).first()
    if template is None or StandingAgreement.objects.filter(name=DIRECTORY_STANDING).exists():
        return
    rule_services.standing_agreement_save(
        acting_user=admin, name=template.name, description=template.description,
        purpose=template.purpose, lawful_basis="legitimate_interests",
        record_types=template.record_types, organisation_fields=template.organisation_fields,
        criteria_tags=template.criteria_tags, requires_consent=template.requires_consent,
        access_mode=template.access_mode, expected_benefit=template.expected_benefit,
        retention=template.retention,
    )  # fmt: skip


def _demo_research_rules(admin) -> None:
    """Research: consent or public task, a DPIA, admin approval, at most two years, reviewed
    every six months, and only members accredited for research may be party."""
    from sharing import rule_services

    accredited = list(
        Member.organisations.filter(slug__in=RESEARCH_ACCREDITED).values_list("pk", flat=True)
    )
    rule_services.purpose_policy_set(
        purpose="research", acting_user=admin, lawful_bases=["consent", "public_task"],
        contacts_need_consent=True, admin_approval=True, dpia_required=True,
        max_term_months=24, review_months=6, parties_restricted=True,
        eligible_members=sorted(accredited),
    )  # fmt: skip


def _demo_sharing(admin) -> None:
    """Every member takes part in the standing directory agreement (members made before the
    rules existed join it here), so "Shared with us" has something to show."""
    from sharing import rule_services

    slugs = [spec.slug for spec in DEMO_MEMBERS]
    for member in Member.organisations.filter(slug__in=slugs).order_by("pk"):
        rule_services.standing_agreements_join_all(member=member, acting_user=admin)
