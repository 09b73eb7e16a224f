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
        from .models import RequestKind
        from .packs import pack_task_action
        from .task_actions import task_action_register

        task_action_register(RequestKind.ACCESS, pack_task_action)
