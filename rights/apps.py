"""People's rights across members (issue 14): subject access, erasure, rectification,
restriction, objection, retention, breaches and a member's exit.

Requests live in the public schema as plain ids and dates; personal data stays in the
members' schemas. The app sits above every app whose data a person's rights reach (crm,
sharing, surveys, events, reporting) and below the demo and the project.
"""

from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "People's rights"

    def ready(self) -> None:
        from crm.panels import panel_register
        from tenants.navigation import header_count_register

        from . import person_actions
        from .models import RequestKind
        from .task_actions import task_action_register
        from .views_people import contact_restriction_panel, copy_notices_header_count

        task_action_register(RequestKind.ERASURE, person_actions.erasure_act)
        task_action_register(RequestKind.RECTIFICATION, person_actions.rectification_act)
        task_action_register(RequestKind.RESTRICTION, person_actions.restriction_act)
        task_action_register(RequestKind.OBJECTION, person_actions.objection_act)
        panel_register(contact_restriction_panel)
        header_count_register(copy_notices_header_count)
