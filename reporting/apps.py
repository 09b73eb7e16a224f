from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "reporting"
    verbose_name = "Reporting and research"

    def ready(self) -> None:
        from crm.changes import records_changed
        from sharing.signals import agreement_amended, agreement_state_changed
        from surveys.changes import responses_changed

        from . import dashboard  # noqa: F401 - registers the member dashboard's charts
        from .pooling import on_agreement_state_changed, on_records_changed, on_responses_changed
        from .research.setup import research_terms_carry_over

        agreement_state_changed.connect(
            on_agreement_state_changed, dispatch_uid="reporting.pooling.agreements"
        )
        agreement_amended.connect(
            research_terms_carry_over, dispatch_uid="reporting.research.terms_carry_over"
        )
        responses_changed.connect(on_responses_changed, dispatch_uid="reporting.pooling.responses")
        records_changed.connect(on_records_changed, dispatch_uid="reporting.pooling.records")
