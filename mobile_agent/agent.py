"""The Python API: `Agent(device).run("instruction")`.

```python
from mobile_agent import Agent

agent = Agent("127.0.0.1:6555")                # a serial, a Device object, or None (the only one)
agent.subscribe(lambda ev: print(ev.type, ev.data))   # watch every event of every run
result = await agent.run("Turn on Wi-Fi", max_steps=15)
print(result.status, result.answer, result.run_dir)
```

Each run gets its own `Bus`; pass `bus=` to read its state or `bus.stream()` live from another
task, and `cancel=` (an `asyncio.Event`) to stop it cleanly. Before anything is written the device
and the model endpoint are checked: problems there raise `SetupError` listing all of them, with no
run directory made. Once the run has started, its run directory is always written, whatever the
ending.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from mobile_agent.bus import Bus, Event, EventType
from mobile_agent.config import MODEL_ROLES, AgentConfig, ConfigError, load_config
from mobile_agent.device.base import Device, DeviceError, DeviceNotFound
from mobile_agent.device.connect import connect
from mobile_agent.human import HumanChannel
from mobile_agent.llm.base import ChatModel
from mobile_agent.loop import Runner, RunResult
from mobile_agent.output import OutputSchemaError, OutputSpec
from mobile_agent.preflight import SetupError, SetupProblem, check_setup
from mobile_agent.trajectory import TrajectoryWriter, new_run_dir

if TYPE_CHECKING:
    from mobile_agent.replay.session import ReplaySession

__all__ = ["Agent", "OutputSchemaError", "RunResult", "SetupError"]


def build_models(config: AgentConfig, roles: tuple[str, ...]) -> dict[str, ChatModel]:
    """One model per role from the settings; roles with identical settings share an instance."""
    from mobile_agent.llm.factory import make_model

    made: dict[str, ChatModel] = {}
    models: dict[str, ChatModel] = {}
    for role in roles:
        settings = config.model_settings(role)
        backend = settings.pop("backend")
        if backend == "scripted":
            raise ConfigError(
                "the scripted backend replays given answers: pass models=ScriptedModel(...) to Agent"
            )
        # local resizes with it; a server's client names it when the server's budget differs
        settings["min_pixels"] = config.min_pixels
        settings["max_pixels"] = config.max_pixels
        key = repr((backend, sorted(settings.items())))
        if key not in made:
            made[key] = make_model(backend, **settings)
        models[role] = made[key]
    return models


async def _release(models: list[ChatModel], device: Device | None) -> None:
    """Close models and a device we opened; best effort (used when a run cannot start)."""
    for model in models:
        with contextlib.suppress(Exception):
            await model.aclose()
    if device is not None:
        with contextlib.suppress(Exception):
            await device.close()


class Agent:
    """Operates one phone; `run()` may be called many times (one run at a time per device)."""

    def __init__(
        self,
        device: Device | str | None = None,
        *,
        config: AgentConfig | None = None,
        models: dict[str, ChatModel] | ChatModel | None = None,
        human: HumanChannel | None = None,
    ) -> None:
        self.config = config if config is not None else load_config()
        self.device = device
        self.models = models
        self.human = human
        self._subscribers: list[Callable[[Event], None]] = []

    def subscribe(self, callback: Callable[[Event], None]) -> Callable[[], None]:
        """Call `callback(event)` for every event of every later run; returns an unsubscribe."""
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback) if callback in self._subscribers else None

    def _roles(self) -> tuple[str, ...]:
        return ("single",) if self.config.mode == "single" else tuple(r for r in MODEL_ROLES if r != "single")

    def _own_roles(self) -> tuple[str, ...]:
        """The roles whose model is built from the settings (not passed in as `models`)."""
        given = self.models
        if given is None:
            return self._roles()
        if not isinstance(given, dict):
            return ()
        return tuple(
            r for r in self._roles() if r not in given and "default" not in given and "worker" not in given
        )

    def _models(self) -> tuple[dict[str, ChatModel], list[ChatModel]]:
        roles = self._roles()
        given = self.models
        if given is None:
            models = build_models(self.config, roles)
            return models, list({id(m): m for m in models.values()}.values())
        if not isinstance(given, dict):
            return dict.fromkeys(roles, given), []
        missing = self._own_roles()
        own: dict[str, ChatModel] = build_models(self.config, missing) if missing else {}
        models = {r: given.get(r) or own.get(r) or given.get("default") or given["worker"] for r in roles}
        return models, list({id(m): m for m in own.values()}.values())

    async def run(
        self,
        instruction: str,
        *,
        max_steps: int | None = None,
        max_seconds: float | None = None,
        out_dir: str | Path | None = None,
        bus: Bus | None = None,
        cancel: asyncio.Event | None = None,
        knowledge: str = "",
        check_setup: bool = True,
        output: type[BaseModel] | dict[str, Any] | OutputSpec | None = None,
        cache: str | Path | None = None,
        replay: str | Path | ReplaySession | None = None,
    ) -> RunResult:
        """Run one task to its end and return how it ended.

        Raises ValueError for an empty instruction or a budget below 1 step / 0 seconds, and
        `SetupError` (every problem found: settings, device, unreachable model server) before any
        run directory is made. With `check_setup=False` (the API server, which records every task)
        those problems end as a failed RunResult with a run directory instead. Device or model
        trouble after the start always ends as a RunResult.

        `out_dir` is the run directory itself (created); default `config.runs_dir/<new name>`.
        The bus is closed at the end, which ends its live streams.

        `output` (a Pydantic model class or a JSON Schema dict) asks for a structured answer: the
        answering role is shown the schema, its answer is validated (asked again with the errors,
        `config.output_retries` times) and `result.output` holds the value (an instance of the
        model when a model was given). A schema that is not valid JSON Schema raises
        `OutputSchemaError` (a ValueError) before anything runs.

        `cache` (a folder) replays a stored successful run of the same instruction from the same
        starting screen with no model call, and stores this run there when it succeeds; `replay`
        (a run directory) replays that run. A divergence hands over to the model (docs/replay.md).
        """
        if not instruction or not instruction.strip():
            raise ValueError("the instruction is empty")
        # budgets as the settings take them (0 must not fall back to the default budget)
        if max_steps is not None and (
            isinstance(max_steps, bool) or not isinstance(max_steps, int) or max_steps < 1
        ):
            raise ValueError(f"max_steps must be a whole number of at least 1, got {max_steps!r}")
        if max_seconds is not None and not max_seconds > 0:  # also NaN
            raise ValueError(f"max_seconds must be more than 0, got {max_seconds!r}")
        spec = OutputSpec.of(output) if output is not None else None
        session = self._replay_session(instruction, cache, replay, spec)
        ready = await self._check_setup() if check_setup else None
        bus = bus if bus is not None else Bus()
        try:
            if out_dir is not None:
                run_dir = Path(out_dir)
                (run_dir / "steps").mkdir(parents=True, exist_ok=True)
            else:
                run_dir = new_run_dir(self.config.runs_dir, instruction)
        except BaseException:
            if ready is not None:  # what the check opened must not outlive the failed start
                await _release(ready[1], ready[2] if ready[3] else None)
            raise
        serial = self.device if isinstance(self.device, str) else getattr(self.device, "serial", None)
        writer = TrajectoryWriter(
            run_dir, meta={"instruction": instruction, "mode": self.config.mode, "device": serial}
        )
        if spec is not None:
            writer.meta["output_schema"] = spec.schema
        unsubscribe = [bus.subscribe(writer)] + [bus.subscribe(cb) for cb in self._subscribers]
        owned_models: list[ChatModel] = []
        device: Device | None = None
        owned_device = False
        result: RunResult | None = None
        runner: Runner | None = None
        if ready is not None:
            models, owned_models, device, owned_device = ready
        try:
            try:
                if ready is None:
                    models, owned_models = self._models()
                writer.meta["model"] = {r: getattr(m, "name", "?") for r, m in models.items()}
            except (ConfigError, ValueError, ImportError) as exc:
                result = RunResult(
                    "failed", f"model setup failed: {exc}", error="config", instruction=instruction
                )
                return result
            try:
                if ready is None:
                    device, owned_device = await connect(self.device)
                writer.meta["device"] = getattr(device, "serial", serial)
            except DeviceError as exc:
                kind = "device_not_found" if isinstance(exc, DeviceNotFound) else "device_error"
                result = RunResult("failed", f"device error: {exc}", error=kind, instruction=instruction)
                return result
            assert device is not None
            runner = Runner(
                device,
                models,
                self.config,
                bus,
                human=self.human,
                cancel=cancel,
                output=spec,
                prelude=session,
            )
            result = await runner.run(
                instruction, knowledge=knowledge, max_steps=max_steps, max_seconds=max_seconds
            )
            return result
        finally:
            if result is None:  # the calling task was cancelled (or something escaped)
                result = (runner.result if runner is not None else None) or RunResult(
                    "cancelled", "the run was cancelled", error="cancelled", instruction=instruction
                )
            result.run_dir = run_dir
            result.mode = self.config.mode
            if runner is None and not bus.closed:  # setup failed before the loop started
                bus.publish(
                    EventType.ERROR, {"where": "setup", "message": result.reason, "kind": result.error}
                )
                bus.publish(
                    EventType.TASK_FINISHED,
                    {"status": result.status, "reason": result.reason, "error": result.error, "steps": 0},
                )
            if not result.instruction:
                result.instruction = instruction
            writer.finish(result.to_json())
            if session is not None:
                session.after_run(result, run_dir)
            for unsub in unsubscribe:
                unsub()
            bus.close()
            for model in owned_models:
                with contextlib.suppress(Exception):
                    await model.aclose()
            if owned_device and device is not None:
                with contextlib.suppress(Exception):
                    await device.close()

    def _replay_session(
        self,
        instruction: str,
        cache: str | Path | None,
        replay: str | Path | ReplaySession | None,
        spec: OutputSpec | None,
    ) -> ReplaySession | None:
        """The run's replay prelude, or None; ValueError (RecipeError) for an unusable recipe."""
        if cache is None and replay is None:
            return None
        if spec is not None:
            raise ValueError("a replay or the plan cache cannot give a structured answer (output=)")
        from mobile_agent.replay.session import NoModel, ReplaySession

        if isinstance(replay, ReplaySession):
            return replay
        return ReplaySession(
            recipe=replay,
            cache=cache,
            instruction=instruction,
            mode=self.config.mode,
            can_hand_over=not isinstance(self.models, NoModel),
        )

    async def _check_setup(self) -> tuple[dict[str, ChatModel], list[ChatModel], Device, bool]:
        """Models, device and endpoints, all checked before a run directory exists.

        Raises SetupError with every problem found; whatever was opened is closed again.
        """
        problems: list[SetupProblem] = []
        models: dict[str, ChatModel] = {}
        owned_models: list[ChatModel] = []
        try:
            models, owned_models = self._models()
        except (ConfigError, ValueError, ImportError) as exc:
            problems.append(SetupProblem("config", f"model setup failed: {exc}"))
        try:
            device, owned = await check_setup(self.device, self.config, self._own_roles())
        except SetupError as exc:
            problems.extend(exc.problems)
        if problems:
            await _release(owned_models, None)
            raise SetupError(problems)
        return models, owned_models, device, owned
