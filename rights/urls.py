"""People's rights on a member's site: the data protection lead's tasks and the member's own
settings (retention, exit). Each part of the app adds its patterns here."""

from django.urls import path

from . import retention_views

app_name = "rights"

urlpatterns: list = [
    path("rights/retention/", retention_views.retention_page, name="retention"),
    path("rights/retention/schedules/", retention_views.retention_schedules,
         name="retention_schedules"),
    path("rights/retention/run/", retention_views.retention_run_now, name="retention_run"),
]  # fmt: skip
