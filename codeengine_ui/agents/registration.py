"""Clients that register themselves (RFC 7591): public clients of the authorization code
grant with PKCE, nothing else. Registering is open to anyone, so it is bounded: the size
of the metadata, registrations per address (MCP_CLIENT_REGISTRATIONS_PER_HOUR, counted in
a sliding window of minutes), and a client nobody took a token for is deleted a day after
it registered."""

import json
import math
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from oauth2_provider.models import (
    AbstractApplication,
    get_access_token_model,
    get_application_model,
    get_refresh_token_model,
)

from codeengine_ui.text_lines import as_one_line

from .models import ClientRegistration
from .redirect_uris import clean_redirect_uris

MAX_METADATA_BYTES = 16 * 1024
MAX_CLIENT_NAME_LENGTH = 100
UNNAMED_CLIENT = "Unnamed client"
# The hourly allowance is counted in windows of about a sixth of an hour, so an address past
# it (hosted assistants register from a few shared addresses) waits minutes, not an hour.
WINDOWS_PER_HOUR = 6
UNUSED_CLIENT_KEPT = timedelta(days=1)
PRUNE_BATCH = 500

# What every client registered here is: what the token endpoint will do for it.
GRANT_TYPES = ["authorization_code", "refresh_token"]
RESPONSE_TYPES = ["code"]
AUTH_METHOD = "none"
# Methods of a secret the server would issue: such a client is registered public instead,
# and told so by the method in the answer (RFC 7591 3.2.1 lets the server replace what the
# client asked for). Hosted assistants ask for these although PKCE is all they need.
REPLACED_AUTH_METHODS = frozenset({"client_secret_post", "client_secret_basic"})


@dataclass(frozen=True)
class ClientMetadata:
    client_name: str
    redirect_uris: list[str]


def read_metadata(body: bytes) -> ClientMetadata:
    """The client's metadata from a registration request's JSON body, or a ValidationError
    whose code is the RFC 7591 error (`invalid_client_metadata`, `invalid_redirect_uri`)."""
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise _invalid(
            "The body is not JSON: send the client's metadata as a JSON object."
        ) from None
    if not isinstance(data, dict):
        raise _invalid("The body is a JSON object of client metadata.")
    _check_auth_method(data.get("token_endpoint_auth_method", AUTH_METHOD))
    _check_subset(data, "grant_types", GRANT_TYPES, default=["authorization_code"])
    if "authorization_code" not in data.get("grant_types", ["authorization_code"]):
        raise _invalid("grant_types includes authorization_code: the only way to connect.")
    _check_subset(data, "response_types", RESPONSE_TYPES, default=RESPONSE_TYPES)
    return ClientMetadata(
        client_name=_client_name(data.get("client_name")),
        redirect_uris=clean_redirect_uris(data.get("redirect_uris")),
    )


def _check_auth_method(method) -> None:
    if isinstance(method, str) and (method == AUTH_METHOD or method in REPLACED_AUTH_METHODS):
        return
    raise _invalid(
        f"token_endpoint_auth_method {method!r} is not supported: clients register as "
        f"public clients ({AUTH_METHOD!r}; client_secret_post and client_secret_basic are "
        "registered as that too). PKCE protects the code: no secret is issued, and no key "
        "of the client's is used."
    )


def _check_subset(data: dict, key: str, allowed: list[str], default: list[str]) -> None:
    values = data.get(key, default)
    if not isinstance(values, list) or not values or not set(values) <= set(allowed):
        raise _invalid(f"{key} is a list of some of: {', '.join(allowed)}.")


def _client_name(name) -> str:
    if name is None:
        return UNNAMED_CLIENT
    if not isinstance(name, str):
        raise _invalid("client_name is a string.")
    name = as_one_line(name)
    if len(name) > MAX_CLIENT_NAME_LENGTH:
        raise _invalid(f"client_name is at most {MAX_CLIENT_NAME_LENGTH} characters.")
    return name or UNNAMED_CLIENT


def _invalid(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_client_metadata")


def registration_window(per_hour: int) -> tuple[int, timedelta]:
    """How many registrations one address may make in how long: a sixth of the hourly
    allowance (rounded up), in the time that keeps to the hourly rate."""
    per_hour = max(1, per_hour)
    allowance = math.ceil(per_hour / WINDOWS_PER_HOUR)
    return allowance, timedelta(hours=1) * allowance / per_hour


def seconds_until_room(address: str | None) -> int:
    """0 when `address` may register another client now, else how long until the oldest
    registration counted leaves the sliding window."""
    allowance, window = registration_window(settings.MCP_CLIENT_REGISTRATIONS_PER_HOUR)
    since = timezone.now() - window
    recent = ClientRegistration.objects.filter(address=address, registered_at__gte=since)
    newest = recent.order_by("-registered_at").values_list("registered_at", flat=True)
    counted = list(newest[:allowance])
    if len(counted) < allowance:
        return 0
    return max(1, math.ceil((counted[-1] - since).total_seconds()))


def register(metadata: ClientMetadata, address: str | None) -> AbstractApplication:
    Application = get_application_model()
    with transaction.atomic():
        application = Application.objects.create(
            name=metadata.client_name,
            redirect_uris=" ".join(metadata.redirect_uris),
            client_type=Application.CLIENT_PUBLIC,
            authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
            client_secret="",
            hash_client_secret=False,
            registration_source=Application.RegistrationSource.DCR,
        )
        ClientRegistration.objects.create(application=application, address=address)
    return application


def registration_response(application: AbstractApplication) -> dict:
    return {
        "client_id": application.client_id,
        "client_id_issued_at": int(application.created.timestamp()),
        "client_name": application.name,
        "redirect_uris": application.redirect_uris.split(),
        "grant_types": GRANT_TYPES,
        "response_types": RESPONSE_TYPES,
        "token_endpoint_auth_method": AUTH_METHOD,
        "scope": "tools",
    }


def prune_unused_clients(*, batch: int = PRUNE_BATCH) -> int:
    """Delete up to `batch` self-registered clients that registered over a day ago and of
    which nobody holds a token (approvals and grants go with them). Returns how many."""
    tokens = get_access_token_model().objects.filter(application=OuterRef("pk"))
    refresh_tokens = get_refresh_token_model().objects.filter(application=OuterRef("pk"))
    Application = get_application_model()
    unused = Application.objects.filter(
        registration__registered_at__lt=timezone.now() - UNUSED_CLIENT_KEPT
    ).filter(~Exists(tokens), ~Exists(refresh_tokens))
    ids = list(unused.values_list("pk", flat=True)[:batch])
    if not ids:
        return 0
    _, deleted = Application.objects.filter(pk__in=ids).delete()
    return deleted.get(Application._meta.label, 0)
