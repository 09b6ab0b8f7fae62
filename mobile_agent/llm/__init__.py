"""Chat-model backends behind one async protocol (see `base.ChatModel`).

The names below are loaded on first use (PEP 562), so that `mobile_agent.llm.probe` and
`mobile_agent.llm.profiles` import with the standard library and httpx only: the vLLM launcher
loads them inside the vLLM image, which has none of the framework's other dependencies.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mobile_agent.llm.base import (
        ChatModel,
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

__all__ = [
    "ChatModel",
    "ChatResponse",
    "ImagePart",
    "Message",
    "ModelError",
    "ModelResponseError",
    "ModelTimeout",
    "ModelUnavailable",
    "TextPart",
    "Usage",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from mobile_agent.llm import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
