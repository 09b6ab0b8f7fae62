"""Build a `ChatModel` from a backend name and settings (CLI flags, env, per-role config)."""

from __future__ import annotations

from typing import Any

from mobile_agent.llm.base import ChatModel

BACKENDS = ("openai", "scripted", "local")
_ALIASES = {"openai_compat": "openai", "vllm": "openai", "openai-compatible": "openai"}


def make_model(backend: str = "openai", **settings: Any) -> ChatModel:
    """A model for `backend`: "openai" (any OpenAI-compatible server), "scripted", or "local".

    Settings are the backend's constructor arguments; None values are dropped so callers can
    pass unset CLI options straight through. "scripted" also takes `run_dir` to replay a
    recorded run's answers.
    """
    kind = _ALIASES.get(backend, backend)
    kwargs = {k: v for k, v in settings.items() if v is not None}
    if kind == "openai":
        from mobile_agent.llm.openai_compat import OpenAICompatModel

        missing = [k for k in ("base_url", "model") if k not in kwargs]
        if missing:
            raise ValueError(
                f"the openai backend needs {' and '.join(missing)} "
                "(--base-url/--model or MOBILE_AGENT_BASE_URL/MOBILE_AGENT_MODEL)"
            )
        return OpenAICompatModel(**kwargs)
    if kind == "scripted":
        from mobile_agent.llm.scripted import ScriptedModel

        if "run_dir" in kwargs:
            return ScriptedModel.from_run(kwargs.pop("run_dir"), **kwargs)
        return ScriptedModel(**kwargs)
    if kind == "local":
        from mobile_agent.llm.local import LocalChatModel  # type: ignore[import-not-found,unused-ignore]

        model: ChatModel = LocalChatModel(**kwargs)
        return model
    raise ValueError(f"unknown model backend {backend!r}; choose one of {', '.join(BACKENDS)}")
