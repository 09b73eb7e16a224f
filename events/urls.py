from django.urls import path

from . import views

app_name = "events"

urlpatterns = [
    path("events/", views.event_list, name="event_list"),
    path("events/month/", views.event_month, name="event_month"),
    path("events/new/", views.event_edit, name="event_create"),
    path("events/calendar-address/", views.calendar_key_renew, name="calendar_key_renew"),
    path("events/our-bookings/", views.our_registrations, name="our_registrations"),
    path("events/<int:event_id>/", views.event_detail, name="event_detail"),
    path("events/<int:event_id>/edit/", views.event_edit, name="event_edit"),
    path("events/<int:event_id>/book/", views.event_register, name="event_register"),
    path(
        "events/<int:event_id>/register.<str:fmt>",
        views.event_register_export,
        name="event_register_export",
    ),
    path("events/<int:event_id>/<str:action>/", views.event_action, name="event_action"),
    path(
        "registrations/<int:registration_id>/cancel/",
        views.registration_cancel,
        name="registration_cancel",
    ),
    path("resources/", views.resource_list, name="resource_list"),
    path("resources/new/", views.resource_edit, name="resource_create"),
    path("resources/<int:resource_id>/", views.resource_detail, name="resource_detail"),
    path("resources/<int:resource_id>/edit/", views.resource_edit, name="resource_edit"),
    path("planner/", views.planner, name="planner"),
    path("bookings/", views.my_bookings, name="my_bookings"),
    path("bookings/new/", views.booking_new, name="booking_create"),
    path("bookings/approvals/", views.approvals, name="approvals"),
    path("bookings/<int:booking_id>/<str:action>/", views.booking_action, name="booking_action"),
]

# The consortium site only: pages and feeds that need no sign-in.
public_urlpatterns = [
    path("e/<uuid:uid>/", views.public_event, name="public_event"),
    path("e/booking/<uuid:token>/", views.public_registration, name="public_registration"),
    path("calendar/<slug:name>.ics", views.calendar_feed, name="calendar_feed"),
]
