"""People's rights on a member's site: the data protection lead's tasks and the member's own
settings (retention, exit). Each part of the app adds its patterns here."""

from django.urls import path

from . import pack_views

app_name = "rights"

urlpatterns: list = [
    path(
        "data-rights/tasks/<int:task_id>/pack/download/",
        pack_views.pack_download,
        name="pack_download",
    ),
]
