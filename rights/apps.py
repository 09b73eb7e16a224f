from typing import Any

from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "People's rights"

    def queue_plug(self, app: Any) -> None:
        """Add retention's jobs and its nightly schedule to the queue (tenants.queue)."""
        from django.conf import settings

        from .retention_tasks import retention_nightly, tasks

        app.add_tasks_from(tasks, namespace="")
        app.periodic(cron=settings.COMMONS_RETENTION_CRON, periodic_id="retention")(
            retention_nightly
        )
