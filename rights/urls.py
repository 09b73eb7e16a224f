"""People's rights on a member's site: the data protection lead's tasks and the member's own
settings (retention, exit). Each part of the app adds its patterns here."""

from django.urls import path

from . import (
    exit_views,
    hub_views,
    pack_views,
    processing_views,
    retention_views,
    routing_views,
    views_people,
)
from .breach_urls import breach_patterns

app_name = "rights"

urlpatterns: list = []

# The data protection hub: one page to every part below
urlpatterns += [path("data-protection/", hub_views.member_hub, name="hub")]

# A member's tasks in people's requests
urlpatterns += [
    path("data-rights/", routing_views.task_list, name="task_list"),
    path("data-rights/requests/new/", routing_views.member_request_create,
         name="member_request_create"),
    path("data-rights/tasks/<int:task_id>/", routing_views.task_detail, name="task_detail"),
    path("data-rights/tasks/<int:task_id>/done/", routing_views.task_done, name="task_done"),
    path("data-rights/tasks/<int:task_id>/decline/", routing_views.task_decline,
         name="task_decline"),
    path("data-rights/tasks/<int:task_id>/act/", routing_views.task_act, name="task_act"),
]  # fmt: skip
# Subject access packs
urlpatterns += [
    path(
        "data-rights/tasks/<int:task_id>/pack/download/",
        pack_views.pack_download,
        name="pack_download",
    ),
]

# Breaches and records of processing
urlpatterns += [
    *breach_patterns,
    path("processing/", processing_views.processing_register, name="processing_register"),
    path("processing/print/", processing_views.processing_print, name="processing_print"),
    path(
        "processing/export/<str:fmt>/", processing_views.processing_export, name="processing_export"
    ),
    path(
        "processing/<str:activity>/",
        processing_views.processing_activity_edit,
        name="processing_activity_edit",
    ),
]

# Retention schedules
urlpatterns += [
    path("rights/retention/", retention_views.retention_page, name="retention"),
    path("rights/retention/schedules/", retention_views.retention_schedules,
         name="retention_schedules"),
    path("rights/retention/run/", retention_views.retention_run_now, name="retention_run"),
]  # fmt: skip

# A member's exit
urlpatterns += [
    # A member's exit (rights.exit_views): its managers' complete export, and a new member's
    # first import of such an export.
    path("exit/", exit_views.exit_home, name="exit_home"),
    path("exit/<int:exit_id>/status/", exit_views.exit_status, name="exit_status"),
    path("exit/<int:exit_id>/download/", exit_views.exit_download, name="exit_download"),
    path("exit/import/", exit_views.exit_import, name="exit_import"),
]

# Erasure, Art. 19 copy notices and restriction
urlpatterns += [
    path("data-rights/tasks/<int:task_id>/erase/", views_people.erasure_confirm,
         name="erasure_confirm"),
    path("data-rights/copies/", views_people.copy_notice_list, name="copy_notices"),
    path("data-rights/copies/<int:notice_id>/close/", views_people.copy_notice_close,
         name="copy_notice_close"),
    path("contacts/<int:contact_id>/restriction/lift/", views_people.restriction_lift,
         name="restriction_lift"),
]  # fmt: skip
