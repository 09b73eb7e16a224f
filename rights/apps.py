from django.apps import AppConfig


class RightsConfig(AppConfig):
    name = "rights"
    verbose_name = "People's rights"

    def ready(self) -> None:
        from procrastinate.contrib.django import app

        from .exit_queue import exit_queue_ready

        # A member's exit: the job that drops schemas after their grace period.
        exit_queue_ready(app)
