"""Every flag our launcher can emit is one the installed vLLM's own parser accepts.

For each profile and parallel plan (one GPU, tensor parallel, data parallel on one node and
over nodes with headless ranks, pipeline parallel over Ray, CPU mode with its extras), the
argv is parsed by `vllm serve`'s real argument parser in the vLLM venv, values included (the
JSON forms of --limit-mm-per-prompt and friends). A renamed or removed flag fails here, not in
a user's deployment.
"""

from __future__ import annotations

import json
from pathlib import Path

from vllm_support import vllm_python

from mobile_agent.llm.profiles import ModelProfile, list_profiles
from serving.cpu import cpu_args
from serving.launcher import build_command
from serving.planner import ParallelPlan, PlanError, plan

# Builds `vllm serve`'s parser the way vllm's CLI main does, and parses each argv with it.
PARSE = r"""
import json, sys, contextlib, io
from vllm.entrypoints.cli import serve
from vllm.utils.argparse_utils import FlexibleArgumentParser
parser = FlexibleArgumentParser(prog="vllm")
sub = parser.add_subparsers(dest="subparser")
for cmd in serve.cmd_init():
    cmd.subparser_init(sub)
results = []
for argv in json.load(open(sys.argv[1])):
    err = io.StringIO()
    try:
        with contextlib.redirect_stderr(err):
            parser.parse_args(argv)
        results.append(None)
    except SystemExit:
        results.append(err.getvalue().strip().splitlines()[-1] if err.getvalue().strip() else "rejected")
print(json.dumps(results))
"""


def _pipeline_plan(p: ModelProfile) -> ParallelPlan:
    """A layout whose replica spans nodes: one small GPU per node."""
    for memory in (12, 24, 40):
        try:
            pl = plan(p, gpu_memory_gib=memory, gpus_per_node=1, nodes=8)
        except PlanError:
            continue
        if pl.pipeline_parallel > 1:
            return pl
    raise AssertionError(f"no pipeline-parallel layout found for {p.name}")


def _commands() -> list[list[str]]:
    cmds: list[list[str]] = []
    for p in list_profiles():
        layouts = [
            plan(p, gpu_memory_gib=80, gpus_per_node=1),  # one GPU
            plan(p, gpu_memory_gib=80, gpus_per_node=8),  # data parallel on one node
            plan(p, gpu_memory_gib=24, gpus_per_node=4),  # tensor parallel
            plan(p, gpu_memory_gib=24, gpus_per_node=8, nodes=2),  # DP over nodes
        ]
        for pl in layouts:
            for rank in range(pl.nodes):
                cmds.append(build_command(p, pl, node_rank=rank, head_address="10.0.0.1", model_path="/m"))
        cmds.append(build_command(p, _pipeline_plan(p), head_address="10.0.0.1"))  # stages over Ray
        for dtype in ("float32", "bfloat16", None):  # CPU mode
            cmds.append(
                build_command(p, plan(p, gpu_memory_gib=80, gpus_per_node=1), extra_args=cpu_args(dtype))
            )
    return cmds


def _parse(venv: Path, tmp_path: Path, argvs: list[list[str]]) -> list[str | None]:
    data = tmp_path / "argv.json"
    data.write_text(json.dumps([a[1:] for a in argvs]))  # without the executable name
    proc = vllm_python(venv, PARSE, str(data), timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_every_emitted_flag_is_known_to_the_installed_vllm(vllm_venv_dir: Path, tmp_path: Path) -> None:
    cmds = _commands()
    flags = {a for c in cmds for a in c if a.startswith("--")}
    # The layouts above reach every flag the launcher has (multi-node DP, headless, Ray, CPU).
    assert {"--headless", "--data-parallel-start-rank", "--distributed-executor-backend"} <= flags
    assert {"--enforce-eager", "--dtype", "--data-parallel-rpc-port"} <= flags
    # ... and a flag vLLM does not know is caught by the same check.
    bogus = [*cmds[0], "--limit-mm-per-prompt-images", "2"]
    results = _parse(vllm_venv_dir, tmp_path, [*cmds, bogus])
    refused = {" ".join(c): r for c, r in zip([*cmds, bogus], results, strict=True) if r}
    assert list(refused) == [" ".join(bogus)], refused
    assert "--limit-mm-per-prompt-images" in refused[" ".join(bogus)]
