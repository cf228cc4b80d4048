"""Telling people: an email and a webhook post (Slack- and Teams-compatible), for monitors
that fail or recover and for access tokens that break.

A webhook's host must be in MONITOR_WEBHOOK_HOSTS; the call follows no redirect, has a
deadline, and reads at most WEBHOOK_REPLY_BYTES of the reply. Failures are logged, never
raised: a notification that cannot go out must not stop what sent it."""

import json
import logging

import httpx
from django.conf import settings
from django.core.mail import send_mail

logger = logging.getLogger(__name__)
WEBHOOK_TIMEOUT_SECONDS = 10
WEBHOOK_REPLY_BYTES = 64 * 1024


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
    line = " ".join("".join(c if c.isprintable() else " " for c in text).split())
    if len(line) > SUBJECT_CHARACTERS:
        line = line[: SUBJECT_CHARACTERS - 1] + "…"
    return line


def webhook_refusal(url: str) -> str:
    """Why a webhook address may not be called ("" when it may): its host must be listed in
    MONITOR_WEBHOOK_HOSTS, and it must use HTTPS unless listed with its port."""
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        return "This is not a web address."
    if parsed.userinfo:
        return "A webhook address may not hold a user name or password."
    host = parsed.host + (f":{parsed.port}" if parsed.port else "")
    allowed = settings.MONITOR_WEBHOOK_HOSTS
    if parsed.scheme == "https" and parsed.host in allowed:
        return ""
    if host in allowed and parsed.scheme in ("http", "https"):
        return ""
    return f"{parsed.host} is not in MONITOR_WEBHOOK_HOSTS: ask an admin to add it."


def post_webhook(url: str, text: str) -> bool:
    """Post a Slack- and Teams-compatible message ({"text": …}); no redirects, a deadline,
    and at most WEBHOOK_REPLY_BYTES of the reply read."""
    refusal = webhook_refusal(url)
    if refusal:
        logger.warning("Monitor webhook not called: %s", refusal)
        return False
    try:
        with (
            httpx.Client(timeout=WEBHOOK_TIMEOUT_SECONDS, follow_redirects=False) as client,
            client.stream(
                "POST",
                url,
                content=json.dumps({"text": text}),
                headers={"Content-Type": "application/json"},
            ) as response,
        ):
            read = 0
            for chunk in response.iter_bytes():
                read += len(chunk)
                if read > WEBHOOK_REPLY_BYTES:
                    break
            if not response.is_success:
                logger.warning("Monitor webhook answered HTTP %s", response.status_code)
            return response.is_success
    except httpx.HTTPError as error:
        logger.warning("Monitor webhook failed: %s", type(error).__name__)
        return False
