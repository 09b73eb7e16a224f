"""A readable name for the device behind a session: "Firefox on Windows", "Safari on iPhone".

The user agent is read with ua-parser (the maintained port of the uap-core rules, the same
rules most analytics tools use); a hand-written parser would fall behind every browser release.
"""

from __future__ import annotations

from functools import lru_cache

from ua_parser import parse

UNKNOWN_DEVICE = "An unknown browser or program"
# Families ua-parser names for a browser it knows nothing about.
_UNKNOWN = {"", "Other", "Generic Smartphone", "Generic Feature Phone"}


@lru_cache(maxsize=512)
def device_describe(user_agent: str) -> str:
    """Browser and operating system in plain words; the device too where it says more than
    the system does (an iPhone, a Galaxy tablet). Never raises, never returns the raw string."""
    result = parse(user_agent or "")
    browser = result.user_agent.family if result.user_agent else ""
    system = result.os.family if result.os else ""
    device = result.device.model if result.device else ""
    browser = "" if browser in _UNKNOWN else browser
    system = "" if system in _UNKNOWN else system
    if device in _UNKNOWN or not device or (system and device.lower() in system.lower()):
        device = ""
    where = " ".join(part for part in (system, f"({device})" if device else "") if part)
    if browser and where:
        return f"{browser} on {where}"
    if browser or where:
        return browser or where
    return UNKNOWN_DEVICE
