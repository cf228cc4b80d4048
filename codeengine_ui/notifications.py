"""Telling people: an email and a webhook post (Slack- and Teams-compatible), for monitors
that fail or recover and for access tokens that break.

A webhook is called only as MONITOR_WEBHOOK_HOSTS allows (`webhook_refusal`); the call
follows no redirect, ends within WEBHOOK_DEADLINE_SECONDS in all (connect, send and the
whole reply, however slowly the host drips it) and reads at most WEBHOOK_REPLY_BYTES of
the reply. Failures are logged, never raised: a notification that cannot go out must not
stop what sent it."""

import json
import logging
from functools import partial

import httpx
from django.conf import settings
from django.core.mail import send_mail

from codeengine_ui.outbound import call_within
from codeengine_ui.text_lines import as_one_line

logger = logging.getLogger(__name__)
WEBHOOK_DEADLINE_SECONDS = 10
WEBHOOK_REPLY_BYTES = 64 * 1024
_DEFAULT_PORTS = {"https": 443, "http": 80}


SUBJECT_CHARACTERS = 200


def send_notification(subject: str, text: str, *, emails: list[str], webhook_url: str) -> list[str]:
    """Send by e-mail and webhook; what could not be sent, one sentence each ([] when
    everything went)."""
    failures = []
    if emails:
        try:
            send_mail(subject_line(subject), text, None, emails)
        except Exception as error:
            logger.exception("A notification email could not be sent: %s", subject_line(subject))
            failures.append(f"The e-mail could not be sent ({type(error).__name__}).")
    if webhook_url and not post_webhook(webhook_url, text):
        failures.append("The webhook could not be called (the worker's log says why).")
    return failures


def subject_line(text: str) -> str:
    """A subject as one line of text: a line break (which would refuse the whole e-mail)
    or any other control character becomes a space, and a long one is cut."""
    line = as_one_line(text)
    if len(line) > SUBJECT_CHARACTERS:
        line = line[: SUBJECT_CHARACTERS - 1] + "…"
    return line


def slack_text(text: str) -> str:
    """Text as Slack's and Teams' message markup shows it literally: what a suite's or a
    case's name holds (<!channel>, <https://…|a link>) is shown, never acted on."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def webhook_refusal(url: str) -> str:
    """Why a webhook address may not be called ("" when it may), the one rule for the
    monitors' field, ADMIN_WEBHOOK_URL's system check and the call itself: a host listed
    in MONITOR_WEBHOOK_HOSTS alone is called over HTTPS on port 443 only; one listed as
    `host:port` on that port, over HTTP or HTTPS."""
    if any(not character.isprintable() for character in url):
        return "This is not a web address: it holds control or invisible characters."
    try:
        parsed = httpx.URL(url)
        host = parsed.host  # an international name is decoded here, or refused by IDNA
    except (httpx.InvalidURL, UnicodeError, ValueError):  # IDNA's refusals are UnicodeErrors
        return "This is not a web address."
    if parsed.scheme not in _DEFAULT_PORTS or not host:
        return "Use https:// and a host name for a webhook."
    if parsed.userinfo:
        return "A webhook address may not hold a user name or password."
    port = parsed.port or _DEFAULT_PORTS[parsed.scheme]
    allowed = {entry.strip().lower() for entry in settings.MONITOR_WEBHOOK_HOSTS if entry.strip()}
    if f"{f'[{host}]' if ':' in host else host}:{port}" in allowed:
        return ""
    if host in allowed:
        if parsed.scheme != "https":
            return (
                f"Use https:// for {host}: MONITOR_WEBHOOK_HOSTS lists it without a port, "
                "which allows HTTPS on port 443 only."
            )
        if port != 443:
            return (
                f"{host} is called only on port 443: MONITOR_WEBHOOK_HOSTS lists it without a port."
            )
        return ""
    ports = sorted(
        entry.rpartition(":")[2]
        for entry in allowed
        if entry.rpartition(":")[0].strip("[]") == host
    )
    if ports:
        listed = " or ".join(ports)
        return f"{host} is called only on port {listed}, as MONITOR_WEBHOOK_HOSTS lists it."
    return f"{host} is not in MONITOR_WEBHOOK_HOSTS: ask an admin to add it."


def post_webhook(url: str, text: str) -> bool:
    """Post a Slack- and Teams-compatible message ({"text": …}); no redirects, one deadline
    for the whole call, and at most WEBHOOK_REPLY_BYTES of the reply read. Whether the host
    took it (2xx)."""
    refusal = webhook_refusal(url)
    if refusal:
        logger.warning("Webhook not called: %s", refusal)
        return False
    try:
        status = call_within(WEBHOOK_DEADLINE_SECONDS, partial(_post, url, text))
    except TimeoutError:
        logger.warning("Webhook gave no complete answer within %s s", WEBHOOK_DEADLINE_SECONDS)
        return False
    except httpx.HTTPError as error:
        logger.warning("Webhook failed: %s", type(error).__name__)
        return False
    if not 200 <= status < 300:
        logger.warning("Webhook answered HTTP %s", status)
    return 200 <= status < 300


async def _post(url: str, text: str) -> int:
    """The call itself, its reply read up to WEBHOOK_REPLY_BYTES: the reply's status."""
    async with (
        httpx.AsyncClient(timeout=WEBHOOK_DEADLINE_SECONDS, follow_redirects=False) as client,
        client.stream(
            "POST",
            url,
            content=json.dumps({"text": slack_text(text)}),
            headers={"Content-Type": "application/json"},
        ) as response,
    ):
        read = 0
        async for chunk in response.aiter_bytes():
            read += len(chunk)
            if read > WEBHOOK_REPLY_BYTES:
                break
        return response.status_code
