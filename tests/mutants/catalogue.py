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
        "crm/selectors/visibility.py",
        "Q(is_restricted=False) | Q(pk__in=Subquery(restricted_visible_ids(user)))",
        "Q()",
        (
            "tests/crm/test_api.py::test_api_lists_and_searches_contacts_without_restricted",
            "tests/test_visibility_sweep.py",
        ),
        "every colleague would see every restricted contact",
    ),
    Mutation(
        "restricted interactions",
        "crm/selectors/visibility.py",
        "Interaction.objects.filter(~Exists(hidden_link))",
        "Interaction.objects.all()",
        ("tests/crm/test_restricted_interactions.py",),
        "a restricted contact's interactions would show their summary to everyone",
    ),
    Mutation(
        "manager here",
        "crm/permissions.py",
        "return member is not None and can_manage_people(user, member)",
        "return member is not None",
        (
            "tests/crm/test_permissions.py::test_is_manager_here_answers_for_managers_of_this_member_only",
            "tests/crm/test_pages.py::test_manager_grants_and_revokes_access_to_a_restricted_contact",
        ),
        "every colleague would count as a manager and could decide who sees a restricted contact",
    ),
    Mutation(
        "restricted access granter",
        "crm/permissions.py",
        "return is_manager_here(user) and can_see_contact(user, contact)",
        "return True",
        (
            "tests/crm/test_services.py::test_granting_access_needs_a_manager_who_sees_the_contact",
            "tests/crm/test_pages.py::test_manager_grants_and_revokes_access_to_a_restricted_contact",
        ),
        "staff could give themselves sight of a restricted contact",
    ),
    Mutation(
        "interaction change rule",
        "crm/permissions.py",
        "return interactions_visible_to(user=user).filter(pk=interaction.pk).exists()",
        "return True",
        (
            "tests/crm/test_services.py::test_an_interaction_with_a_hidden_contact_cannot_be_changed_or_deleted",
        ),
        "anyone could change or delete an interaction with a contact hidden from them",
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
        "sharing/criteria.py",
        'conditions.append(f"NOT {alias}.is_restricted")',
        'conditions.append("TRUE")',
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
        "selection by organisation type",
        "sharing/criteria.py",
        'conditions.append(f"{alias}.org_type = ANY(%({ORG_TYPES})s)")',
        'conditions.append("TRUE")',
        ("tests/sharing/test_criteria.py",),
        "an agreement for some types of organisation would share (and pool) every type",
    ),
    Mutation(
        "sharing rules changed by admins only",
        "sharing/permissions.py",
        '''"""Change the consortium's sharing rules and standing agreements."""
    return is_consortium_admin(user)''',
        '''"""Change the consortium's sharing rules and standing agreements."""
    return True''',
        ("tests/sharing/test_permissions.py::test_rule_changes_refuse_no_acting_user",),
        "anyone, or a call with no acting user, could change the consortium's rules",
    ),
    Mutation(
        "agreements managed by managers only",
        "sharing/permissions.py",
        "permission_require(can_manage_agreements(user, member), ",
        "permission_require(True, ",
        ("tests/sharing/test_permissions.py::test_a_managers_steps_refuse_no_acting_user",),
        "staff, or a call with no acting user, could make, sign or end a member's agreements",
    ),
    Mutation(
        "agreement templates added by admins only",
        "sharing/services/templates.py",
        "permission_require(can_oversee_sharing(acting_user), NOT_AN_OVERSEER)",
        "permission_require(True, NOT_AN_OVERSEER)",
        (
            "tests/sharing/test_permissions.py::"
            "test_a_template_is_added_through_its_service_with_an_audit_row",
        ),
        "a member's manager could add the consortium's agreement templates",
    ),
    Mutation(
        "manager role",
        "tenants/permissions.py",
        "return membership is not None and membership.role == Role.MANAGER",
        "return membership is not None",
        (
            "tests/tenants/test_permissions.py::test_predicates_by_role",
            "tests/tenants/test_access.py::test_staff_cannot_invite_or_remove",
        ),
        "staff would manage their colleagues and sign their member's agreements",
    ),
    Mutation(
        "registration filter",
        "events/selectors/registrations.py",
        "Registration.objects.filter(Q(member=member) | Q(event__host=member))",
        "Registration.objects.all()",
        ("tests/events/test_registration_visibility.py",),
        "every member's registration snapshots would be listed to everyone",
    ),
    Mutation(
        "registration restricted exclusion",
        "events/selectors/registrations.py",
        "registrations.exclude(member=member, contact_id__in=hidden)",
        "registrations",
        ("tests/events/test_registration_visibility.py",),
        "a restricted contact's booking would be listed to colleagues without access",
    ),
    Mutation(
        "capacity lock",
        "events/services/capacity.py",
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
        "research admin refuses no one",
        "reporting/permissions.py",
        "return user is not None and is_consortium_admin(user)",
        "return user is None or is_consortium_admin(user)",
        (
            "tests/reporting/test_permissions.py::test_every_predicate_refuses_no_one",
            "tests/reporting/test_permissions.py::test_research_set_up_is_for_consortium_admins_only",
        ),
        "a research set-up or review release with no one acting would go through",
    ),
    Mutation(
        "named researchers only",
        "reporting/permissions.py",
        "return project.researchers.filter(pk=user.pk).exists()",
        "return True",
        (
            "tests/reporting/test_permissions.py::test_a_researcher_not_named_on_the_project_cannot_act_on_it",
            "tests/reporting/test_research.py::test_an_admin_who_is_also_a_researcher_must_be_named_on_the_project",
        ),
        "any researcher could snapshot, produce from or release another project's data",
    ),
    Mutation(
        "research terms by the provider's manager",
        "reporting/permissions.py",
        "return user is not None and can_manage_people(user, provider)",
        "return user is None or can_manage_people(user, provider)",
        (
            "tests/reporting/test_permissions.py::test_research_terms_are_set_by_a_manager_of_the_provider_only",
        ),
        "research terms could be set with no one acting, widening a member's pool unsigned",
    ),
    Mutation(
        "import atomicity",
        "crm/importing/run.py",
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
        "crm/importing/run.py",
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
    Mutation(
        "own sessions only",
        "tenants/session_selectors.py",
        "UserSession.objects.filter(user_id=user.pk, pk=session_id)",
        "UserSession.objects.filter(pk=session_id)",
        (
            "tests/tenants/test_sessions.py::"
            "test_ending_someone_elses_or_a_missing_session_is_404_and_ends_nothing",
        ),
        "anyone signed in could sign anyone else out",
    ),
    Mutation(
        "keep this session",
        "tenants/session_services.py",
        "sessions = sessions.exclude(session_key=keep)",
        "sessions = sessions",
        (
            "tests/tenants/test_sessions.py::test_ending_all_others_keeps_this_one",
            "tests/tenants/test_sessions.py::test_changing_the_password_ends_the_other_sessions",
        ),
        "ending the other sessions, or changing a password, would sign the person out too",
    ),
    Mutation(
        "idle limit",
        "tenants/session_middleware.py",
        "now - last > minutes * 60",
        "False",
        ("tests/tenants/test_sessions.py::test_an_idle_session_ends_and_says_why",),
        "a session left open on a shared computer would never end",
    ),
    Mutation(
        "removal ends sessions",
        "tenants/services.py",
        "token_deleted = user_member_access_end(user=user, member=member, acting_user=acting_user)",
        "token_deleted = False",
        (
            "tests/tenants/test_sessions.py::"
            "test_removal_ends_sessions_on_that_site_only_and_keeps_a_token_still_needed",
            "tests/tenants/test_sessions.py::test_removal_from_the_last_member_deletes_the_api_token",
        ),
        "someone removed from a member would stay signed in there, and keep their API token",
    ),
    Mutation(
        "data-rights lead",
        "rights/permissions.py",
        "return member is not None and is_data_protection_lead_of(user, member)",
        "return member is not None",
        (
            "tests/rights/test_erasure.py::test_only_the_members_own_leads_may_erase",
            "tests/rights/test_restriction.py::test_only_the_members_leads_restrict_or_lift",
        ),
        "any colleague (or another member's lead) could erase or restrict a person",
    ),
    Mutation(
        "copy notices for leads and managers",
        "rights/permissions.py",
        "is_data_protection_lead_of(user, member) or is_manager_of(user, member)",
        "True",
        ("tests/rights/test_erasure_notices.py::test_others_may_not_see_or_close_the_notices",),
        "any colleague could close a notice to erase a copy without erasing it",
    ),
    Mutation(
        "copy notice of this member",
        "rights/notices.py",
        "CopyNotice.objects.get(pk=notice_id, member=member)",
        "CopyNotice.objects.get(pk=notice_id)",
        ("tests/rights/test_erasure_notices.py::test_another_members_notice_is_not_found",),
        "a member could close another member's notice about its copy",
    ),
    Mutation(
        "erasure task of this member",
        "rights/views_people.py",
        ".filter(pk=task_id, member=request.tenant, request__kind=kind)",
        ".filter(pk=task_id, request__kind=kind)",
        (
            "tests/rights/test_restriction.py::"
            "test_a_task_of_another_member_is_not_found_on_the_erasure_page",
        ),
        "a member's lead could erase a person another member holds",
    ),
    Mutation(
        "restricted processing out of lists",
        "crm/selectors/contacts.py",
        "contacts_visible_to(user=user).filter(processing_restricted_at__isnull=True)",
        "contacts_visible_to(user=user)",
        (
            "tests/rights/test_restriction.py::test_a_restricted_person_leaves_every_output_until_lifted",
        ),
        "a person who asked for restriction would still be listed, searched and mailed",
    ),
    Mutation(
        "restricted processing out of exports",
        "crm/exporting.py",
        "queryset = queryset.filter(processing_restricted_at__isnull=True)",
        "queryset = queryset",
        (
            "tests/rights/test_restriction.py::"
            "test_an_export_leaves_out_a_restricted_person_whoever_built_the_queryset",
        ),
        "an export built from another queryset would carry a restricted person",
    ),
    Mutation(
        "restricted processing never shared",
        "sharing/criteria.py",
        'conditions: list[str] = [f"{alias}.processing_restricted_at IS NULL"]',
        "conditions: list[str] = []",
        (
            "tests/rights/test_restriction.py::test_a_restricted_person_leaves_every_output_until_lifted",
            "tests/rights/test_restriction.py::"
            "test_an_agreement_activated_later_does_not_back_fill_a_restricted_person",
        ),
        "a restricted person would stay in (or be back-filled into) the shared directory",
    ),
    Mutation(
        "restricted processing not booked",
        "events/selectors/registrations.py",
        "if contact.processing_restricted_at is not None:",
        "if False:",
        (
            "tests/rights/test_restriction.py::test_a_restricted_person_cannot_be_booked_onto_an_event",
        ),
        "a restricted person's details would be sent to an event's host",
    ),
    Mutation(
        "erasure reaches the registrations",
        "rights/erasure.py",
        "report.registrations_anonymised = registrations_anonymise(",
        "report.registrations_anonymised = 0 and registrations_anonymise(",
        ("tests/rights/test_erasure.py::test_erasure_removes_the_person_everywhere_in_one_go",),
        "an erased person's name and e-mail would stay with every event host",
    ),
)
