"""The single-machine path stays as it was: no Ray or psycopg import; `--cluster` says what it needs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_plain_serve_imports_neither_ray_nor_psycopg() -> None:
    code = (
        "import sys, mobile_agent.cli, mobile_agent.api.__main__, mobile_agent.api.app\n"
        "mobile_agent.api.__main__.build_parser().parse_args([])\n"
        "bad = [m for m in ('ray', 'psycopg') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)


def test_cluster_serve_refuses_a_store_that_is_not_postgresql(tmp_path) -> None:  # type: ignore[no-untyped-def]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "mobile_agent.api",
            "--cluster",
            "127.0.0.1:9",
            "--port",
            "0",
            "--db-url",
            f"sqlite:///{tmp_path}/x.db",
            "--runs-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 2
    assert "--db-url postgresql+psycopg://" in out.stderr


def test_host_without_a_cluster_says_how_to_give_one() -> None:
    out = subprocess.run(
        [str(Path(sys.executable).with_name("mobile-agent")), "host", "--sim", "1"],
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if k != "MOBILE_AGENT_CLUSTER"},
    )
    assert out.returncode == 2 and "--cluster ADDRESS" in out.stderr


def test_cluster_serve_with_no_ray_head_exits_2_and_says_so(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A mistyped --cluster used to block in ray.init for minutes under a wall of GCS warnings."""
    from ci_guard import skip_or_fail

    from mobile_agent.testing.fleet_procs import Postgres, have_postgres

    if not have_postgres():
        skip_or_fail("PostgreSQL 15 is not installed (apt-get install postgresql)")
    pg = Postgres()
    try:
        out = _serve_cluster_no_head(pg.url, tmp_path)
    finally:
        pg.close()
    assert out.returncode == 2, out.stderr[-2000:]
    assert "no Ray cluster answers at 127.0.0.1:9" in out.stderr


def _serve_cluster_no_head(db_url: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            str(Path(sys.executable).with_name("mobile-agent")),
            "serve",
            "--cluster",
            "127.0.0.1:9",
            "--port",
            "0",
            "--db-url",
            db_url,
            "--runs-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )


def test_cluster_serve_with_an_unreachable_store_exits_2_without_its_password(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The store is checked before Ray: a store that is down used to end in a SQLAlchemy traceback."""
    out = subprocess.run(
        [
            str(Path(sys.executable).with_name("mobile-agent")),
            "serve",
            "--cluster",
            "127.0.0.1:9",
            "--port",
            "0",
            "--db-url",
            "postgresql+psycopg://fleet:S3cretPw@127.0.0.1:9/fleet",
            "--runs-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=90,
    )
    assert out.returncode == 2, out.stderr[-2000:]
    assert "the task store at postgresql+psycopg://fleet:***@127.0.0.1:9/fleet does not answer" in out.stderr
    assert "S3cretPw" not in out.stderr + out.stdout
    assert "Traceback" not in out.stderr
