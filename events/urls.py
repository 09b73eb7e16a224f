from django.urls import path

from .views import bookings, calendars, event, public, registrations, resources

app_name = "events"

urlpatterns = [
    path("events/", calendars.event_list, name="event_list"),
    path("events/month/", calendars.event_month, name="event_month"),
    path("events/new/", event.event_create, name="event_create"),
    path("events/calendar-address/", calendars.calendar_key_renew, name="calendar_key_renew"),
    path("events/our-bookings/", registrations.our_registrations, name="our_registrations"),
    path("events/<int:event_id>/", event.event_detail, name="event_detail"),
    path("events/<int:event_id>/edit/", event.event_edit, name="event_edit"),
    path("events/<int:event_id>/book/", registrations.event_register, name="event_register"),
    path(
        "events/<int:event_id>/register.<str:fmt>",
        event.event_register_export,
        name="event_register_export",
    ),
    path("events/<int:event_id>/<str:action>/", event.event_action, name="event_action"),
    path(
        "registrations/<int:registration_id>/cancel/",
        registrations.registration_cancel,
        name="registration_cancel",
    ),
    path("resources/", resources.resource_list, name="resource_list"),
    path("resources/new/", resources.resource_create, name="resource_create"),
    path("resources/<int:resource_id>/", resources.resource_detail, name="resource_detail"),
    path("resources/<int:resource_id>/edit/", resources.resource_edit, name="resource_edit"),
    path("planner/", resources.planner, name="planner"),
    path("bookings/", bookings.my_bookings, name="my_bookings"),
    path("bookings/new/", bookings.booking_new, name="booking_create"),
    path("bookings/approvals/", bookings.approvals, name="approvals"),
    path("bookings/<int:booking_id>/<str:action>/", bookings.booking_action, name="booking_action"),
]

# The consortium site only: pages and feeds that need no sign-in.
public_urlpatterns = [
    path("e/<uuid:uid>/", public.public_event, name="public_event"),
    path("e/booking/<uuid:token>/", public.public_registration, name="public_registration"),
    path("calendar/<slug:name>.ics", calendars.calendar_feed, name="calendar_feed"),
]
