"""People's rights on a member's site: the data protection lead's tasks and the member's own
settings (retention, exit). Each part of the app adds its patterns here."""

from django.urls import path

from . import exit_views

app_name = "rights"

urlpatterns: list = [
    # A member's exit (rights.exit_views): its managers' complete export, and a new member's
    # first import of such an export.
    path("exit/", exit_views.exit_home, name="exit_home"),
    path("exit/<int:exit_id>/status/", exit_views.exit_status, name="exit_status"),
    path("exit/<int:exit_id>/download/", exit_views.exit_download, name="exit_download"),
    path("exit/import/", exit_views.exit_import, name="exit_import"),
]
