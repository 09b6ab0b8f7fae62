"""Keep credentials out of the server's logs.

uvicorn's access log writes every request line with its query string, so the viewer's login
(`GET /?token=...`) and any refused `?token=` guess would land in the log verbatim. `Redactor`
is a logging filter that rewrites each record before any handler formats it: credential-looking
query parameters (`token=`, `api_key=`, `password=`...), `Bearer ...` values, the session
cookie and the server's token itself (also URL-encoded) become `[redacted]`.
"""

from __future__ import annotations

import logging
import re
from typing import Any
from urllib.parse import quote, quote_plus, unquote

__all__ = ["REDACTED", "Redactor", "install", "redact"]

REDACTED = "[redacted]"
LOGGERS = ("uvicorn", "uvicorn.access", "uvicorn.error", "fastapi", "mobile_agent.api")
_QUERY = re.compile(
    r"(?i)([?&;][^=&;\s\"'#]*(?:token|key|secret|passw|pwd|auth|session|signature|sig|credential)"
    r"[^=&;\s\"'#]*=)[^&;\s\"'#]*"
)
_BEARER = re.compile(r"(?i)(bearer\s+)[^\s\"',;]+")
_COOKIE = re.compile(r"(?i)(mobile_agent_session=)[^\s\"';]+")


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with credentials replaced by `[redacted]`; a credential hidden behind percent-encoding
    (`?%74oken=%53...`, which the server decodes and accepts) is found in the decoded text, and
    then the line is written decoded, with the credential redacted."""
    plain = _redact(text, secrets)
    if "%" in plain:  # decoded, but control characters stay encoded: no forged log lines
        decoded = "".join(c if c.isprintable() else quote(c) for c in unquote(plain))
        cleaned = _redact(decoded, secrets)
        if cleaned != decoded:
            return cleaned
    return plain


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in secrets:
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, REDACTED)
    text = _QUERY.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _COOKIE.sub(lambda m: m.group(1) + REDACTED, text)


class Redactor(logging.Filter):
    """Rewrites a record's message, arguments and traceback text; never drops a record."""

    def __init__(self) -> None:
        super().__init__("mobile-agent-redactor")
        self.secrets: tuple[str, ...] = ()

    def _clean(self, value: Any) -> Any:
        return redact(value, self.secrets) if isinstance(value, str) else value

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = self._clean(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(self._clean(a) for a in record.args)
        elif isinstance(record.args, dict):
            record.args = {k: self._clean(v) for k, v in record.args.items()}
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.secrets)
        return True


_REDACTOR = Redactor()


def install(secret: str | None = None) -> Redactor:
    """Attach the process's Redactor to the loggers that write request lines and server errors,
    and make it also hide `secret` (each app adds its token; a token once seen stays hidden)."""
    if secret and secret not in _REDACTOR.secrets:
        _REDACTOR.secrets = (*_REDACTOR.secrets, secret)
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if _REDACTOR not in logger.filters:
            logger.addFilter(_REDACTOR)
    return _REDACTOR
