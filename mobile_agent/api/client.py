"""`mobile-agent submit "..." [--server URL] [--follow]`: the task API from a terminal.

Submits over httpx; with `--follow`, reads the task's Server-Sent Events (resuming with
Last-Event-ID if the connection drops), prints them the way `mobile-agent run` does, answers a
pending question or confirmation from the keyboard when there is one, and exits 0 when the
task succeeded, 1 when it did not, 2 when it could not be submitted or followed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx
from rich.console import Console
from rich.markup import escape

from mobile_agent.redact import redact, remember

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_SERVER = "http://127.0.0.1:8080"


class ClientError(Exception):
    """The server refused or could not be reached; the message says why."""


def _headers(token: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} if token else {}


def _explain(r: httpx.Response) -> str:
    try:
        detail = r.json().get("detail")
    except (ValueError, AttributeError):
        detail = r.text
    if isinstance(detail, list):
        detail = "; ".join(
            f"{'.'.join(str(x) for x in d.get('loc', [])[1:])}: {d.get('msg')}" for d in detail
        )
    hint = " (set --token or MOBILE_AGENT_API_TOKEN)" if r.status_code == 401 else ""
    return f"HTTP {r.status_code}: {detail}{hint}"


def iter_sse(client: httpx.Client, path: str, after: int = 0) -> Iterator[dict[str, Any]]:
    """The task's events (JSON), resuming after `after`; reconnects on a dropped connection."""
    failures = 0
    while True:
        headers = {"Accept": "text/event-stream"}
        if after:
            headers["Last-Event-ID"] = str(after)
        try:
            with client.stream("GET", path, headers=headers, timeout=httpx.Timeout(10, read=None)) as r:
                if r.status_code == 204:
                    return
                if r.status_code != 200:
                    r.read()
                    raise ClientError(_explain(r))
                data: list[str] = []
                for line in r.iter_lines():
                    if line == "":
                        if data:
                            event = json.loads("\n".join(data))
                            after = int(event.get("seq", after))
                            failures = 0
                            yield event
                            if event.get("type") == "task.finished":
                                return
                        data = []
                    elif line.startswith("data:"):
                        data.append(line[5:].lstrip(" "))
            return  # the server ended the stream
        except (httpx.TransportError, httpx.RemoteProtocolError) as exc:
            failures += 1
            if failures > 5:
                raise ClientError(f"lost the event stream: {exc}") from exc
            time.sleep(min(2.0**failures * 0.25, 5.0))


def _ask(console: Console, event: dict[str, Any]) -> dict[str, Any] | None:
    """Read a reply for a human.requested event from the keyboard (None: leave it)."""
    data = event.get("data") or {}
    kind, prompt = data.get("kind", "question"), data.get("prompt", "")
    console.print(f"[bold yellow]The agent asks[/] ({escape(str(kind))}): {escape(str(prompt))}")
    try:
        if kind == "confirm":
            answer = console.input("Approve? \\[y/N] ").strip().lower()
            return {"text": answer, "approve": answer in ("y", "yes")}
        return {"text": console.input("Your answer: ")}
    except EOFError:
        return None


def _printer(console: Console) -> Any:
    try:
        from mobile_agent.progress import ProgressPrinter

        return ProgressPrinter(console)
    except ImportError:  # pragma: no cover - progress ships with the package
        return None


def _print_event(console: Console, printer: Any, event: dict[str, Any]) -> None:
    line: str | None = None
    if printer is not None:
        from mobile_agent.bus import Event

        try:
            line = printer.format(Event(**event))
        except Exception:
            line = None
    elif event.get("type") not in ("screen.captured", "model.call"):
        line = f"{event.get('type')} {json.dumps(event.get('data'), ensure_ascii=False)[:160]}"
    if line:
        console.print(line)


