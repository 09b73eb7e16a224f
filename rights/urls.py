"""People's rights on a member's site: the data protection lead's tasks and the member's own
settings (retention, exit). Each part of the app adds its patterns here."""

from django.urls import path  # noqa: F401 - the parts' patterns use it

app_name = "rights"

urlpatterns: list = []
