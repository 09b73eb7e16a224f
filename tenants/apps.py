from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Members and memberships"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from . import mfa, security
        from .roles import roles_ensure
        from .session_signals import session_receivers_connect

        post_migrate.connect(roles_ensure, sender=self)
        security.receivers_connect()
        mfa.receivers_connect()
        session_receivers_connect()