def submit(
    instruction: str,
    server: str | None = None,
    follow: bool = False,
    token: str | None = None,
    *,
    device: str | None = None,
    max_steps: int | None = None,
    max_seconds: float | None = None,
    mode: str | None = None,
    model: str | None = None,
    interactive: bool | None = None,
    console: Console | None = None,
    output_schema: dict[str, Any] | None = None,
) -> int:
    """Submit a task; with `follow`, stream it to the end. Returns the exit code (0 = succeeded)."""
    console = console or Console(highlight=False)
    server = (server or os.environ.get("MOBILE_AGENT_SERVER") or DEFAULT_SERVER).rstrip("/")
    token = token or os.environ.get("MOBILE_AGENT_API_TOKEN") or None
    remember(token, server)
    shown = redact(server)  # the server URL as printed: no password, no ?token=
    if interactive is None:
        interactive = sys.stdin.isatty()
    body: dict[str, Any] = {"instruction": instruction}
    for key, value in (
        ("device", device),
        ("max_steps", max_steps),
        ("max_seconds", max_seconds),
        ("mode", mode),
        ("model", model),
        ("output_schema", output_schema),
    ):
        if value is not None:
            body[key] = value
    try:
        with httpx.Client(base_url=server, headers=_headers(token), timeout=30) as client:
            r = client.post("/v1/tasks", json=body)
            if r.status_code != 201:
                raise ClientError(_explain(r))
            task_id = r.json()["id"]
            console.print(f"submitted [bold]{escape(task_id)}[/]  {escape(shown)}/tasks/{escape(task_id)}")
            if not follow:
                return EXIT_OK
            printer = _printer(console)
            finished: dict[str, Any] = {}
            for event in iter_sse(client, f"/v1/tasks/{task_id}/events"):
                _print_event(console, printer, event)
                if event.get("type") == "task.finished":
                    finished = event.get("data") or {}
                if event.get("type") == "human.requested" and interactive:
                    reply = _ask(console, event)
                    if reply is not None:
                        rr = client.post(f"/v1/tasks/{task_id}/reply", json=reply)
                        if rr.status_code != 200:
                            console.print(f"[red]reply refused:[/] {escape(_explain(rr))}")
            task = _final(client, task_id)
            if finished.get("status") and task["status"] not in TERMINAL:
                task.update(status=finished["status"], reason=finished.get("reason"))
    except ClientError as exc:
        console.print(f"[red]error:[/] {escape(redact(str(exc)))}")
        return EXIT_USAGE
    except httpx.HTTPError as exc:
        console.print(
            f"[red]error:[/] cannot reach the API at {escape(shown)}: {escape(redact(str(exc)))}. "
            "Is `mobile-agent serve` running?"
        )
        return EXIT_USAGE
    style = "green" if task["status"] == "succeeded" else "red"
    console.print(
        f"[bold {style}]{task['status']}[/] after {task['steps']} steps: {escape(task.get('reason') or '')}"
    )
    if task.get("answer"):
        console.print(f"answer: {escape(str(task['answer']))}")
    if task.get("output") is not None:
        # one line, never wrapped: the JSON must stay machine-readable
        console.print(f"output: {escape(json.dumps(task['output'], ensure_ascii=False))}", soft_wrap=True)
    return EXIT_OK if task["status"] == "succeeded" else EXIT_FAILED


TERMINAL = ("succeeded", "failed", "cancelled", "interrupted")


def _final(client: httpx.Client, task_id: str, wait_s: float = 5.0) -> dict[str, Any]:
    """The task once the server has recorded its end (it does so just after task.finished)."""
    deadline = time.monotonic() + wait_s
    while True:
        r = client.get(f"/v1/tasks/{task_id}")
        if r.status_code != 200:
            raise ClientError(_explain(r))
        task: dict[str, Any] = r.json()
        if task["status"] in TERMINAL or time.monotonic() > deadline:
            return task
        time.sleep(0.1)


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mobile-agent submit", description="Submit a task to a running API server."
    )
    p.add_argument("instruction")
    p.add_argument("--server", default=None, help=f"API URL (MOBILE_AGENT_SERVER, default {DEFAULT_SERVER})")
    p.add_argument("--token", default=None, help="API token (MOBILE_AGENT_API_TOKEN)")
    p.add_argument("--follow", "-f", action="store_true", help="stream the task's events until it ends")
    p.add_argument("--device", default=None, help="serial of the device to run on")
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--max-seconds", type=float, default=None)
    p.add_argument("--mode", choices=["multi", "single"], default=None)
    p.add_argument("--model", default=None)
    p.add_argument(
        "--output-schema",
        default=None,
        metavar="FILE",
        help="a JSON Schema file: the answer must be JSON matching it (`output` of the task)",
    )
    p.add_argument("--no-input", action="store_true", help="never prompt for replies")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of `mobile-agent submit` (argv without the command name)."""
    args = build_parser().parse_args(argv)
    schema = None
    if args.output_schema is not None:
        from mobile_agent.output import OutputSchemaError, load_schema_file

        try:
            schema = load_schema_file(args.output_schema)
        except OutputSchemaError as exc:
            Console(stderr=True, highlight=False).print(f"[red]error:[/] --output-schema: {escape(str(exc))}")
            return EXIT_USAGE
    return submit(
        args.instruction,
        server=args.server,
        follow=args.follow,
        token=args.token,
        device=args.device,
        max_steps=args.max_steps,
        max_seconds=args.max_seconds,
        mode=args.mode,
        model=args.model,
        interactive=False if args.no_input else None,
        output_schema=schema,
    )


submit_main = main
