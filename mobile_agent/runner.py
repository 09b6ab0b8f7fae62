"""Moved: the step loop is the package `mobile_agent.loop` (this name goes away)."""

from mobile_agent.loop.observe import STATUS_BAR_SHARE, Screen, screen_difference, screen_key
from mobile_agent.loop.result import RunResult
from mobile_agent.loop.runner import Runner

__all__ = ["STATUS_BAR_SHARE", "RunResult", "Runner", "Screen", "screen_difference", "screen_key"]
