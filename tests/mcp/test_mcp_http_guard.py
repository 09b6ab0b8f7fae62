"""Off loopback the HTTP transport needs a bearer token: whoever reaches the server controls the phone."""

from __future__ import annotations

import secrets
import subprocess
from typing import Any

import httpx
from mcp_support import MOBILE_AGENT, http_session, server_env


def test_a_non_loopback_host_without_a_token_is_refused() -> None:
    proc = subprocess.run(
        [MOBILE_AGENT, "mcp", "--transport", "http", "--host", "0.0.0.0", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=60,
        env=server_env(),
    )
    assert proc.returncode == 2
    assert "MOBILE_AGENT_MCP_TOKEN" in proc.stderr and "16+ characters" in proc.stderr


async def test_a_token_is_required_on_every_request(phone: Any) -> None:
    token = secrets.token_urlsafe(24)
    auth = {"Authorization": f"Bearer {token}"}
    async with http_session(
        "--host", "0.0.0.0", "--device", phone.serial, headers=auth, mcp_token=token
    ) as session:
        assert len((await session.list_tools()).tools) == 11
        body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        async with httpx.AsyncClient() as client:
            for headers in ({}, {"Authorization": "Bearer wrong-token-of-some-length"}):
                refused = await client.post(session.url, json=body, headers=headers)  # type: ignore[attr-defined]
                assert refused.status_code == 401, refused.text
