"""Times are shown in the viewer's own time zone: the browser names it in a cookie."""

import zoneinfo
from datetime import date, datetime, time
from urllib.parse import unquote

from django.utils import timezone

COOKIE = "console_tz"


class ViewerTimezoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = _zone(unquote(request.COOKIES.get(COOKIE, "")))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


def _zone(name: str) -> zoneinfo.ZoneInfo | None:
    if not name or len(name) > 64:
        return None
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None


def server_today() -> date:
    """Today in the server's time zone (TIME_ZONE). Whatever expires on a day (a token, an
    API key) expires at the end of that day there: one instant for every viewer, whatever
    zone their pages are shown in, and for the workers."""
    return timezone.localdate(timezone=timezone.get_default_timezone())


# The days a filter may name: far outside them, date arithmetic would overflow.
FILTER_DAYS = (date(1970, 1, 1), date(2999, 12, 31))


def day_refusal(day: date | None) -> str | None:
    """Why a filter cannot start or end on `day` (outside FILTER_DAYS), or None."""
    if day and not FILTER_DAYS[0] <= day <= FILTER_DAYS[1]:
        return f"Choose a day between {FILTER_DAYS[0]:%Y-%m-%d} and {FILTER_DAYS[1]:%Y-%m-%d}."
    return None


def local_midnight(day: date) -> datetime:
    """The start of `day` in the viewer's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))
