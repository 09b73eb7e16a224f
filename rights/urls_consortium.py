"""People's rights on the consortium site: the consortium data protection lead's lookup,
requests and breaches. Each part of the app adds its patterns here."""

from django.urls import path

from . import routing_views

app_name = "rights"

urlpatterns: list = [
    path("data-rights/lookup/", routing_views.lookup, name="lookup"),
    path("data-rights/requests/", routing_views.request_list, name="request_list"),
    path("data-rights/requests/new/", routing_views.request_create, name="request_create"),
    path("data-rights/requests/<int:request_id>/", routing_views.request_detail,
         name="request_detail"),
    path("data-rights/requests/<int:request_id>/extend/", routing_views.request_extend,
         name="request_extend"),
    path("data-rights/requests/<int:request_id>/close/", routing_views.request_close,
         name="request_close"),
    path("data-rights/requests/<int:request_id>/look-again/", routing_views.request_route,
         name="request_route"),
]  # fmt: skip
