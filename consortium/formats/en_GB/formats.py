"""Input formats for en-GB: the first of each list is how a form *renders* a value.

Browsers' ``type="date"``, ``datetime-local`` and ``time`` boxes only understand ISO
(``2026-03-09``, ``2026-03-09T14:30``, ``14:30``); Django's en-GB locale renders
``09/03/2026``, which the box shows as empty and an untouched form then saves as empty.
So every form renders ISO, and still reads British dates typed into a plain text box.
Display elsewhere (``DATE_FORMAT``, ``SHORT_DATE_FORMAT``) stays Django's en-GB.
"""

DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%dT%H:%M",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
    "%d/%m/%y %H:%M",
]
TIME_INPUT_FORMATS = ["%H:%M", "%H:%M:%S"]
