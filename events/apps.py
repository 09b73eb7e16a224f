from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = "Events and resources"

    def ready(self) -> None:
        from crm.dashboard import chart_register
        from crm.timeline import timeline_source_register

        from .charts import events_and_attendance
        from .timeline import contact_events

        timeline_source_register(contact_events)
        chart_register(events_and_attendance, order=60)
