"""The one redaction helper: credentials never leave the process in text we write.

Secrets reach text in three ways: a value we were given (the API token, the model's API key),
a URL that carries one (`http://user:PASSWORD@host/v1`, `postgresql+psycopg://u:PASSWORD@db/x`,
`?token=...`), or a server that echoes our request (`Authorization: Bearer ...`). `redact` hides
all three; `remember` adds the values this process was given, so a key echoed in a model server's
error body is hidden even where no pattern would catch it. Messages are redacted where they are
built (model errors, probe results, set-up problems), and `install_logging` is the backstop for
every log record of the process, whatever logger or handler writes it.

Standard library only: the readiness probe (`llm/probe.py`) imports this inside the vLLM image.
"""

from __future__ import annotations

import logging
import re
import sys
import threading
import traceback
from types import TracebackType
from typing import Any
from urllib.parse import quote, quote_plus, unquote, urlsplit

__all__ = [
    "MIN_SECRET_CHARS",
    "REDACTED",
    "RedactingFilter",
    "clean_record",
    "install_excepthook",
    "install_logging",
    "known_secrets",
    "redact",
    "remember",
]

REDACTED = "[redacted]"
# Shorter values are not replaced wherever they occur (a key "x" would blank every x); the
# patterns below still hide them after `Bearer`, `api_key=`, in a URL's password...
MIN_SECRET_CHARS = 4
# Keys that say "no key" (vLLM's docs use EMPTY): hiding them would blank that word everywhere.
PLACEHOLDER_KEYS = frozenset(
    {"empty", "none", "null", "dummy", "placeholder", "no-key", "sk-no-key-required"}
)

# Every pattern must stay linear in the text: each log record passes through them, and a request
# line or a model's echo is text from outside (quadratic patterns let one 30 KB request path stall
# the API's event loop for 3 s while its access line was logged).
#
# scheme://user:PASSWORD@host: the password is what is hidden (the greedy part keeps an `@` of
# the password inside it, up to the last `@` before the path). The scheme is bounded (64
# characters; real ones are short, `postgresql+psycopg`): unbounded, every `a.` of `a.a.a...://`
# started a scan to the end of the text.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,63}://[^\s/:@?#\"'<>]*:)[^\s/?#\"'<>]*@")
# `?name=value` / `&name=value` / `;name=value`: the value is hidden when the name looks like a
# credential. Each run of name characters before an `=` is matched once (a run starts after a
# delimiter, so no two scans overlap); its name is what follows the `&`/`;` before it, else what
# follows its first `?` (`?a?token=` names `a?token`). The value is consumed only when hidden.
_QUERY_NAME = re.compile(r"(?<![^=&;\s\"'#])([^=&;\s\"'#]*)=")
_QUERY_VALUE = re.compile(r"[^&;\s\"'#]*")
_CREDENTIAL_NAME = re.compile(r"(?i)token|key|secret|passw|pwd|auth|session|sig|credential")
# a header or setting echoed back: `Authorization: Bearer x`, `"api_key": "x"`, `x-api-key=x`
_AUTH_HEADER = re.compile(r"(?i)(\b(?:proxy-)?authorization[\"']?\s*[:=]\s*[\"']?)[^\"',;\r\n}]+")
_NAMED = re.compile(
    r"(?i)(\b(?:x-)?(?:api[-_]?key|api[-_]?token|access[-_]?token|auth[-_]?token|refresh[-_]?token"
    r"|client[-_]?secret|secret[-_]?key|passwd|password)[\"']?\s*[:=]\s*[\"']?)(?!\[redacted\])[^\s\"',;&}]+"
)
_BEARER = re.compile(r"(?i)(bearer\s+)(?!\[redacted\])[^\s\"',;]+")
_COOKIE = re.compile(r"(?i)(mobile_agent_session=)[^\s\"';]+")

_lock = threading.Lock()
_known: tuple[str, ...] = ()


def remember(*values: str | None) -> None:
    """Hide these values from now on, in every `redact` of the process and every log record (the
    log backstop is installed on first use: httpx logs each request's URL, password included, at
    INFO). A URL's password and its credential query values are remembered too (the URL itself
    stays readable)."""
    global _known
    found: list[str] = []
    for value in values:
        if not value:
            continue
        value = value.strip()
        if "://" in value:
            found += _url_secrets(value)
        elif len(value) >= MIN_SECRET_CHARS and value.lower() not in PLACEHOLDER_KEYS:
            found.append(value)
    with _lock:
        new = [s for s in dict.fromkeys(found) if s not in _known]
        if new:  # longest first: a secret containing another is replaced whole
            _known = tuple(sorted((*_known, *new), key=len, reverse=True))
    if found:
        install_logging()


