"""The redirect URIs a client may register, and how one is shown to the person approving it.

https anywhere; http only on the machine itself (a loopback address, any port: RFC 8252
7.3), where an assistant on a laptop listens; or an app's own private-use scheme (RFC 8252
7.1: `cursor://…`, `vscode://…`, `com.example.app:/…`). Never a scheme the browser or the
system handles itself (`javascript:`, `data:`, `chrome-extension:`, `intent:`, `ms-…:`…),
whatever its case, a fragment, or credentials in the address."""

import ipaddress
import re
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

MAX_REDIRECT_URIS = 10
MAX_REDIRECT_URI_LENGTH = 2000
LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
# Schemes a browser or the operating system handles itself, not an app's own: scripts and
# documents the browser makes up, its internal pages and extensions, Android intents,
# Windows' ms-… handlers and file shares, archives, and protocols that are not a return.
REFUSED_SCHEMES = frozenset(
    {"javascript", "livescript", "vbscript", "data", "blob", "file", "filesystem", "about",
     "view-source", "jar", "mhtml", "res", "resource", "chrome", "chrome-extension",
     "chrome-search", "chrome-untrusted", "devtools", "moz-extension", "edge",
     "microsoft-edge", "opera", "brave", "vivaldi", "safari-extension",
     "safari-web-extension", "intent", "android-app", "content", "search-ms", "shell",
     "smb", "itms-services", "ws", "wss", "ftp", "mailto", "tel", "sms", "cid", "mid"}
)  # fmt: skip
REFUSED_SCHEME_PREFIXES = ("ms-", "chrome-", "moz-", "web+")
SCHEME = re.compile(r"[a-z][a-z0-9+.-]*\Z")
HOST_NAME = re.compile(r"[a-z0-9]([a-z0-9_-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9_-]*[a-z0-9])?)*\Z")


def clean_redirect_uris(uris) -> list[str]:
    """The redirect URIs as given, each checked; a ValidationError (code
    `invalid_redirect_uri`) says what is wrong with the first bad one."""
    if not isinstance(uris, list) or not uris:
        raise _refused("redirect_uris must be a list of at least one URI.")
    if len(uris) > MAX_REDIRECT_URIS:
        raise _refused(f"At most {MAX_REDIRECT_URIS} redirect URIs may be registered.")
    for uri in uris:
        _check(uri)
    return list(dict.fromkeys(uris))


def _check(uri) -> None:
    if not isinstance(uri, str):
        raise _refused("Each redirect URI is a string.")
    if len(uri) > MAX_REDIRECT_URI_LENGTH:
        raise _refused(f"A redirect URI is at most {MAX_REDIRECT_URI_LENGTH} characters.")
    if any(character.isspace() or not character.isprintable() for character in uri):
        raise _refused("A redirect URI has no spaces or control characters.")
    if "#" in uri:
        raise _refused(f"{uri}: a redirect URI has no fragment (#…).")
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 (an invalid port raises here)
    except ValueError:
        raise _refused(f"{uri}: not a valid URI.") from None
    if not SCHEME.match(parts.scheme):
        raise _refused(f"{uri}: a redirect URI is absolute (https://…).")
    if parts.scheme in REFUSED_SCHEMES or parts.scheme.startswith(REFUSED_SCHEME_PREFIXES):
        raise _refused(
            f"{uri}: the {parts.scheme}: scheme belongs to the browser or the system, not to "
            "an app, and cannot be a redirect URI."
        )
    if "@" in parts.netloc:
        raise _refused(f"{uri}: a redirect URI carries no user name or password.")
    if parts.scheme in ("http", "https") and not _is_host(parts.hostname):
        raise _refused(f"{uri}: an {parts.scheme} redirect URI names a valid host.")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise _refused(
            f"{uri}: http is allowed only on this machine (127.0.0.1, localhost or [::1]); "
            "use https."
        )
    if not parts.netloc and not parts.path:
        raise _refused(f"{uri}: a redirect URI names where to return.")


def _is_host(host: str | None) -> bool:
    if not host:
        return False
    if ":" in host:
        try:
            return ipaddress.ip_address(host).version == 6
        except ValueError:
            return False
    return bool(HOST_NAME.match(host))


def _refused(message: str) -> ValidationError:
    return ValidationError(message, code="invalid_redirect_uri")


def shown_host(uri: str) -> str:
    """What the person approving sees of where the client returns: the host (and port), or
    the app's scheme and name (`cursor://anysphere.cursor-mcp`)."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        return parts.netloc
    return f"{parts.scheme}://{parts.netloc}" if parts.netloc else f"{parts.scheme}:"


def form_action_source(uri: str) -> str:
    """The Content-Security-Policy source that lets the consent form's answer redirect to
    `uri`: its origin, or its private-use scheme."""
    parts = urlsplit(uri)
    if parts.scheme in ("http", "https"):
        return f"{parts.scheme}://{parts.netloc}"
    return f"{parts.scheme}:"
