from django.apps import AppConfig


class TenantsConfig(AppConfig):
    name = "tenants"
    verbose_name = "Members and memberships"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import roles_ensure
        from .security import receivers_connect

        post_migrate.connect(roles_ensure, sender=self)
        receivers_connect()
