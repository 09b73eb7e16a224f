from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Data sharing"

    def ready(self) -> None:
        from crm.changes import records_changed
        from crm.panels import panel_register

        from .matching import organisation_panel
        from .projection import on_records_changed

        records_changed.connect(on_records_changed, dispatch_uid="sharing.projection")
        panel_register(organisation_panel)
