"""Does the task store answer? Asked before a server starts, so a bad `--db-url` is one clear line."""

from __future__ import annotations

from mobile_agent.redact import remember

__all__ = ["probe_store"]


def probe_store(db_url: str, timeout_s: int = 10) -> str | None:
    """None when the store answers, else why not, without the URL's password.

    A store that is down, a mistyped host or a wrong password used to end the server in a
    SQLAlchemy traceback (exit 1); a host that drops packets could stall it for minutes."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import SQLAlchemyError

    try:
        url = make_url(db_url)
    except SQLAlchemyError:
        return "--db-url is not a database URL (sqlite:///PATH or postgresql+psycopg://USER@HOST:PORT/DB)"
    shown = url.render_as_string(hide_password=True)
    remember(str(url.password) if url.password else None)  # hidden from every log line from now on
    try:
        # psycopg's connect timeout (SQLite's own `timeout` is about locks: left as it is)
        args = {"connect_timeout": timeout_s} if url.get_backend_name() == "postgresql" else {}
        engine = create_engine(url, connect_args=args)
        try:
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:
        reason = " ".join(str(getattr(exc, "orig", None) or exc).split())
        if url.password:
            reason = reason.replace(str(url.password), "***")
        return f"the task store at {shown} does not answer: {reason}"
    return None
