"""Chat-model backends behind one async protocol (see `base.ChatModel`)."""

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
