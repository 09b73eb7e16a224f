from django.apps import AppConfig


class SharingConfig(AppConfig):
    name = "sharing"
    verbose_name = "Data sharing"

    def ready(self) -> None:
        from crm.changes import records_changed
        from crm.panels import panel_register
        from tenants.onboarding import joining_terms_register, member_created

        from .matching import organisation_panel
        from .person_keys import on_records_changed as person_keys_follow
        from .projection import on_records_changed
        from .receivers import on_member_created
        from .rules import joining_terms

        records_changed.connect(on_records_changed, dispatch_uid="sharing.projection")
        records_changed.connect(person_keys_follow, dispatch_uid="sharing.person_keys")
        panel_register(organisation_panel)
        member_created.connect(on_member_created, dispatch_uid="sharing.standing_agreements")
        joining_terms_register(joining_terms)
