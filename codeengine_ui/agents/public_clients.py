"""A public client has no secret, yet one that asked to register with client_secret_post or
client_secret_basic (and was registered public instead) may still send one, or an empty
one, to the token and revocation endpoints. The toolkit would check it against no secret
and refuse the client, so it is dropped before the toolkit reads the request: PKCE, not a
secret, binds a code to its client."""

import base64
import binascii
from urllib.parse import unquote_plus

from oauth2_provider.models import get_application_model


def drop_secret_of_public_client(request) -> None:
    if "client_secret" in request.POST and _is_public(request.POST.get("client_id")):
        request.POST = request.POST.copy()
        del request.POST["client_secret"]
    basic_id = _basic_client_id(request.META.get("HTTP_AUTHORIZATION", ""))
    if basic_id is not None and _is_public(basic_id):
        del request.META["HTTP_AUTHORIZATION"]
        request.POST = request.POST.copy()
        request.POST.setdefault("client_id", basic_id)


def _is_public(client_id) -> bool:
    Application = get_application_model()
    return (
        bool(client_id)
        and Application.objects.filter(
            client_id=client_id, client_type=Application.CLIENT_PUBLIC
        ).exists()
    )


def _basic_client_id(header: str) -> str | None:
    scheme, _, credentials = header.partition(" ")
    if scheme != "Basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None
    client_id, colon, _ = decoded.partition(":")
    return unquote_plus(client_id) if colon else None
