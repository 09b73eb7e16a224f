"""People's rights on a member's site: the data protection lead's tasks and the member's own
settings (retention, exit). Each part of the app adds its patterns here."""

from django.urls import path

from . import views_people

app_name = "rights"

urlpatterns: list = [
    path("data-rights/tasks/<int:task_id>/erase/", views_people.erasure_confirm,
         name="erasure_confirm"),
    path("data-rights/copies/", views_people.copy_notice_list, name="copy_notices"),
    path("data-rights/copies/<int:notice_id>/close/", views_people.copy_notice_close,
         name="copy_notice_close"),
    path("contacts/<int:contact_id>/restriction/lift/", views_people.restriction_lift,
         name="restriction_lift"),
]  # fmt: skip
