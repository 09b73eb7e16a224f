"""Property-based, stateful: random records, tags, consent, edits, deletions, imports, merges,
bulk tagging, agreements, signatures, suspensions and terminations, and changes of the
consortium's rules (fields never shared or shared only for another purpose, contacts' consent
required) interleaved with all of them. After every step what each member can see — through
the selector and through the API — equals a plain reference model of the rules, no shared
record holds a field outside its agreement's allow-list or a field the rules forbid, and no
suspended agreement's record is visible.
"""

from __future__ import annotations

import io
import itertools

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    multiple,
    rule,
)

from crm import merging
from crm import services as crm
from crm.importing import records_import
from crm.models import Contact, Organisation
from sharing import rule_services, selectors, services
from sharing.models import Agreement, SharedRecord, Status
from tenants.models import Member

pytestmark = pytest.mark.django_db

TAG = "Directory"
NAMES = st.sampled_from(["Ada", "Brontë", "Cole", "Dee", "Eve", "Fox"])
CONTACT_FIELDS = st.sets(st.sampled_from(["first_name", "last_name", "email"]), min_size=1)
ORG_FIELDS = st.sets(st.sampled_from(["name", "postcode"]), min_size=1)
POSTCODES = st.sampled_from(["YO1 7HH", "HG1 2AB", "YO17 7AA"])
RULED_FIELDS = st.sampled_from([
    ("contact", "first_name"), ("contact", "last_name"), ("contact", "email"),
    ("organisation", "name"), ("organisation", "postcode"),
])  # fmt: skip


