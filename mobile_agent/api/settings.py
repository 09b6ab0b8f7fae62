"""Settings of the HTTP task API, read from the environment (prefix `MOBILE_AGENT_`).

They live apart from the agent's own settings (`mobile_agent.config.AgentConfig`): the API
decides where tasks are stored, who may call it, and which limits a request must respect; the
agent decides how a task is run.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from mobile_agent.device.adb_host import adb_server_address


class ApiSettings(BaseSettings):
    """Every knob of `mobile-agent serve`; each one can be set as `MOBILE_AGENT_<NAME>`."""

    model_config = SettingsConfigDict(env_prefix="MOBILE_AGENT_", extra="ignore")

    api_token: str | None = Field(
        default=None,
        description="Bearer token required on every endpoint but /healthz when set (surrounding spaces "
        "are stripped; blank is refused; at least 16 characters on a non-loopback address).",
    )
    session_max_age_s: float = Field(
        default=12 * 3600.0, gt=0, description="How long the viewer's session cookie stays valid."
    )
    runs_dir: Path = Field(default=Path("runs"), description="Where run directories are written.")
    db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the task store; default: a SQLite file in the runs directory.",
    )
    adb_connect: str = Field(
        default="", description="Comma-separated host:port targets to `adb connect` at start."
    )
    device_allowlist: str = Field(
        default="", description="Comma-separated serials this server may use (default: every adb device)."
    )
    adb_host: str = Field(
        default_factory=lambda: adb_server_address()[0],
        description="adb server host (default: ADB_SERVER_SOCKET / ANDROID_ADB_SERVER_HOST, else 127.0.0.1).",
    )
    adb_port: int = Field(
        default_factory=lambda: adb_server_address()[1],
        description="adb server port (default: ADB_SERVER_SOCKET / ANDROID_ADB_SERVER_PORT, else 5037).",
    )
    base_url: str | None = Field(
        default=None, description="Model endpoint checked by /healthz (default: the agent's setting)."
    )
    human_timeout_s: float = Field(default=600.0, gt=0, description="How long a task waits for a reply.")
    max_instruction_chars: int = Field(default=2000, ge=1)
    max_body_bytes: int = Field(
        default=1_000_000, ge=1024, description="Larger request bodies are refused with 413."
    )
    default_max_steps: int = Field(default=30, ge=1, le=200)
    max_steps_limit: int = Field(default=200, ge=1, le=200)
    default_max_seconds: float = Field(default=900.0, gt=0)
    max_seconds_limit: float = Field(default=4 * 3600.0, gt=0)
    cancel_grace_s: float = Field(
        default=60.0, gt=0, description="After a cancel, how long a task may finish its step."
    )
    device_refresh_s: float = Field(default=5.0, gt=0, description="How often adb is polled for devices.")
    page_size_limit: int = Field(default=200, ge=1)
    cache_dir: Path | None = Field(
        default=None,
        description="Plan cache folder (as `mobile-agent run --cache`) used by every task that has no "
        '`output_schema` and does not ask `"cache": false`; unset or blank: no cache.',
    )

    @field_validator("cache_dir", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        """`MOBILE_AGENT_CACHE_DIR=` (blank) means no cache, not the current directory."""
        return None if isinstance(value, str) and not value.strip() else value

    def adb_targets(self) -> list[str]:
        """The `adb connect` targets, cleaned."""
        return [t.strip() for t in self.adb_connect.split(",") if t.strip()]

    def allowed_devices(self) -> set[str] | None:
        """The serials this server may lease, or None for all."""
        allowed = {t.strip() for t in self.device_allowlist.split(",") if t.strip()}
        return allowed or None

    def resolved_db_url(self) -> str:
        """The store URL: the setting, or `sqlite:///RUNS/mobile-agent.db`."""
        if self.db_url:
            return self.db_url
        return f"sqlite:///{(self.runs_dir / 'mobile-agent.db').resolve()}"
