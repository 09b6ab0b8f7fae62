"""The store probe hides a --db-url's password in every later log line and error, even one that
URL parsing alone would cut short (an '@' or '/' inside it, percent-encoded)."""

from __future__ import annotations

import socket

from mobile_agent.api.store_probe import probe_store
from mobile_agent.redact import redact


def test_a_db_password_with_at_and_slash_is_hidden_from_then_on() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    secret = "p@ss/w0rd-42"
    problem = probe_store(f"postgresql+psycopg://ann:p%40ss%2Fw0rd-42@127.0.0.1:{port}/tasks", timeout_s=2)
    assert problem is not None and "does not answer" in problem and secret not in problem
    assert "ann:***@127.0.0.1" in problem
    line = redact(f"psycopg: login failed for ann with {secret} at 127.0.0.1")
    assert secret not in line and "127.0.0.1" in line