def _url_secrets(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return []
    found = [password, unquote(password)] if password else []
    for pair in parts.query.split("&"):
        name, _, value = pair.partition("=")
        if value and _CREDENTIAL_NAME.search(name):
            found += [value, unquote(value)]
    return [s for s in found if len(s) >= MIN_SECRET_CHARS]


def known_secrets() -> tuple[str, ...]:
    """The values `remember` was given (and found in URLs), longest first."""
    return _known


def redact(text: str, secrets: tuple[str, ...] = ()) -> str:
    """`text` with credentials replaced by `[redacted]`: remembered values and `secrets` (also
    percent-encoded), URL passwords, credential query parameters, `Authorization`/`Bearer` values,
    `api_key=`-style settings and the API's session cookie. A credential hidden behind
    percent-encoding (`?%74oken=%53...`) is found in the decoded text, and then the line is
    written decoded, with the credential redacted."""
    plain = _redact(text, secrets)
    if "%" in plain:  # decoded, but control characters stay encoded: no forged log lines
        decoded = "".join(c if c.isprintable() else quote(c) for c in unquote(plain))
        cleaned = _redact(decoded, secrets)
        if cleaned != decoded:
            return cleaned
    return plain


def _redact(text: str, secrets: tuple[str, ...]) -> str:
    for secret in (*secrets, *_known):
        if not secret:
            continue
        for form in {secret, quote(secret, safe=""), quote_plus(secret)}:
            text = text.replace(form, REDACTED)
    text = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)
    text = _redact_query(text)
    text = _AUTH_HEADER.sub(lambda m: m.group(1) + REDACTED, text)
    text = _NAMED.sub(lambda m: m.group(1) + REDACTED, text)
    text = _BEARER.sub(lambda m: m.group(1) + REDACTED, text)
    return _COOKIE.sub(lambda m: m.group(1) + REDACTED, text)


def _redact_query(text: str) -> str:
    """Hide the value of every credential-named query parameter (`?token=`, `&api_key=`...)."""
    out: list[str] = []
    pos = 0
    for m in _QUERY_NAME.finditer(text):
        run = m.group(1)
        if m.start() < pos:
            continue  # inside a value already hidden
        if not (m.start() and text[m.start() - 1] in "&;"):
            if "?" not in run:
                continue  # no parameter starts here
            run = run.split("?", 1)[1]
        if not _CREDENTIAL_NAME.search(run):
            continue
        value = _QUERY_VALUE.match(text, m.end())
        out += [text[pos : m.end()], REDACTED]
        pos = value.end() if value else m.end()
    return "".join(out) + text[pos:] if out else text


def _clean_arg(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float):
        return value  # %d and %.2f keep working
    text = value if isinstance(value, str) else str(value)
    cleaned = redact(text)
    return value if cleaned == text else cleaned


def clean_record(record: logging.LogRecord) -> logging.LogRecord:
    """Rewrite a record's message, arguments and traceback text in place; never drops it.

    Arguments keep their positions (uvicorn's access formatter reads them one by one); any
    argument whose text holds a credential (an exception, a URL object) becomes that text redacted.
    """
    record.msg = _clean_arg(record.msg)
    if isinstance(record.args, tuple):
        record.args = tuple(_clean_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _clean_arg(v) for k, v in record.args.items()}
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text:
        record.exc_text = redact(record.exc_text)
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    return record


class RedactingFilter(logging.Filter):
    """`clean_record` as a logging filter, for a handler or logger configured elsewhere."""

    def __init__(self) -> None:
        super().__init__("mobile-agent-redactor")

    def filter(self, record: logging.LogRecord) -> bool:
        clean_record(record)
        return True


def install_logging() -> None:
    """Redact every log record this process makes, from any logger, whichever handler (or none:
    Python's last-resort stderr handler) writes it. Wraps the log record factory once."""
    with _lock:
        current = logging.getLogRecordFactory()
        if getattr(current, "_mobile_agent_redacts", False):
            return

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            return clean_record(current(*args, **kwargs))

        factory._mobile_agent_redacts = True  # type: ignore[attr-defined]
        logging.setLogRecordFactory(factory)


def install_excepthook() -> None:
    """An uncaught exception's traceback (printed to stderr as Python would) is redacted too."""
    if getattr(sys.excepthook, "_mobile_agent_redacts", False):
        return

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        sys.stderr.write(redact("".join(traceback.format_exception(kind, value, tb))))

    hook._mobile_agent_redacts = True  # type: ignore[attr-defined]
    sys.excepthook = hook
