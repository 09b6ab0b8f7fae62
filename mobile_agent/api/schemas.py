"""Request and response bodies of the HTTP API (they make the OpenAPI document).

Request limits come from the settings, so the request models are built per app
(`task_create_model`); a violation is a 422 whose message names the field and the limit.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, create_model, field_validator

from mobile_agent.output import OutputSpec

from .settings import ApiSettings

Status = Literal["queued", "running", "waiting_for_human", "succeeded", "failed", "cancelled", "interrupted"]
Mode = Literal["multi", "single"]


class TaskCreateBase(BaseModel):
    """POST /v1/tasks body (limits filled in from the settings)."""

    model_config = ConfigDict(extra="forbid")

    instruction: str
    device: str | None = None
    max_steps: int | None = None
    max_seconds: float | None = None
    mode: Mode | None = None
    model: str | None = None
    output_schema: dict[str, Any] | None = None
    cache: bool = True

    @field_validator("output_schema")
    @classmethod
    def _usable_schema(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        """A schema the agent could not use is refused here (422), before anything is queued."""
        if value is not None:
            OutputSpec.of(value)  # OutputSchemaError (a ValueError) says what is wrong
        return value


OUTPUT_SCHEMA_DOC = (
    "A JSON Schema the final answer must match (structured answers): the agent is told the schema, "
    "its answer is validated (and sent back with the errors a bounded number of times), and the "
    "validated value is the task's `output`. A schema that is not a valid JSON Schema is a 422."
)

CACHE_DOC = (
    "false: run this task without the server's plan cache (`MOBILE_AGENT_CACHE_DIR`), so the model "
    "plans it afresh. A task with an `output_schema` never uses the cache."
)


def task_create_model(settings: ApiSettings) -> type[TaskCreateBase]:
    """The POST /v1/tasks body with this server's limits."""
    instruction = Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=settings.max_instruction_chars),
        Field(description="What the agent should do, in plain language."),
    ]
    fields: dict[str, Any] = {
        "instruction": (instruction, ...),
        "device": (
            Annotated[str | None, Field(max_length=200, description="Serial of the device to use.")],
            None,
        ),
        "max_steps": (
            Annotated[
                int | None,
                Field(ge=1, le=settings.max_steps_limit, description="Step budget (default from settings)."),
            ],
            None,
        ),
        "max_seconds": (
            Annotated[
                float | None,
                Field(gt=0, le=settings.max_seconds_limit, description="Time budget in seconds."),
            ],
            None,
        ),
        "mode": (Mode | None, None),
        "model": (Annotated[str | None, Field(min_length=1, max_length=200)], None),
        "output_schema": (
            Annotated[dict[str, Any] | None, Field(min_length=1, description=OUTPUT_SCHEMA_DOC)],
            None,
        ),
        "cache": (Annotated[bool, Field(description=CACHE_DOC)], True),
    }
    return create_model("TaskCreate", __base__=TaskCreateBase, **fields)


class TaskCreated(BaseModel):
    id: str
    status: Status


class PendingRequest(BaseModel):
    kind: Literal["question", "confirm"]
    prompt: str
    action: dict[str, Any] | None = None
    since: float | None = None
    timeout_s: float | None = None


class TaskView(BaseModel):
    id: str
    instruction: str
    status: Status
    reason: str | None = None
    answer: str | None = None
    steps: int = 0
    max_steps: int
    max_seconds: float
    mode: str | None = None
    model: str | None = None
    device: str | None = Field(None, description="The device the task runs on (or asked for).")
    requested_device: str | None = None
    created_at: str
    started_at: str | None = None
    finished_at: str | None = None
    run_dir: str | None = Field(None, description="Run directory, relative to the server's runs dir.")
    timings: dict[str, Any] | None = None
    usage: dict[str, Any] | None = None
    claimed_success: bool | None = None
    error: str | None = Field(None, description="Short failure kind (device_disconnected, human_timeout...).")
    pending_request: PendingRequest | None = None
    queue_position: int | None = None
    cancel_requested: bool = False
    output_schema: dict[str, Any] | None = Field(None, description="The JSON Schema asked for, if any.")
    output: Any = Field(
        None, description="The validated structured answer (null when no `output_schema` was given)."
    )


class TaskPage(BaseModel):
    items: list[TaskView]
    total: int
    limit: int
    offset: int


class ReplyBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: Annotated[str, Field(max_length=4000, description="The answer, or a comment.")] = ""
    approve: bool | None = Field(
        None, description="For a confirmation: true approves, false refuses (default true)."
    )


class TaskAction(BaseModel):
    id: str
    status: str


class DeviceView(BaseModel):
    serial: str
    state: Literal["available", "leased", "unhealthy", "offline"]
    leased_by: str | None = None
    model: str | None = None
    adb_state: str | None = None
    error: str | None = None


class Health(BaseModel):
    status: Literal["ok", "degraded", "error"]
    store: dict[str, Any]
    adb: dict[str, Any]
    model: dict[str, Any]
    devices: int
    running: int
    queued: int
