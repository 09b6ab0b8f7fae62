"""Any OpenAI-compatible chat server (vLLM first) behind the `ChatModel` protocol.

Uses the official `openai` async client with its own retries off: we retry 429/5xx/timeouts/
dropped connections ourselves with exponential backoff and jitter, honouring Retry-After, and
map every failure onto the `ModelError` family with a message that says what to do.
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from typing import Any

import httpx
import openai

from mobile_agent.llm.base import (
    ChatResponse,
    ImagePart,
    Message,
    ModelError,
    ModelResponseError,
    ModelTimeout,
    ModelUnavailable,
    TextPart,
    Usage,
)
from mobile_agent.llm.frame_check import check_counts, count_images, resized_frame_factor, text_only
from mobile_agent.llm.images import ImageFormat, to_data_url
from mobile_agent.redact import redact, remember

RETRY_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504})
MAX_RETRY_AFTER_S = 60.0


def _is_connect_error(exc: BaseException) -> bool:
    """Whether the connection could not be opened at all (refused, DNS): retrying will not help.

    Matched by class name along the cause chain, because the `openai` client may use `httpx`
    or its fork `httpx2` underneath.
    """
    seen: BaseException | None = exc.__cause__ or exc.__context__
    for _ in range(6):
        if seen is None:
            return False
        if type(seen).__name__ in ("ConnectError", "ConnectionRefusedError", "gaierror"):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_after(response: Any) -> float | None:
    """Seconds the server asked us to wait (Retry-After / retry-after-ms), if it said."""
    if response is None:
        return None
    ms = response.headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000.0)
        except ValueError:
            pass
    value = response.headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        parsed = email.utils.parsedate_to_datetime(value) if value else None
        return None if parsed is None else max(0.0, parsed.timestamp() - time.time())


def _server_message(exc: openai.APIStatusError) -> str:
    """What the server said, redacted: a proxy may echo our request headers (the API key)."""
    return redact(_raw_server_message(exc))


def _raw_server_message(exc: openai.APIStatusError) -> str:
    body = exc.body
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = err.get("message") if isinstance(err, dict) else err
        if msg:
            return str(msg)
        if "detail" in body:
            return str(body["detail"])
    try:
        return exc.response.text[:500] or str(exc)
    except Exception:
        return str(exc)


def _too_many_images_hint(exc: openai.APIStatusError, messages: list[Message]) -> str:
    """Why a server refused the images of a request, in our terms."""
    msg = _server_message(exc).lower()
    if exc.status_code != 400 or "image" not in msg or "at most" not in msg:
        return ""
    sent = sum(len(m.images()) for m in messages)
    return (
        f" (this request had {sent} images: the server's --limit-mm-per-prompt allows fewer; "
        "serve with the same profile as the agent, e.g. `python -m serving launch --profile gui-owl-7b`)"
    )


def to_openai_messages(
    messages: list[Message], image_format: ImageFormat = "png", jpeg_quality: int = 90
) -> list[dict[str, Any]]:
    """Our messages as OpenAI chat JSON (images as base64 data URLs, in order)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if isinstance(m.content, str):
            out.append({"role": m.role, "content": m.content})
            continue
        parts: list[dict[str, Any]] = []
        for p in m.content:
            if isinstance(p, TextPart):
                parts.append({"type": "text", "text": p.text})
            elif isinstance(p, ImagePart):
                url = to_data_url(p.image, image_format, jpeg_quality)
                parts.append({"type": "image_url", "image_url": {"url": url}})
        out.append({"role": m.role, "content": parts})
    return out


