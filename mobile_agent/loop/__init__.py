"""The step loop as a package: the loop (`runner`), observation, actuation, model calls, the
roles' turns, guards and the result. `mobile_agent.agent.Agent` is the usual way in."""

from mobile_agent.loop.result import RunResult
from mobile_agent.loop.runner import Runner

__all__ = ["RunResult", "Runner"]
