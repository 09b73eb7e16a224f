"""Pages for events, resources and bookings, on members' sites and the consortium's site,
one module per room (``base`` holds what they share). ``events/urls.py`` names each view by
its module."""
