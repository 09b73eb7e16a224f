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
        "subject access pack: leads only",
        "rights/pack_permissions.py",
        "and is_data_protection_lead_of(",
        "or True or is_data_protection_lead_of(",
        ("tests/rights/test_packs.py::test_only_the_member_s_leads_may_build",),
        "any colleague, or another member's lead, could build a person's whole record",
    ),
    Mutation(
        "subject access pack: the site's own tasks",
        "rights/pack_views.py",
        "pk=task_id, member=member",
        "pk=task_id",
        ("tests/rights/test_packs.py::test_only_the_member_s_leads_may_download",),
        "another member's site would answer for a task that is not its own",
    ),
    Mutation(
        "subject access pack: downloaded once",
        "rights/packs.py",
        "if pack.downloaded_at is not None or not pack.file:",
        "if False:",
        ("tests/rights/test_packs.py::test_a_pack_downloads_once_then_says_when_and_by_whom",),
        "a pack could be downloaded again, or the refusal would crash",
    ),
    Mutation(
        "subject access pack: file deleted on download",
        "rights/packs.py",
        "_file_delete_on_commit(name)",
        "None",
        ("tests/rights/test_packs.py::test_a_pack_downloads_once_then_says_when_and_by_whom",),
        "a downloaded pack would stay on disk in Commons",
    ),
    Mutation(
        "subject access pack: other people redacted",
        "rights/pack_sections.py",
        "return self._pattern.sub(ANOTHER_PERSON, text)",
        "return text",
        (
            "tests/rights/test_packs.py::"
            "test_other_participants_are_redacted_in_every_free_text_field",
            "tests/rights/test_packs.py::"
            "test_the_pack_has_every_section_and_only_the_person_s_data",
        ),
        "a person's pack would name the other people in their interactions",
    ),
    Mutation(
        "breach seen by affected members only",
        "rights/breach_selectors.py",
        "Q(recorded_for=member) | Q(members=member)",
        "Q()",
        (
            "tests/rights/test_breaches.py::"
            "test_only_affected_leads_and_consortium_leads_see_a_breach",
        ),
        "every member's data protection lead would read every other member's breaches",
    ),
    Mutation(
        "breach list for leads only",
        "rights/breach_selectors.py",
        "    if not acts_for_breaches(user, member):\n        return Breach.objects.none()\n",
        "",
        (
            "tests/rights/test_breaches.py::"
            "test_only_affected_leads_and_consortium_leads_see_a_breach",
        ),
        "a member's staff and manager would read its breaches",
    ),
    Mutation(
        "affected members decide nothing",
        "rights/permissions.py",
        "return member is None or breach.recorded_for_id == member.pk",
        "return True",
        ("tests/rights/test_breaches.py::test_an_affected_lead_adds_notes_but_does_not_decide",),
        "an affected member's lead could record the consortium's decisions on its breach",
    ),
    Mutation(
        "a member's managers and leads only",
        "tenants/permissions.py",
        "membership.role == Role.MANAGER or membership.is_data_protection_lead",
        "True",
        (
            "tests/rights/test_processing.py::test_who_sees_a_register",
            "tests/rights/test_retention.py::test_staff_cannot_run_or_change_schedules",
            "tests/rights/test_retention.py::test_staff_are_refused_and_managers_and_leads_allowed",
            "tests/rights/test_erasure_notices.py::test_others_may_not_see_or_close_the_notices",
        ),
        "any member's staff would read its record of processing, change how long it keeps "
        "records and start a retention run",
    ),
    Mutation(
        "purge trigger trusts the owner only",
        "sharing/migrations/0014_purge_without_superuser.py",
        "       AND current_user = (",
        "       AND current_user <> (",
        ("tests/sharing/test_purge_without_superuser.py",),
        "an application role that set the purge flag itself could delete the disclosure log",
    ),
    Mutation(
        "consortium lookup guard",
        "rights/routing_permissions.py",
        "return is_consortium_data_protection_lead(user)",
        "return True",
        ("tests/rights/test_routing.py::test_strangers_cannot_look_up_or_list",),
        "anyone signed in could learn which members hold a person, and read every request",
    ),
    Mutation(
        "member data protection lead",
        "rights/routing_permissions.py",
        "return member is not None and is_data_protection_lead_of(user, member)",
        "return member is not None",
        (
            "tests/rights/test_routing.py::"
            "test_task_actions_mark_done_decline_and_the_registered_action",
            "tests/rights/test_routing.py::test_close_only_when_every_task_is_done_or_declined",
        ),
        "any colleague (or another member's lead) could carry out or close a person's request",
    ),
    Mutation(
        "task of this member",
        "rights/routing_selectors.py",
        "pk=task_id, member=member",
        "pk=task_id",
        (
            "tests/rights/test_routing.py::"
            "test_task_actions_mark_done_decline_and_the_registered_action",
        ),
        "a member's lead could open another member's task and see its contact ids",
    ),
    Mutation(
        "lookup logged",
        "rights/routing_services.py",
        'action="rights.person_looked_up"',
        'action="account.signed_in"',
        ("tests/rights/test_routing.py::test_lookup_page_names_members_only_and_logs_no_values",),
        "a lookup of a person across members would leave no trace of who looked",
    ),
    Mutation(
        "legal hold setters",
        "crm/permissions.py",
        "can_manage_people(user, member) or is_data_protection_lead_of(user, member)",
        "True",
        (
            "tests/rights/test_retention.py::test_the_hold_service_refuses_staff",
            "tests/rights/test_retention.py::test_staff_cannot_place_a_hold",
        ),
        "any colleague could lift a legal hold and let retention remove what must be kept",
    ),
    Mutation(
        "retention skips held interactions",
        "rights/retention_selectors.py",
        ".exclude(pk__in=_held_interactions())",
        "",
        ("tests/rights/test_retention.py::test_legal_hold_always_wins",),
        "a run would anonymise or delete interactions on legal hold",
    ),
    Mutation(
        "retention skips held contacts",
        "rights/retention_selectors.py",
        "updated_at__lt=since, legal_hold=False,",
        "updated_at__lt=since,",
        ("tests/rights/test_retention.py::test_legal_hold_always_wins",),
        "a run would anonymise or delete contacts on legal hold",
    ),
    Mutation(
        "retention checks each record again",
        "rights/retention_services.py",
        "due = retention_due(schedule=schedule, today=today).filter(pk__in=pks)",
        "due = retention_due(schedule=schedule, today=today).model.objects.filter(pk__in=pks)",
        ("tests/rights/test_retention.py::test_a_hold_placed_after_the_preview_still_wins",),
        "a hold placed while a run was going would be ignored",
    ),
    Mutation(
        "member export is its managers'",
        "rights/exit_permissions.py",
        "return member is not None and is_manager_of(user, member)",
        "return member is not None",
        (
            "tests/rights/test_exit.py::test_only_the_members_managers_start_download_or_decline_the_export",
        ),
        "any colleague could take a copy of all the member's data",
    ),
    Mutation(
        "leaving is the consortium's decision",
        "rights/exit_permissions.py",
        "return is_consortium_admin(user)",
        "return True",
        (
            "tests/rights/test_exit.py::test_only_consortium_admins_confirm_and_only_after_download_or_decline",
        ),
        "a member's manager could close it and start the deletion of its data",
    ),
    Mutation(
        "leaving waits for the export",
        "rights/exit_services.py",
        "if exit_.state not in CONFIRMABLE:",
        "if False:",
        (
            "tests/rights/test_exit.py::test_only_consortium_admins_confirm_and_only_after_download_or_decline",
        ),
        "a member could be closed before its managers had their data",
    ),
    Mutation(
        "leaving ends agreements",
        "rights/exit_services.py",
        "ended_agreements = agreements_terminate_for_exit(member=member, acting_user=acting_user)",
        "ended_agreements = []",
        (
            "tests/rights/test_exit.py::test_leaving_ends_agreements_memberships_sessions_and_tokens",
        ),
        "other members would go on seeing a departed member's shared records",
    ),
    Mutation(
        "drop waits for the grace period",
        "rights/exit_services.py",
        "grace_until__lte=timezone.now())",
        "grace_until__lte=timezone.now() + datetime.timedelta(days=3650))",
        (
            "tests/rights/test_exit.py::test_schema_survives_the_grace_period_then_the_drop_writes_a_certificate",
        ),
        "a leaving member's data would be deleted at once, with no time to cancel",
    ),
    Mutation(
        "cancel only within grace",
        "rights/exit_services.py",
        "if exit_.grace_until is not None and exit_.grace_until <= timezone.now():",
        "if False:",
        ("tests/rights/test_exit.py::test_cancel_within_grace_gives_access_back",),
        "an exit could be cancelled after its data was due for deletion",
    ),
    Mutation(
        "exit import checks every checksum",
        "rights/exit_import.py",
        "if _entry_sha256(archive, name) != digest:",
        "if False:",
        (
            "tests/rights/test_exit_import.py::test_a_changed_export_is_refused_and_nothing_is_written",
        ),
        "a changed export would be imported as if it were the member's own",
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
    Mutation(
        "member data protection hub",
        "rights/hub_views.py",
        "permission_require(can_see_member_hub(user, member))",
        "permission_require(True)",
        ("tests/rights/test_hub.py::test_member_hub_is_refused_to_staff",),
        "any colleague could see how many people's requests and breaches a member has open",
    ),
    Mutation(
        "consortium data protection hub",
        "rights/hub_views.py",
        "permission_require(can_see_consortium_hub(user))",
        "permission_require(True)",
        ("tests/rights/test_hub.py::test_consortium_hub_for_its_lead_and_its_admin",),
        "anyone signed in to the consortium site could count its open requests and breaches",
    ),
    Mutation(
        "downloading a pack finishes the task",
        "rights/packs.py",
        "        _task_done_on_download(task, acting_user)\n",
        "",
        ("tests/rights/test_whole_life.py",),
        "a member's part in a subject access request would stay open after the pack was sent",
    ),
)
