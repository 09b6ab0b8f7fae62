"""The one readiness probe of an OpenAI-compatible model server (stdlib and httpx only).

`mobile-agent doctor`, the check before every run (`preflight`), the API's `/healthz` and the
vLLM launcher (`serving/`) all ask the same questions the same way: does the server answer,
which models does it list, and (for doctor and the launcher) does a one-token chat completion
come back. The launcher runs inside the vLLM image too, so this module needs nothing but httpx.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import httpx

from mobile_agent.redact import redact, remember

__all__ = [
    "EndpointStatus",
    "acheck_endpoint",
    "alist_models",
    "auth_headers",
    "check_endpoint",
    "models_from",
    "root_url",
    "v1_url",
]


def root_url(base_url: str) -> str:
    """The server's root (where vLLM answers /health): the base URL without its /v1."""
    base = base_url.rstrip("/")
    return base[: -len("/v1")] if base.endswith("/v1") else base


def v1_url(base_url: str) -> str:
    """The OpenAI-style base URL: the base URL with /v1 (added when missing)."""
    base = base_url.rstrip("/")
    return base if base.endswith("/v1") else base + "/v1"


def auth_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def models_from(resp: httpx.Response) -> list[str]:
    """The model ids of a GET /v1/models answer."""
    data = resp.json().get("data", [])
    return [m.get("id", "") for m in data if isinstance(m, dict)]


@dataclass
class EndpointStatus:
    """What a probe of an OpenAI-compatible model server found."""

    base_url: str
    model: str
    reachable: bool = False
    models: list[str] = field(default_factory=list)
    model_listed: bool = False
    answered: bool = False
    reply: str = ""
    latency_s: float = 0.0
    error: str | None = None
    http_status: int | None = None  # the status GET /v1/models answered with, once it answered

    @property
    def shown_url(self) -> str:
        """The base URL as messages show it: no password, no credential in its query."""
        return redact(self.base_url)

    @property
    def ok(self) -> bool:
        return self.reachable and self.model_listed and self.answered

    def summary(self) -> str:
        if self.ok:
            return f"{self.model} at {self.shown_url} answers ({self.latency_s:.2f} s)"
        return f"{self.model} at {self.shown_url}: {self.error or 'not ready'}"


def _chat_body(model: str) -> dict[str, object]:
    return {
        "model": model,
        "messages": [{"role": "user", "content": "Reply with the single word OK."}],
        "max_tokens": 4,
        "temperature": 0.0,
    }


def _reply_from(resp: httpx.Response) -> str:
    choice = resp.json()["choices"][0]
    return str((choice.get("message") or {}).get("content") or choice.get("text") or "")


def check_endpoint(
    base_url: str, model: str, api_key: str | None = None, timeout: float = 5
) -> EndpointStatus:
    """Probe a server: reachable, `model` listed by /v1/models, a tiny chat completion answered.

    Never raises for server-side problems; the status says what failed. Blocking: inside an event
    loop, await `acheck_endpoint` instead.
    """
    return asyncio.run(acheck_endpoint(base_url, model, api_key, timeout))


async def alist_models(
    base_url: str,
    api_key: str | None = None,
    timeout: float = 5,  # noqa: ASYNC109 - the same signature as check_endpoint
) -> EndpointStatus:
    """Only the first question: does GET /v1/models answer, and with which models (`model` is "")."""
    return await acheck_endpoint(base_url, "", api_key, timeout, chat=False, need_model=False)


async def acheck_endpoint(
    base_url: str,
    model: str,
    api_key: str | None = None,
    timeout: float = 5,  # noqa: ASYNC109 - the same signature as check_endpoint
    *,
    chat: bool = True,
    need_model: bool = True,
) -> EndpointStatus:
    """Probe a server (see `check_endpoint`) without blocking the event loop.

    `chat=False` stops after GET /v1/models (reachable, models listed): a check before every run
    must not spend a completion on the model (`answered` stays False then). `need_model=False`
    (see `alist_models`) stops once the server has answered GET /v1/models, whatever it listed.
    """
    status = EndpointStatus(base_url=v1_url(base_url), model=model)
    v1 = status.base_url
    remember(api_key, base_url)  # a server may echo them; `error` is shown and logged
    try:
        async with httpx.AsyncClient(timeout=timeout, headers=auth_headers(api_key)) as client:
            resp = await client.get(f"{v1}/models")
            status.reachable = True
            status.http_status = resp.status_code
            if resp.status_code != 200:
                status.error = f"GET /v1/models answered {resp.status_code}: {redact(resp.text[:200])}"
                return status
            status.models = models_from(resp)
            if not need_model:
                return status
            status.model_listed = model in status.models
            if not status.model_listed:
                status.error = f"model {model!r} is not served; the server lists {status.models}"
                return status
            if not chat:
                return status
            t0 = time.perf_counter()
            resp = await client.post(f"{v1}/chat/completions", json=_chat_body(model))
            status.latency_s = time.perf_counter() - t0
            if resp.status_code != 200:
                status.error = f"chat completion answered {resp.status_code}: {redact(resp.text[:200])}"
                return status
            status.reply = _reply_from(resp)
            status.answered = True
    except httpx.TimeoutException:
        status.error = f"no answer within {timeout:g} s"
    except httpx.TransportError as exc:
        status.error = redact(f"cannot reach {v1}: {exc}")
    except httpx.InvalidURL as exc:
        status.error = redact(f"not a usable URL {base_url!r}: {exc}")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError) as exc:
        status.error = redact(f"unusable answer from the server: {exc}")
    return status
