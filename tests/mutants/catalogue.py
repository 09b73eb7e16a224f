"""The guards that must each be load-bearing: one small, exact search/replace per guard on one
file, and the tests that should fail when it is applied.

A search text must occur exactly once in its file, so a refactor that moves or rewrites a
guard fails the run (and the test in ``tests/test_mutant_catalogue.py``) until this list is
updated. Keep search texts short: they should name the guard, not the code around it.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mutation:
    name: str
    path: str
    search: str
    replace: str
    tests: tuple[str, ...]  # files or pytest node ids, run in this order with -x
    why: str = ""


MUTATIONS: tuple[Mutation, ...] = (
    Mutation(
        "restricted-contact filter",
        "crm/selectors.py",
        "Q(is_restricted=False) | Q(pk__in=Subquery(_restricted_visible_ids(user)))",
        "Q()",
        (
            "tests/crm/test_api.py::test_api_lists_and_searches_contacts_without_restricted",
            "tests/test_visibility_sweep.py",
        ),
        "every colleague would see every restricted contact",
    ),
    Mutation(
        "restricted interactions",
        "crm/selectors.py",
        "Interaction.objects.filter(~Exists(hidden_link))",
        "Interaction.objects.all()",
        ("tests/crm/test_restricted_interactions.py",),
        "a restricted contact's interactions would show their summary to everyone",
    ),
    Mutation(
        "field allow-list in projection",
        "sharing/projection.py",
        "f for f in agreement.fields_for(record_type)",
        "f for f in exprs",
        (
            "tests/sharing/test_agreements.py::test_activation_shares_only_matching_records_and_agreed_fields",
        ),
        "every field with an expression would be projected, agreed or not",
    ),
    Mutation(
        "consortium field rules in projection",
        "sharing/projection.py",
        "if f in exprs and limits.permits(agreement.purpose, record_type, f)",
        "if f in exprs",
        (
            "tests/sharing/test_rules.py::test_the_projection_leaves_out_a_forbidden_field_whatever_the_agreement_says",
        ),
        "a field the consortium forbids for a purpose would still be projected",
    ),
    Mutation(
        "projection's restricted exclusion",
        "sharing/projection.py",
        'where.append("NOT r.is_restricted")',
        'where.append("TRUE")',
        ("tests/sharing/test_agreements.py::test_restricted_contact_is_never_shared",),
        "restricted contacts would be shared with other members",
    ),
    Mutation(
        "agreement status in force",
        "sharing/selectors.py",
        "queryset.filter(status=Status.ACTIVE, start_date__lte=today)",
        "queryset.filter(start_date__lte=today)",
        ("tests/sharing/test_in_force.py",),
        "drafts, proposals and suspended agreements would count as in force",
    ),
    Mutation(
        "advisory lock (sharing)",
        "sharing/projection.py",
        'cursor.execute(f"SELECT {kind}(%s, %s)", [LOCK_NAMESPACE, provider_id])',
        'cursor.execute("SELECT 1")',
        ("tests/sharing/test_races.py",),
        "a back-fill or state change could interleave with a provider's edit",
    ),
    Mutation(
        "registration filter",
        "events/selectors.py",
        "Registration.objects.filter(Q(member=member) | Q(event__host=member))",
        "Registration.objects.all()",
        ("tests/events/test_registration_visibility.py",),
        "every member's registration snapshots would be listed to everyone",
    ),
    Mutation(
        "registration restricted exclusion",
        "events/selectors.py",
        "registrations.exclude(member=member, contact_id__in=hidden)",
        "registrations",
        ("tests/events/test_registration_visibility.py",),
        "a restricted contact's booking would be listed to colleagues without access",
    ),
    Mutation(
        "capacity lock",
        "events/services.py",
        "return Event.objects.select_for_update().get(pk=event.pk)",
        "return Event.objects.get(pk=event.pk)",
        ("tests/events/test_races.py",),
        "concurrent sign-ups could take more places than the event has",
    ),
    Mutation(
        "constraint-to-clash path",
        "events/bookings.py",
        'if getattr(exc.__cause__, "sqlstate", None) != EXCLUSION_VIOLATION:',
        "if True:",
        ("tests/events/test_booking_constraint.py",),
        "a booking refused by the exclusion constraint would be a server error",
    ),
    Mutation(
        "suppression threshold",
        "reporting/disclosure.py",
        "elif cell.count < rules.threshold:",
        "elif cell.count < 1:",
        ("tests/reporting/test_disclosure.py",),
        "small-number cells would be released",
    ),
    Mutation(
        "secondary suppression (one-way)",
        "reporting/disclosure.py",
        "        _secondary_one_way(grid)\n",
        "        pass\n",
        ("tests/reporting/test_disclosure.py",),
        "a lone suppressed cell would be the total minus the others",
    ),
    Mutation(
        "secondary suppression (two-way)",
        "reporting/disclosure.py",
        "        _secondary_two_way(grid)\n",
        "        pass\n",
        ("tests/reporting/test_disclosure.py",),
        "a suppressed cell would be recoverable from its row and column margins",
    ),
    Mutation(
        "import atomicity",
        "crm/importing.py",
        "with transaction.atomic(), connection.cursor() as cursor:",
        "with connection.cursor() as cursor:",
        (
            "tests/crm/test_imports.py::test_crash_half_way_leaves_nothing",
            "tests/crm/test_imports.py::test_dry_run_counts_exactly_and_writes_nothing",
        ),
        "an import that stops half-way, or a dry run, would leave rows written",
    ),
    Mutation(
        "import row errors",
        "crm/importing.py",
        "if result.problem_count:",
        "if False:",
        ("tests/crm/test_imports.py::test_bad_emails_are_named_by_row_and_column",),
        "a file with bad rows would import its good rows silently",
    ),
    Mutation(
        "API membership permission",
        "tenants/api_permissions.py",
        "return membership is not None",
        "return True",
        (
            "tests/tenants/test_access.py::test_api_me_answers_for_members_only",
            "tests/tenants/test_access.py::test_api_token_authentication_respects_membership",
        ),
        "anyone signed in could use any member's API",
    ),
)
