"""People's rights on a member's site: the data protection lead's tasks and the member's own
settings (retention, exit). Each part of the app adds its patterns here."""

from django.urls import path

from . import routing_views

app_name = "rights"

urlpatterns: list = [
    path("data-rights/", routing_views.task_list, name="task_list"),
    path("data-rights/requests/new/", routing_views.member_request_create,
         name="member_request_create"),
    path("data-rights/tasks/<int:task_id>/", routing_views.task_detail, name="task_detail"),
    path("data-rights/tasks/<int:task_id>/done/", routing_views.task_done, name="task_done"),
    path("data-rights/tasks/<int:task_id>/decline/", routing_views.task_decline,
         name="task_decline"),
    path("data-rights/tasks/<int:task_id>/act/", routing_views.task_act, name="task_act"),
]  # fmt: skip
