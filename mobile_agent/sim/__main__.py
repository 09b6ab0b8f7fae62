"""`python -m mobile_agent.sim [--port 6555] [--count N] [--seed S]`."""

from __future__ import annotations

import argparse

from mobile_agent.sim.server import run_sim


def main(argv: list[str] | None = None) -> None:
    """Parse the same options as `mobile-agent sim` and serve until interrupted."""
    parser = argparse.ArgumentParser(
        prog="python -m mobile_agent.sim", description="Run virtual Android phones over ADB."
    )
    parser.add_argument("--port", type=int, default=6555, help="first ADB port (0: ephemeral ports)")
    parser.add_argument("--count", type=int, default=1, help="number of phones")
    parser.add_argument("--seed", type=int, default=0, help="seed of the first phone (phone i gets seed+i)")
    args = parser.parse_args(argv)
    if args.count < 1:
        parser.error("--count must be >= 1")
    run_sim(port=args.port, count=args.count, seed=args.seed)


if __name__ == "__main__":
    main()
