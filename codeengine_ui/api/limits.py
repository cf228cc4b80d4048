"""What API keys may use, per key and for all of one person's keys together, decided here
and nowhere else, in the database, so across every web process:

- requests: API_REQUESTS_PER_MINUTE per key, API_USER_REQUESTS_PER_MINUTE per person, each
  counted by conditional UPDATEs of one row, never read-then-written;
- runs in flight: API_RUNS_IN_FLIGHT per key, API_USER_RUNS_IN_FLIGHT per person, counted
  and stored while the person's ApiUsage row is locked, so two parallel batches are
  decided one after the other;
- waits (`?wait=N`): each holds a web thread, so a key holds at most API_WAITS_PER_KEY and
  a person API_WAITS_PER_USER at once. A wait holds an ApiWait row that ends by itself at
  the wait's deadline, so a process that dies while waiting frees its places. Past a
  limit, or when the process's waiting places (LIVE_WAITERS_PER_PROCESS) are taken, the
  answer comes at once with the current state and `Retry-After`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.utils import timezone

from codeengine_ui.access.audit import record
from codeengine_ui.access.models import ApiKey, ApiUsage, ApiWait, AuditAction
from codeengine_ui.runs.models import IN_PROGRESS_STATUSES, Execution, RunSource

from .problems import too_many

WAIT_LIMIT_SECONDS = 60
# A wait's place outlives its deadline by this much: the last look at the state, the answer.
WAIT_PLACE_MARGIN_SECONDS = 5
# When a request could not wait: soon enough to notice the end, seldom enough that many
# requests told so cost the server little.
ASK_AGAIN_SECONDS = 5
# Past a limit of runs in flight: ask again once some may have ended.
RUNS_RETRY_AFTER_SECONDS = 5


def count_request(api_key: ApiKey) -> None:
    """Count one request of this key in the current minute, or refuse it (429)."""
    now = timezone.now()
    window = now.replace(second=0, microsecond=0)
    retry_after = 60 - now.second
    key_limit = settings.API_REQUESTS_PER_MINUTE
    keys = ApiKey.objects.filter(pk=api_key.pk)
    spent = api_key.window_start == window and api_key.window_requests >= key_limit
    if spent or not _counted(keys, window, key_limit, last_used_at=now):
        raise too_many(
            f"This key made {key_limit} requests this minute (API_REQUESTS_PER_MINUTE): wait "
            f"{retry_after} s.",
            retry_after,
        )
    count_person_request(api_key.user_id)
    if api_key.last_used_at is None:
        record(AuditAction.API_KEY_FIRST_USED, str(api_key), actor=api_key.user)


def count_person_request(user_id: int) -> None:
    """Count one request of this person's keys and connected clients together in the
    current minute, or refuse it (429)."""
    now = timezone.now()
    window = now.replace(second=0, microsecond=0)
    retry_after = 60 - now.second
    user_limit = settings.API_USER_REQUESTS_PER_MINUTE
    usage = ApiUsage.objects.filter(user_id=user_id)
    if not _counted(usage, window, user_limit):
        _, made = usage.get_or_create(
            user_id=user_id, defaults={"window_start": window, "window_requests": 1}
        )
        if not made:
            raise too_many(
                f"Your API keys and connected clients together made {user_limit} requests "
                f"this minute (API_USER_REQUESTS_PER_MINUTE): wait {retry_after} s.",
                retry_after,
            )


def _counted(rows, window, limit: int, **also) -> bool:
    """One more request in `rows`' (one row) window of this minute, unless it holds `limit`."""
    this_minute = rows.filter(window_start=window, window_requests__lt=limit)
    new_minute = rows.exclude(window_start=window)
    return bool(
        this_minute.update(window_requests=F("window_requests") + 1, **also)
        or new_minute.update(window_start=window, window_requests=1, **also)
        # A parallel request started this minute's window between the two: count in it.
        or this_minute.update(window_requests=F("window_requests") + 1, **also)
    )


@contextmanager
def room_for_runs(request, count: int) -> Iterator[None]:
    """A transaction in which this key (or, for a connected client without one, this
    person) may store `count` more runs, or a 429. The person's row stays locked until it
    ends, so the runs are stored before another request counts."""
    with transaction.atomic():
        ApiUsage.lock(request.user)
        delegated = Q(api_key__user=request.user) | Q(
            requested_by=request.user, source=RunSource.AGENT
        )
        key = Q(api_key=request.api_key) if request.api_key else Q(pk__in=[])
        in_flight = Execution.objects.filter(delegated, status__in=IN_PROGRESS_STATUSES).aggregate(
            user=Count("pk"), key=Count("pk", filter=key)
        )
        key_limit, user_limit = settings.API_RUNS_IN_FLIGHT, settings.API_USER_RUNS_IN_FLIGHT
        if in_flight["key"] + count > key_limit:
            raise too_many(
                f"This key has {in_flight['key']} runs in flight and may have {key_limit} "
                "(API_RUNS_IN_FLIGHT): wait for some to finish.",
                RUNS_RETRY_AFTER_SECONDS,
            )
        if in_flight["user"] + count > user_limit:
            raise too_many(
                f"Your API keys and AI agents together have {in_flight['user']} runs in flight "
                "and may have "
                f"{user_limit} (API_USER_RUNS_IN_FLIGHT): wait for some to finish.",
                RUNS_RETRY_AFTER_SECONDS,
            )
        yield


@contextmanager
def waiting(request, response, seconds: int) -> Iterator[float]:
    """How long this request may wait for a run's end: `seconds` (up to WAIT_LIMIT_SECONDS)
    while it holds one of its key's and its person's waiting places, or 0 when they are all
    held, the answer then asking to come back later."""
    seconds = max(0, min(seconds, WAIT_LIMIT_SECONDS))
    place = _wait_place(request.user, request.api_key, seconds) if seconds else None
    if place is None:
        if seconds:
            ask_again_later(response)
        yield 0
        return
    try:
        yield seconds
    finally:
        ApiWait.objects.filter(pk=place.pk).delete()


def _wait_place(user, api_key: ApiKey | None, seconds: int) -> ApiWait | None:
    """A waiting place of `api_key` and its person (of the person alone for a connected
    client, which has no key)."""
    now = timezone.now()
    places = ApiWait.objects.filter(user_id=user.pk)
    if _all_held(places.filter(until__gt=now), api_key):  # read first: a refusal writes nothing
        return None
    with transaction.atomic():
        ApiUsage.lock(user)
        places.filter(until__lte=now).delete()  # of processes that died while waiting
        if _all_held(places, api_key):
            return None
        until = now + timedelta(seconds=seconds + WAIT_PLACE_MARGIN_SECONDS)
        return ApiWait.objects.create(api_key=api_key, user=user, until=until)


def _all_held(places, api_key: ApiKey | None) -> bool:
    key = Q(api_key=api_key) if api_key else Q(pk__in=[])
    held = places.aggregate(user=Count("pk"), key=Count("pk", filter=key))
    return held["key"] >= settings.API_WAITS_PER_KEY or held["user"] >= settings.API_WAITS_PER_USER


def ask_again_later(response) -> None:
    """The answer could not wait: it says when to ask again."""
    response["Retry-After"] = str(ASK_AGAIN_SECONDS)