class SharingMachine(RuleBasedStateMachine):
    records = Bundle("records")
    agreements = Bundle("agreements")

    @initialize()
    def start(self) -> None:
        self.atomic = transaction.atomic()
        self.atomic.__enter__()
        self.members = {m.slug: m for m in Member.organisations.filter(slug__in=["alpha", "beta"])}
        users = get_user_model().objects
        self.managers = {
            "alpha": users.get(username="manager-a"),
            "beta": users.get(username="manager-b"),
        }
        self.staff = {"alpha": users.get(username="staff-a"), "beta": users.get(username="staff-b")}
        self.admin = users.get(username="admin-c")
        self.forbidden: set[tuple[str, str]] = set()  # fields the rules keep from directories
        self.consent_rule = False  # directories share contacts only with consent
        self.model: dict[tuple[str, str, int], dict] = {}  # (member, type, id) -> record
        self.agreed: dict[int, dict] = {}  # agreement id -> its terms, as the model sees them
        self.clock = itertools.count()
        self.unique = itertools.count()

    def teardown(self) -> None:
        if hasattr(self, "atomic"):
            transaction.set_rollback(True)
            self.atomic.__exit__(None, None, None)
            connection.set_schema_to_public()

    def _enter(self, slug: str) -> None:
        connection.set_tenant(self.members[slug])

    # --- records ---------------------------------------------------------------------------

    @rule(
        target=records,
        slug=st.sampled_from(["alpha", "beta"]),
        name=NAMES,
        tagged=st.booleans(),
        consent=st.booleans(),
        restricted=st.booleans(),
    )
    def add_contact(self, slug, name, tagged, consent, restricted):
        self._enter(slug)
        n = next(self.unique)
        tags = [crm.tag_get_or_create(name=TAG, acting_user=None)] if tagged else []
        contact = crm.contact_create(
            acting_user=None,
            first_name=name,
            last_name=f"L{n}",
            email=f"p{n}@example.org",
            is_restricted=restricted,
            tags=tags,
        )
        key = (slug, "contact", contact.pk)
        self.model[key] = {
            "first_name": name,
            "last_name": f"L{n}",
            "email": f"p{n}@example.org",
            "tagged": tagged,
            "consent": None,
            "restricted": restricted,
        }
        if consent:
            crm.consent_record(
                contact=contact, purpose="sharing", status="granted", acting_user=None
            )
            self.model[key]["consent"] = (next(self.clock), True)
        connection.set_schema_to_public()
        return key

    @rule(
        target=records,
        slug=st.sampled_from(["alpha", "beta"]),
        name=NAMES,
        tagged=st.booleans(),
        postcode=POSTCODES,
    )
    def add_organisation(self, slug, name, tagged, postcode):
        self._enter(slug)
        tags = [crm.tag_get_or_create(name=TAG, acting_user=None)] if tagged else []
        n = next(self.unique)
        org = crm.organisation_create(
            acting_user=None, name=f"{name} Trust {n}", postcode=postcode, tags=tags
        )
        key = (slug, "organisation", org.pk)
        self.model[key] = {"name": f"{name} Trust {n}", "postcode": postcode, "tagged": tagged}
        connection.set_schema_to_public()
        return key

    @rule(key=records, name=NAMES)
    def edit(self, key, name):
        if key not in self.model:
            return
        slug, record_type, pk = key
        self._enter(slug)
        if record_type == "contact":
            crm.contact_update(
                contact=Contact.objects.get(pk=pk), acting_user=None, first_name=name
            )
            self.model[key]["first_name"] = name
        else:
            new = f"{name} Org {next(self.unique)}"
            crm.organisation_update(
                organisation=Organisation.objects.get(pk=pk), acting_user=None, name=new
            )
            self.model[key]["name"] = new
        connection.set_schema_to_public()

    @rule(key=consumes(records))
    def delete(self, key):
        if key not in self.model:
            return
        slug, record_type, pk = key
        self._enter(slug)
        if record_type == "contact":
            crm.contact_delete(contact=Contact.objects.get(pk=pk), acting_user=None)
        else:
            crm.organisation_delete(organisation=Organisation.objects.get(pk=pk), acting_user=None)
        del self.model[key]
        connection.set_schema_to_public()

    @rule(key=records, tagged=st.booleans())
    def bulk_tag(self, key, tagged):
        if key not in self.model:
            return
        slug, record_type, pk = key
        self._enter(slug)
        crm.tags_bulk_apply(
            record_type=record_type,
            ids=[pk],
            acting_user=None,
            tag=crm.tag_get_or_create(name=TAG, acting_user=None),
            remove=not tagged,
        )
        self.model[key]["tagged"] = tagged
        connection.set_schema_to_public()

    @rule(key=records, granted=st.booleans())
    def consent(self, key, granted):
        if key not in self.model or key[1] != "contact":
            return
        slug, _, pk = key
        self._enter(slug)
        crm.consent_record(
            contact=Contact.objects.get(pk=pk),
            purpose="sharing",
            status="granted" if granted else "withdrawn",
            acting_user=None,
        )
        self.model[key]["consent"] = (next(self.clock), granted)
        connection.set_schema_to_public()

    @rule(slug=st.sampled_from(["alpha", "beta"]), name=NAMES, tagged=st.booleans())
    def import_contact(self, slug, name, tagged):
        self._enter(slug)
        n = next(self.unique)
        data = (
            f"First name,Last name,Email,Tags\n{name},I{n},i{n}@example.org,"
            f"{TAG if tagged else ''}\n"
        ).encode()
        records_import(handle=io.BytesIO(data), size=len(data), acting_user=None)
        pk = Contact.objects.get(email=f"i{n}@example.org").pk
        self.model[(slug, "contact", pk)] = {
            "first_name": name,
            "last_name": f"I{n}",
            "email": f"i{n}@example.org",
            "tagged": tagged,
            "consent": None,
            "restricted": False,
        }
        connection.set_schema_to_public()

    @rule(keep=records, drop=records)
    def merge(self, keep, drop):
        if keep == drop or keep not in self.model or drop not in self.model:
            return
        if keep[0] != drop[0] or keep[1] != "contact" or drop[1] != "contact":
            return
        self._enter(keep[0])
        merging.contact_merge(
            keep=Contact.objects.get(pk=keep[2]),
            drop=Contact.objects.get(pk=drop[2]),
            acting_user=None,
        )
        kept, dropped = self.model[keep], self.model.pop(drop)
        kept["tagged"] = kept["tagged"] or dropped["tagged"]
        kept["restricted"] = kept["restricted"] or dropped["restricted"]
        decisions = [d for d in (kept["consent"], dropped["consent"]) if d]
        kept["consent"] = max(decisions) if decisions else None
        connection.set_schema_to_public()

    # --- agreements --------------------------------------------------------------------------

    @rule(
        target=agreements,
        provider=st.sampled_from(["alpha", "beta"]),
        contact_fields=CONTACT_FIELDS,
        org_fields=ORG_FIELDS,
        needs_consent=st.booleans(),
        everyone=st.booleans(),
        sign_all=st.booleans(),
    )
    def agree(self, provider, contact_fields, org_fields, needs_consent, everyone, sign_all):
        other = "beta" if provider == "alpha" else "alpha"
        fields = {"contact": set(contact_fields), "organisation": set(org_fields)}
        if self._breaks(fields, needs_consent):
            with pytest.raises(ValidationError, match="consortium's rule"):
                services.agreement_create(
                    provider=self.members[provider], acting_user=self.managers[provider],
                    recipient_ids=[self.members[other].pk], title="Refused", purpose="directory",
                    record_types=["contact", "organisation"], criteria_tags=[TAG],
                    contact_fields=sorted(contact_fields), organisation_fields=sorted(org_fields),
                    requires_consent=needs_consent,
                )  # fmt: skip
            return multiple()
        agreement = services.agreement_create(
            provider=self.members[provider],
            acting_user=self.managers[provider],
            recipient_ids=[] if everyone else [self.members[other].pk],
            all_members=everyone,
            title="Directory",
            purpose="directory",
            record_types=["contact", "organisation"],
            contact_fields=sorted(contact_fields),
            organisation_fields=sorted(org_fields),
            criteria_tags=[TAG],
            requires_consent=needs_consent,
        )
        services.agreement_propose(agreement=agreement, acting_user=self.managers[provider])
        services.agreement_sign(
            agreement=agreement, member=self.members[provider], acting_user=self.managers[provider]
        )
        if sign_all and not everyone:
            services.agreement_sign(
                agreement=agreement, member=self.members[other], acting_user=self.managers[other]
            )
        agreement.refresh_from_db()
        self.agreed[agreement.pk] = {
            "provider": provider,
            "recipient": other,
            "status": agreement.status,
            "fields": {"contact": set(contact_fields), "organisation": set(org_fields)},
            "needs_consent": needs_consent,
        }
        return agreement.pk

    @rule(agreement_id=agreements, how=st.sampled_from(["suspend", "terminate", "resume"]))
    def stop_or_resume(self, agreement_id, how):
        terms = self.agreed[agreement_id]
        agreement = Agreement.objects.get(pk=agreement_id)
        member = self.members[terms["provider"]]
        manager = self.managers[terms["provider"]]
        if how == "resume":
            if agreement.status != Status.SUSPENDED:
                return
            if self._breaks(terms["fields"], terms["needs_consent"]):
                with pytest.raises(ValidationError):
                    services.agreement_resume(agreement=agreement, acting_user=manager)
                return
            services.agreement_resume(agreement=agreement, acting_user=manager)
        elif (how == "suspend" and agreement.status == Status.ACTIVE) or (
            how == "terminate"
            and agreement.status in (Status.ACTIVE, Status.AWAITING, Status.DRAFT, Status.SUSPENDED)
        ):
            stop = services.agreement_suspend if how == "suspend" else services.agreement_terminate
            stop(agreement=agreement, member=member, acting_user=manager)
        else:
            return
        agreement.refresh_from_db()
        terms["status"] = agreement.status

    # --- the consortium's rules ---------------------------------------------------------------

    def _breaks(self, fields: dict[str, set], needs_consent: bool) -> bool:
        ruled = any((t, f) in self.forbidden for t, names in fields.items() for f in names)
        return ruled or (self.consent_rule and not needs_consent)

    def _suspend_what_breaks(self, suspended_ids: set[int]) -> None:
        expected = {
            agreement_id
            for agreement_id, terms in self.agreed.items()
            if terms["status"] == Status.ACTIVE
            and self._breaks(terms["fields"], terms["needs_consent"])
        }
        assert suspended_ids == expected
        for agreement_id in expected:
            self.agreed[agreement_id]["status"] = Status.SUSPENDED

    @rule(field=RULED_FIELDS, mode=st.sampled_from(["never", "purposes", "any"]))
    def change_field_rule(self, field, mode):
        """Never shared, shared only for research (so not for these directories), or free."""
        record_type, name = field
        _, suspended = rule_services.field_rule_set(
            record_type=record_type, field=name, mode=mode,
            purposes=["research"] if mode == "purposes" else [], acting_user=self.admin,
        )  # fmt: skip
        if mode == "any":
            self.forbidden.discard(field)
        else:
            self.forbidden.add(field)
        self._suspend_what_breaks({a.pk for a in suspended})

    @rule(required=st.booleans())
    def change_consent_rule(self, required):
        _, suspended = rule_services.purpose_policy_set(
            purpose="directory", acting_user=self.admin, contacts_need_consent=required
        )
        self.consent_rule = required
        self._suspend_what_breaks({a.pk for a in suspended})

    # --- the invariant -----------------------------------------------------------------------

    def _expected(self, viewer: str) -> set[tuple]:
        seen = set()
        for agreement_id, terms in self.agreed.items():
            if terms["status"] != Status.ACTIVE or terms["recipient"] != viewer:
                continue
            for (slug, record_type, pk), record in self.model.items():
                if slug != terms["provider"] or not record["tagged"]:
                    continue
                if record_type == "contact":
                    if record["restricted"]:
                        continue
                    if terms["needs_consent"] and not (record["consent"] or (0, False))[1]:
                        continue
                fields = terms["fields"][record_type]
                data = tuple(sorted((f, record[f]) for f in fields))
                seen.add((agreement_id, record_type, pk, data))
        return seen

    @invariant()
    def everyone_sees_exactly_what_the_rules_allow(self) -> None:
        if not hasattr(self, "members"):
            return
        connection.set_schema_to_public()
        for viewer, member in self.members.items():
            actual = {
                (r.agreement_id, r.record_type, r.record_id, tuple(sorted(r.data.items())))
                for r in selectors.shared_records_for(member=member)
            }
            assert actual == self._expected(viewer)
            for r in selectors.shared_records_for(member=member):
                assert set(r.data) <= self.agreed[r.agreement_id]["fields"][r.record_type]
                assert self.agreed[r.agreement_id]["status"] == Status.ACTIVE

    @invariant()
    def nothing_forbidden_is_projected_and_nothing_suspended_is_visible(self) -> None:
        if not hasattr(self, "members"):
            return
        for record in SharedRecord.objects.all():
            assert not {(record.record_type, f) for f in record.data} & self.forbidden
        suspended = {a for a, terms in self.agreed.items() if terms["status"] == Status.SUSPENDED}
        for agreement_id in suspended:
            assert not SharedRecord.objects.filter(agreement_id=agreement_id).exists()
        for member in self.members.values():
            seen = selectors.shared_records_for(member=member).values_list(
                "agreement_id", flat=True
            )
            assert not set(seen) & suspended
            assert (
                Agreement.objects.filter(pk__in=suspended).exclude(status=Status.SUSPENDED).count()
                == 0
            )

    @invariant()
    def the_api_agrees(self) -> None:
        if not hasattr(self, "members") or next(self.clock) % 4:
            return
        for viewer, member in self.members.items():
            client = Client(HTTP_HOST=f"{member.slug}.localhost")
            client.force_login(self.staff[viewer])
            body = client.get("/api/shared-records/", {"page_size": 500}).json()
            api = {
                (r["agreement"], r["record_type"], tuple(sorted(r["data"].items())))
                for r in body["results"]
            }
            expected = {(a, t, d) for a, t, _, d in self._expected(viewer)}
            if body["count"] <= 50:
                assert api == expected
            connection.set_schema_to_public()


SharingMachine.TestCase.settings = settings(
    max_examples=25,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.mark.timeout(600)  # 25 runs of 25 steps: minutes on a loaded machine
def test_sharing_matches_the_reference_model(db, django_db_blocker):
    """Run the state machine (each run rolled back)."""
    from hypothesis.stateful import run_state_machine_as_test

    run_state_machine_as_test(SharingMachine, settings=SharingMachine.TestCase.settings)
