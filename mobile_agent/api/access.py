"""FastAPI side of `auth`: the check every protected route runs (see `deps.require_token`), and
the viewer's login.

A request is let in by `Authorization: Bearer TOKEN`, or by the viewer's session cookie (traded
once for `?token=` on a viewer page); a state-changing request on the cookie alone must also come
from this origin (403 otherwise).
"""

from __future__ import annotations

import html
from pathlib import Path

from fastapi import HTTPException, Request, Response, status
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse

from .auth import SESSION_COOKIE, loopback_host, mint_session, same_origin, session_ok, token_matches

__all__ = ["Access", "header_text"]

CROSS_ORIGIN = (
    "cross-origin request refused: a request that changes state and is authenticated by the viewer's "
    "cookie must come from this server's own pages (Origin or Sec-Fetch-Site: same-origin); "
    "scripts should send Authorization: Bearer TOKEN instead"
)
FOREIGN_HOST = (
    "refused: this server has no token, so it answers only requests addressed to a loopback name "
    "(Host: 127.0.0.1, [::1] or localhost), not to {host!r}: a web page can reach a local server under "
    "its own name (DNS rebinding). To serve other names, set a token (MOBILE_AGENT_API_TOKEN)."
)


def header_text(value: str) -> str:
    """A header value as text: HTTP servers decode header bytes as latin-1, clients send UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


class Access:
    """The checks for one server's token (None: everything is open)."""

    def __init__(self, token: str | None, session_max_age_s: float) -> None:
        self.token = token
        self.max_age_s = session_max_age_s

    def bearer_ok(self, request: Request) -> bool:
        header = header_text(request.headers.get("authorization", ""))
        scheme, _, credentials = header.partition(" ")
        return (
            self.token is not None
            and scheme.lower() == "bearer"
            and token_matches(credentials.strip(), self.token)
        )

    def cookie_ok(self, request: Request) -> bool:
        return self.token is not None and session_ok(request.cookies.get(SESSION_COOKIE), self.token)

    def foreign_host(self, request: Request) -> str | None:
        """The refusal for a tokenless server's request addressed to a non-loopback name, else None."""
        host = request.headers.get("host")
        if self.token is not None or loopback_host(host):
            return None
        return FOREIGN_HOST.format(host=(host or "")[:100])

    def check(self, request: Request, has_credentials: bool) -> None:
        """Let the request in, or raise 401 (no or wrong token) or 403 (a cookie-only write from
        another origin; on a server without a token, a Host that is not loopback).
        `has_credentials`: it carried an Authorization: Bearer header."""
        if (refusal := self.foreign_host(request)) is not None:
            raise HTTPException(status.HTTP_403_FORBIDDEN, detail=refusal)
        if self.token is None or self.bearer_ok(request):
            return
        if self.cookie_ok(request):
            if not same_origin(request.method, dict(request.headers)):
                raise HTTPException(status.HTTP_403_FORBIDDEN, detail=CROSS_ORIGIN)
            return
        wrong = has_credentials or SESSION_COOKIE in request.cookies
        detail = "wrong bearer token" if wrong else "missing bearer token (Authorization: Bearer TOKEN)"
        challenge = 'Bearer realm="mobile-agent"' + (', error="invalid_token"' if wrong else "")
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, detail=detail, headers={"WWW-Authenticate": challenge}
        )

    def page(self, path: Path, request: Request) -> Response:
        """A viewer page; `?token=` is traded for a session cookie and removed from the address."""
        if (refusal := self.foreign_host(request)) is not None:
            return HTMLResponse(f"<h1>403</h1><p>{html.escape(refusal)}</p>", status_code=403)
        query_token = request.query_params.get("token")
        if self.token is not None and query_token is not None:
            if not token_matches(query_token.strip(), self.token):
                return HTMLResponse("<h1>401</h1><p>Wrong token.</p>", status_code=401)
            target = request.url.remove_query_params("token")
            redirect = RedirectResponse(str(target.path) + (f"?{target.query}" if target.query else ""), 303)
            redirect.set_cookie(
                SESSION_COOKIE,
                mint_session(self.token, self.max_age_s),
                max_age=int(self.max_age_s),
                httponly=True,
                samesite="strict",
                secure=request.url.scheme == "https",
                path="/",
            )
            return redirect
        if self.token is not None and not (self.cookie_ok(request) or self.bearer_ok(request)):
            return HTMLResponse(
                "<h1>401</h1><p>This server needs a token: open this page with <code>?token=...</code>.</p>",
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="mobile-agent"'},
            )
        return FileResponse(path, media_type="text/html", headers={"Cache-Control": "no-cache"})
