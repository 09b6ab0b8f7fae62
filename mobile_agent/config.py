"""Agent settings: keyword arguments, environment variables (`MOBILE_AGENT_*`) or both.

Per-role model overrides use a double underscore: `MOBILE_AGENT_MANAGER__MODEL=gui-owl-32b`
and `MOBILE_AGENT_MANAGER__BASE_URL=http://gpu-b:8000/v1` give a 32B Manager beside a 7B
Worker. A serving profile (`MOBILE_AGENT_PROFILE=gui-owl-1.5-8b`) sets the coordinate frame,
the pixel budget and the sampling the server was launched with, unless they are given too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mobile_agent.coords import IMAGE_FACTOR, MAX_PIXELS, MIN_PIXELS
from mobile_agent.llm.profiles import get_profile
from mobile_agent.redact import redact

Backend = Literal["openai", "local", "scripted"]
ModelRole = Literal["manager", "worker", "reflector", "notetaker", "single"]
MODEL_ROLES: tuple[str, ...] = ("manager", "worker", "reflector", "notetaker", "single")

DEFAULT_SENSITIVE = (
    "send",
    "pay",
    "payment",
    "purchase",
    "buy",
    "delete",
    "remove",
    "transfer",
    "place order",
    "confirm payment",
    "checkout",
    "uninstall",
    "factory reset",
)

# The model settings a role may override; everything else is agent-wide.
MODEL_FIELDS = (
    "backend",
    "base_url",
    "model",
    "api_key",
    "temperature",
    "top_p",
    "max_tokens",
    "seed",
    "timeout_s",
    "retries",
    "image_format",
)


class ConfigError(ValueError):
    """Settings that cannot work; the message names the variable and what is wrong.

    `problems` holds (setting, what is wrong) pairs, so a front end can name its own option
    (`--max-steps`) instead of the environment variable; the setting is "" for whole-settings ones.
    """

    def __init__(self, message: str, problems: list[tuple[str, str]] | None = None) -> None:
        super().__init__(message)
        self.problems = list(problems or [])


class RoleModelConfig(BaseModel):
    """A role's own model settings; unset fields fall back to the agent-wide ones."""

    model_config = ConfigDict(extra="forbid")

    backend: Backend | None = None
    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None
    temperature: float | None = Field(default=None, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int | None = Field(default=None, gt=0)
    seed: int | None = None
    timeout_s: float | None = Field(default=None, gt=0)
    retries: int | None = Field(default=None, ge=0)
    image_format: Literal["png", "jpeg"] | None = None


class AgentConfig(BaseSettings):
    """Everything a run needs besides the device and the instruction."""

    model_config = SettingsConfigDict(
        env_prefix="MOBILE_AGENT_",
        env_nested_delimiter="__",
        case_sensitive=False,
        extra="ignore",
        validate_default=True,
    )

    # model endpoint (all roles unless overridden below)
    backend: Backend = "openai"
    base_url: str = "http://127.0.0.1:8000/v1"
    model: str = "gui-owl-7b"
    api_key: str | None = None
    profile: str | None = None
    temperature: float | None = Field(default=0.0, ge=0, le=2)
    top_p: float | None = Field(default=None, gt=0, le=1)
    max_tokens: int = Field(default=1024, gt=0)
    seed: int | None = None
    timeout_s: float = Field(default=120.0, gt=0)
    retries: int = Field(default=3, ge=0)
    image_format: Literal["png", "jpeg"] = "png"

    # images and coordinates
    frame: Literal["resized", "norm1000"] = "resized"
    min_pixels: int = Field(default=MIN_PIXELS, gt=0)
    max_pixels: int = Field(default=MAX_PIXELS, gt=0)
    # sides of an image are multiples of this for the model (patch size x spatial merge): what
    # image tokens are counted with; the serving profile sets it (28 for Qwen2.5-VL, 32 for Qwen3-VL)
    image_factor: int = Field(default=IMAGE_FACTOR, gt=0)
    # the single mode's prompt and `mobile_use` vocabulary (GUI-Owl-1.5 adds `interact`); the
    # serving profile sets it
    prompt_format: Literal["gui-owl", "gui-owl-1.5"] = "gui-owl"

    # the loop
    mode: Literal["multi", "single"] = "multi"
    max_steps: int = Field(default=25, gt=0, le=1000)
    max_seconds: float | None = Field(default=None, gt=0)
    notetaker: bool = True
    # Dump the UI tree before each step (steps/NNN-before.xml), hidden behind the model call: it is
    # what makes a run a replayable recipe and a plan-cache entry. Off on phones whose dump is slow
    # when replay is not wanted (MOBILE_AGENT_RECORD_UI_TREE=0).
    record_ui_tree: bool = True
    settle_timeout_s: float = Field(default=3.0, ge=0)
    settle_interval_s: float = Field(default=0.05, ge=0)
    # Share of the screen that must differ for an action to count as having changed it: above a
    # blinking cursor (~0.017%), below one typed or deleted character (~0.04%).
    change_threshold: float = Field(default=0.0002, ge=0, le=1)
    worker_retries: int = Field(default=2, ge=0, le=10)
    # answers that do not match a structured-output schema: asked again this many times
    output_retries: int = Field(default=2, ge=0, le=10)
    manager_retries: int = Field(default=2, ge=0, le=10)
    loop_threshold: int = Field(default=3, ge=2)
    escalate_after_failures: int = Field(default=2, ge=1)
    fail_after_failures: int = Field(default=6, ge=1)
    history_len: int = Field(default=5, ge=0)

    # human in the loop
    policy: Literal["confirm", "allow", "deny"] | None = None
    sensitive_keywords: tuple[str, ...] = DEFAULT_SENSITIVE
    human_timeout_s: float = Field(default=600.0, gt=0)

    # output
    runs_dir: Path = Path("./runs")

    # per-role model overrides
    manager: RoleModelConfig | None = None
    worker: RoleModelConfig | None = None
    reflector: RoleModelConfig | None = None
    notetaker_model: RoleModelConfig | None = None  # MOBILE_AGENT_NOTETAKER_MODEL__MODEL=...
    single: RoleModelConfig | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https:// (e.g. http://127.0.0.1:8000/v1)")
        return v.rstrip("/")

    @field_validator("sensitive_keywords", mode="before")
    @classmethod
    def _keywords(cls, v: Any) -> Any:
        if isinstance(v, str):
            return tuple(k.strip() for k in v.split(",") if k.strip())
        return v

    @model_validator(mode="after")
    def _apply_profile(self) -> AgentConfig:
        if self.profile:
            try:
                p = get_profile(self.profile)
            except KeyError as exc:
                raise ValueError(str(exc).strip("'\"")) from None
            given = self.model_fields_set
            if "frame" not in given:
                self.frame = p.coordinate_frame
            if "min_pixels" not in given:
                self.min_pixels = p.min_pixels
            if "max_pixels" not in given:
                self.max_pixels = p.max_pixels
            if "image_factor" not in given:
                self.image_factor = p.image_factor
            if "prompt_format" not in given:
                self.prompt_format = p.prompt_format
            if "model" not in given:
                self.model = p.name
            if "temperature" not in given:
                self.temperature = p.sampling.temperature
            if "top_p" not in given:
                self.top_p = p.sampling.top_p
            if "max_tokens" not in given:
                self.max_tokens = p.sampling.max_tokens
        if self.min_pixels > self.max_pixels:
            raise ValueError(f"min_pixels ({self.min_pixels}) must not exceed max_pixels ({self.max_pixels})")
        return self

    def role_override(self, role: str) -> RoleModelConfig | None:
        """The override block of a role (`notetaker` is read from NOTETAKER_MODEL)."""
        if role == "notetaker":
            return self.notetaker_model
        value = getattr(self, role, None)
        return value if isinstance(value, RoleModelConfig) else None

    def model_settings(self, role: str) -> dict[str, Any]:
        """The merged model settings of one role: its override, else the agent-wide value."""
        settings = {name: getattr(self, name) for name in MODEL_FIELDS}
        override = self.role_override(role)
        if override is not None:
            settings.update({k: v for k, v in override.model_dump().items() if v is not None})
        return settings

    def distinct_endpoints(self) -> bool:
        """Whether any role talks to a different model than the agent-wide one."""
        base = self.model_settings("worker")
        return any(self.model_settings(r) != base for r in MODEL_ROLES)


def load_config(**overrides: Any) -> AgentConfig:
    """Build an `AgentConfig` from the environment plus keyword overrides (None = not given).

    Raises `ConfigError` with one line per problem, naming the environment variable.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return AgentConfig(**given)
    except ValidationError as exc:
        raise ConfigError(explain(exc), problems(exc)) from None


def problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(setting, what is wrong) for each error; the setting is "" for whole-settings errors."""
    out = []
    for err in exc.errors():
        loc = "__".join(str(p) for p in err["loc"])
        msg = err["msg"].removeprefix("Value error, ")
        value = err.get("input")
        shown = f" (got {redact(repr(value))})" if isinstance(value, str | int | float) and loc else ""
        out.append((loc, f"{msg}{shown}"))
    return out


def explain(exc: ValidationError) -> str:
    """A readable summary of a settings validation error."""
    return describe(problems(exc))


def describe(found: list[tuple[str, str]], names: dict[str, str] | None = None) -> str:
    """The message of `problems`: each setting named as `names` spells it (a command-line flag),
    else as its environment variable."""
    names = names or {}
    lines = []
    for loc, text in found:
        label = names.get(loc) or (f"MOBILE_AGENT_{loc.upper()}" if loc else "")
        lines.append(f"{label}: {text}" if label else text)
    return "invalid settings:\n  " + "\n  ".join(lines)
