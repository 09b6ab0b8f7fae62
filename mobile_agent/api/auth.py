"""Who may call the API: token rules, the viewer's signed session cookie, the same-origin check.

The token never leaves the client's own header: the viewer's cookie carries an HMAC-signed
expiry, keyed by a value derived from the token (so every cookie stops working when the token
changes, and the token cannot be read back from one). A request authenticated by that cookie
that changes state must also prove it comes from this origin, since a browser attaches the
cookie to requests other sites' pages make.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import secrets
import time
from urllib.parse import urlsplit

__all__ = [
    "MIN_REMOTE_TOKEN_CHARS",
    "SESSION_COOKIE",
    "TokenError",
    "check_token",
    "loopback_host",
    "mint_session",
    "same_origin",
    "session_ok",
    "token_matches",
]

SESSION_COOKIE = "mobile_agent_session"
MIN_REMOTE_TOKEN_CHARS = 16
MAKE_ONE = 'python -c "import secrets; print(secrets.token_urlsafe(32))"'
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class TokenError(ValueError):
    """A token that must not be used; the message says how to make a good one."""


def check_token(token: str | None, *, remote: bool = False) -> str | None:
    """The token stripped, or None when none is set (None or ""); refuse one of only spaces, and a
    short one on a non-loopback address (`remote`), where anyone on the network can try it."""
    if not token:
        return None
    stripped = token.strip()
    if not stripped:
        raise TokenError(f"the API token is blank. Make one with: {MAKE_ONE}")
    if remote and len(stripped) < MIN_REMOTE_TOKEN_CHARS:
        raise TokenError(
            f"the API token has {len(stripped)} characters; a server reachable from the network needs "
            f"at least {MIN_REMOTE_TOKEN_CHARS}. Make one with: {MAKE_ONE}"
        )
    return stripped


def token_matches(candidate: str | None, expected: str) -> bool:
    """Constant-time comparison of a presented token with the server's."""
    if not candidate:
        return False
    return secrets.compare_digest(candidate.encode(), expected.encode())


def _key(token: str) -> bytes:
    return hmac.new(token.encode(), b"mobile-agent viewer session v1", hashlib.sha256).digest()


def _sign(token: str, payload: bytes) -> str:
    mac = hmac.new(_key(token), payload, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode().rstrip("=")


def mint_session(token: str, max_age_s: float, *, now: float | None = None) -> str:
    """A cookie value valid for `max_age_s` under `token`: `v1.<expiry>.<nonce>.<mac>`."""
    expiry = int((time.time() if now is None else now) + max_age_s)
    payload = f"v1.{expiry}.{secrets.token_urlsafe(12)}"
    return f"{payload}.{_sign(token, payload.encode())}"


def session_ok(value: str | None, token: str, *, now: float | None = None) -> bool:
    """True for an unexpired cookie value signed under `token`."""
    if not value or len(value) > 200:
        return False
    payload, _, mac = value.rpartition(".")
    parts = payload.split(".")
    if len(parts) != 3 or parts[0] != "v1" or not parts[1].isdigit():
        return False
    if not secrets.compare_digest(mac.encode(), _sign(token, payload.encode()).encode()):
        return False
    return int(parts[1]) > (time.time() if now is None else now)


def same_origin(method: str, headers: dict[str, str]) -> bool:
    """True when a cookie-authenticated request may proceed: safe methods always; state-changing
    ones only with `Sec-Fetch-Site: same-origin` or an Origin whose host is this Host."""
    if method.upper() not in UNSAFE_METHODS:
        return True
    if headers.get("sec-fetch-site", "").lower() == "same-origin":
        return True
    origin = headers.get("origin", "")
    if not origin or origin == "null":
        return False
    try:
        origin_host = urlsplit(origin).netloc.lower()
    except ValueError:
        return False
    return bool(origin_host) and origin_host == headers.get("host", "").lower()


def loopback_host(host_header: str | None) -> bool:
    """True when a request's Host names a loopback address or `localhost` (or is absent).

    A server without a token trusts whoever reaches it on loopback; a web page can reach it too
    under its own name by DNS rebinding (the name resolves to 127.0.0.1 after the page loaded),
    and the browser then sends that name as Host. Browsers resolve `*.localhost` to loopback
    themselves, so those names are safe."""
    host = (host_header or "").strip().lower()
    if not host:
        return True
    if host.startswith("["):
        name = host[1:].partition("]")[0]
    else:
        name = host.rpartition(":")[0] if ":" in host else host
    name = name.rstrip(".")
    if name == "localhost" or name.endswith(".localhost") or name == "localhost.localdomain":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
