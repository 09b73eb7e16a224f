from django.apps import AppConfig


class SurveysConfig(AppConfig):
    name = "surveys"
    verbose_name = "Surveys"

    def ready(self) -> None:
        from crm.changes import records_changed

        from .receivers import on_records_changed

        records_changed.connect(on_records_changed, dispatch_uid="surveys.merges")
