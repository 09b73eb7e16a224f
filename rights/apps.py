"""People's rights across members (issue 14): subject access, erasure, rectification,
restriction, objection, retention, breaches and a member's exit.

Requests live in the public schema as plain ids and dates; personal data stays in the
members' schemas. The app sits above every app whose data a person's rights reach (crm,
sharing, surveys, events, reporting) and below the demo and the project.
"""

from typing import Any

from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "People's rights"

    def ready(self) -> None:
        from crm.panels import panel_register
        from tenants.navigation import header_count_register

        from . import person_actions
        from .models import RequestKind
        from .packs import pack_task_action
        from .task_actions import task_action_register
        from .views_people import contact_restriction_panel, copy_notices_header_count

        # What carrying out a member's task means, per kind of request.
        task_action_register(RequestKind.ACCESS, pack_task_action)
        task_action_register(RequestKind.ERASURE, person_actions.erasure_act)
        task_action_register(RequestKind.RECTIFICATION, person_actions.rectification_act)
        task_action_register(RequestKind.RESTRICTION, person_actions.restriction_act)
        task_action_register(RequestKind.OBJECTION, person_actions.objection_act)
        panel_register(contact_restriction_panel)
        header_count_register(copy_notices_header_count)

    def queue_plug(self, app: Any) -> None:
        """Add the app's jobs and schedules to the queue (tenants.queue): retention's nightly
        run, and the drop of leaving members' schemas after their grace period."""
        from django.conf import settings

        from .exit_queue import exit_queue_ready
        from .retention_tasks import retention_nightly, tasks

        exit_queue_ready(app)

        app.add_tasks_from(tasks, namespace="")
        app.periodic(cron=settings.COMMONS_RETENTION_CRON, periodic_id="retention")(
            retention_nightly
        )
