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


def send_notification(subject: str, text: str, *, emails: list[str], webhook_url: str) -> None:
    if emails:
        try:
            send_mail(subject, text, None, emails)
        except Exception:
            logger.exception("A notification email could not be sent: %s", subject)
    if webhook_url:
        post_webhook(webhook_url, text)


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