class OpenAICompatModel:
    """A chat model served over the OpenAI chat-completions API (vLLM, SGLang, LM Studio...)."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        timeout_s: float = 60.0,
        retries: int = 3,
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 8.0,
        image_format: ImageFormat = "png",
        jpeg_quality: int = 90,
        extra_body: dict[str, Any] | None = None,
        min_pixels: int | None = None,
        max_pixels: int | None = None,
        check_frame: bool = True,
    ) -> None:
        if image_format not in ("png", "jpeg"):
            raise ValueError(f"image_format must be 'png' or 'jpeg', got {image_format!r}")
        if retries < 0 or timeout_s <= 0:
            raise ValueError("retries must be >= 0 and timeout_s > 0")
        self.base_url = base_url.rstrip("/")
        remember(api_key, self.base_url)  # never in an error message, a log line or a result
        self.where = redact(self.base_url)  # the URL as messages show it (no password)
        self.model = model
        self.name = model
        self.temperature = temperature
        self.top_p = top_p
        self.max_tokens = max_tokens
        self.seed = seed
        self.timeout_s = timeout_s
        self.retries = retries
        self.backoff_base_s = backoff_base_s
        self.backoff_max_s = backoff_max_s
        self.image_format: ImageFormat = image_format
        self.jpeg_quality = jpeg_quality
        self.extra_body = dict(extra_body or {})
        self.min_pixels = min_pixels
        self.max_pixels = max_pixels  # the client's budget, named when the server's differs
        # The first response with images is checked against the size we sent (frame_check).
        self._frame_factor = resized_frame_factor(model) if check_frame else None
        self._frame_checked = False
        self._client = openai.AsyncOpenAI(
            base_url=self.base_url,
            api_key=api_key or "EMPTY",  # vLLM accepts any key unless started with --api-key
            max_retries=0,
            timeout=timeout_s,
        )

    def __repr__(self) -> str:
        return f"OpenAICompatModel(base_url={self.where!r}, model={self.model!r})"

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        if retry_after is not None:
            return min(retry_after, MAX_RETRY_AFTER_S)
        cap = min(self.backoff_max_s, self.backoff_base_s * (2**attempt))
        return cap / 2 + random.uniform(0, cap / 2)

    def _unreachable(self, exc: BaseException) -> ModelUnavailable:
        reason = redact(str(exc.__cause__ or exc)) or type(exc).__name__
        return ModelUnavailable(
            f"cannot reach the model server at {self.where}: {reason}. "
            "Is vLLM running? Try `mobile-agent doctor`."
        )

    async def served_models(self) -> list[str] | None:
        """Model ids the server lists at /v1/models, or None when it cannot say."""
        try:
            async with asyncio.timeout(min(self.timeout_s, 10.0)):
                page = await self._client.models.list()
            return [m.id for m in page.data]
        except Exception:
            return None

    async def _not_found(self, exc: openai.NotFoundError) -> ModelError:
        served = await self.served_models()
        msg = _server_message(exc)
        if served is not None and self.model not in served:
            return ModelUnavailable(
                f"the server at {self.where} does not serve model {self.model!r}; "
                f"it serves: {', '.join(served) or '(none)'}. Pass one of these as the model name."
            )
        return ModelResponseError(
            f"404 from {self.where}: {msg} (is the base URL right? it should end in /v1)"
        )

    async def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatResponse:
        """Send the messages and return the answer; retries transient failures with backoff."""
        payload = await asyncio.to_thread(to_openai_messages, messages, self.image_format, self.jpeg_quality)
        params: dict[str, Any] = {}
        temperature = self.temperature if temperature is None else temperature
        max_tokens = self.max_tokens if max_tokens is None else max_tokens
        if temperature is not None:
            params["temperature"] = temperature
        if self.top_p is not None:
            params["top_p"] = self.top_p
        if self.seed is not None:
            params["seed"] = self.seed
        if max_tokens is not None:
            params["max_tokens"] = max_tokens
        if self.extra_body:
            params["extra_body"] = self.extra_body

        started = time.monotonic()
        last: str = ""
        for attempt in range(self.retries + 1):
            retry_after: float | None = None
            try:
                async with asyncio.timeout(self.timeout_s):
                    resp = await self._client.chat.completions.create(
                        model=self.model,
                        messages=payload,  # type: ignore[arg-type]
                        **params,
                    )
                response = self._parse(resp, time.monotonic() - started)
                if self._frame_factor and not self._frame_checked and response.usage_from_server:
                    await self._check_frame(messages, response, self._frame_factor)
                return response
            except (TimeoutError, openai.APITimeoutError):
                last = f"timed out after {self.timeout_s:g} s"
            except openai.APIConnectionError as exc:
                if _is_connect_error(exc):
                    raise self._unreachable(exc) from exc
                last = f"connection failed: {redact(str(exc.__cause__ or exc))}"
            except openai.NotFoundError as exc:
                raise await self._not_found(exc) from exc
            except openai.APIStatusError as exc:
                if exc.status_code not in RETRY_STATUS:
                    raise ModelResponseError(
                        f"the model server answered {exc.status_code}: {_server_message(exc)}"
                        + _too_many_images_hint(exc, messages)
                    ) from exc
                last = f"HTTP {exc.status_code}: {_server_message(exc)}"
                retry_after = _retry_after(exc.response)
            except (ValueError, openai.APIResponseValidationError) as exc:
                raise ModelResponseError(
                    f"the model server sent an unreadable body: {redact(str(exc))}"
                ) from exc
            if attempt < self.retries:
                await asyncio.sleep(self._backoff(attempt, retry_after))
        kind: type[ModelError] = ModelTimeout if last.startswith("timed out") else ModelResponseError
        if last.startswith("connection failed"):
            kind = ModelUnavailable
        raise kind(f"model {self.model!r} at {self.where}: {last} (after {self.retries + 1} attempt(s))")

    def _parse(self, resp: Any, latency_s: float) -> ChatResponse:
        choices = getattr(resp, "choices", None)
        if not isinstance(resp, openai.types.chat.ChatCompletion) or not choices:
            preview = resp if isinstance(resp, str) else repr(resp)
            raise ModelResponseError(f"the model server returned no choices: {redact(str(preview)[:300])}")
        content = choices[0].message.content if choices[0].message is not None else None
        if content is None:
            raise ModelResponseError(
                f"the model server returned an empty message (finish_reason={choices[0].finish_reason!r})"
            )
        usage = Usage()
        if resp.usage is not None:
            usage = Usage(resp.usage.prompt_tokens or 0, resp.usage.completion_tokens or 0)
        return ChatResponse(
            text=content,
            usage=usage,
            model=resp.model or self.model,
            latency_s=latency_s,
            usage_from_server=resp.usage is not None and bool(resp.usage.prompt_tokens),
        )

    async def _check_frame(self, messages: list[Message], response: ChatResponse, factor: int) -> None:
        """Stop with `FrameMismatch` when the server saw our images at another size."""
        images = count_images(messages, factor)
        if images is None:
            return  # no image yet (or not resized to the grid by us): check a later response
        self._frame_checked = True
        text_tokens = await self._count_text_tokens(text_only(messages))
        response.server_image_tokens = check_counts(
            messages,
            images,
            response.usage.prompt_tokens,
            text_tokens,
            client_max_pixels=self.max_pixels,
            where=self.where,
        )

    async def _count_text_tokens(self, messages: list[Message]) -> int | None:
        """The prompt's text tokens from vLLM's /tokenize, or None where the server has none."""
        root = self.base_url[: -len("/v1")] if self.base_url.endswith("/v1") else self.base_url
        body = {"model": self.model, "messages": to_openai_messages(messages), "add_generation_prompt": True}
        try:
            resp = await self._client.post(
                f"{root}/tokenize", cast_to=httpx.Response, body=body, options={"timeout": 10.0}
            )
            count = resp.json().get("count") if resp.status_code == 200 else None
        except Exception:
            return None
        return count if isinstance(count, int) and count > 0 else None

    async def aclose(self) -> None:
        await self._client.close()
