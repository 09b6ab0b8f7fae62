"""Keep credentials out of the server's logs.

uvicorn's access log writes every request line with its query string, so the viewer's login
(`GET /?token=...`) and any refused `?token=` guess would land in the log verbatim. `install`
makes every log record of the process pass through the one redaction helper
(`mobile_agent.redact`): credential-looking query parameters (`token=`, `api_key=`,
`password=`...), `Bearer ...` values, URL passwords, the session cookie and the server's token
itself (also URL-encoded) become `[redacted]`. The filter also sits on uvicorn's own loggers, for
a process whose log record factory was replaced after ours.
"""

from __future__ import annotations

import logging

from mobile_agent.redact import REDACTED, RedactingFilter, install_logging, redact, remember

__all__ = ["REDACTED", "Redactor", "install", "redact"]

LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "fastapi", "mobile_agent.api")
Redactor = RedactingFilter
_REDACTOR = RedactingFilter()


def install(secret: str | None = None) -> RedactingFilter:
    """Redact every log record of the process, and make it also hide `secret` (each app adds its
    token; a token once seen stays hidden)."""
    remember(secret)
    install_logging()
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
    return _REDACTOR
