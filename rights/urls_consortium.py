"""People's rights on the consortium site: the consortium data protection lead's lookup,
requests and breaches. Each part of the app adds its patterns here."""

from django.urls import path  # noqa: F401 - the parts' patterns use it

app_name = "rights"

urlpatterns: list = []
