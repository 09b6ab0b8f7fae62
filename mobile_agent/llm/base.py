"""The one small async protocol every chat-model backend speaks.

Roles build `Message` lists (text and images) and get back text plus token usage; they never
know whether vLLM, a local transformers model or a scripted replay is answering.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol, runtime_checkable

from PIL import Image


@dataclass(frozen=True)
class TextPart:
    text: str


@dataclass(frozen=True)
class ImagePart:
    """An image exactly as it is sent: the model's coordinates refer to this image's size."""

    image: Image.Image


ContentPart = TextPart | ImagePart


@dataclass(frozen=True)
class Message:
    role: Literal["system", "user", "assistant"]
    content: str | list[ContentPart]

    def parts(self) -> list[ContentPart]:
        """The content as a list of parts (a plain string becomes one TextPart)."""
        return [TextPart(self.content)] if isinstance(self.content, str) else list(self.content)

    def text(self) -> str:
        """All text parts joined; images are skipped."""
        return "\n".join(p.text for p in self.parts() if isinstance(p, TextPart))

    def images(self) -> list[Image.Image]:
        return [p.image for p in self.parts() if isinstance(p, ImagePart)]


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.prompt_tokens + other.prompt_tokens, self.completion_tokens + other.completion_tokens
        )


@dataclass
class ChatResponse:
    text: str
    usage: Usage = field(default_factory=Usage)
    model: str = ""
    latency_s: float = 0.0
    # Whether `usage` is the server's own count (an OpenAI-style `usage` object), not an estimate.
    usage_from_server: bool = False
    # Image tokens as the server counted them, when measured (the frame check on the first
    # response with images); None when unknown.
    server_image_tokens: int | None = None


@runtime_checkable
class ChatModel(Protocol):
    """An async chat model. Implementations: openai_compat, local, scripted."""

    name: str

    async def chat(
        self,
        messages: list[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
    ) -> ChatResponse: ...

    async def aclose(self) -> None: ...


class ModelError(Exception):
    """Base of every model-side failure; the runner records it and ends or retries the step."""


class ModelUnavailable(ModelError):
    """The server cannot be reached (refused, DNS, not installed) or the model is not served."""


class ModelTimeout(ModelError):
    """The server did not answer within the timeout, after the configured retries."""


class ModelResponseError(ModelError):
    """The server answered with an error status or an unusable body."""
