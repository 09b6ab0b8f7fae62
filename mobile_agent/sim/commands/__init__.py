"""The virtual phone's shell commands, one module per family, each registering into
`registry` when imported; importing this package registers them all.

toybox and the shell's built-ins: `builtins`, `files`, `text`, `ps`; Android's framework tools:
`input`, `screen`, `activity` (am, monkey), `keyboards` (am broadcast), `dumpsys`, `packages`
(pm), `settings` (settings, ime), `content`, `system` (getprop, svc, app_process ...), `cmd`,
`logcat` (log, logcat). Output formats and exit codes follow what Android 14 prints.
"""

from mobile_agent.sim.commands import (  # noqa: F401  (imported to register their commands)
    activity,
    builtins,
    cmd,
    content,
    dumpsys,
    files,
    input,
    keyboards,
    logcat,
    packages,
    ps,
    screen,
    settings,
    system,
    text,
)
from mobile_agent.sim.commands.registry import Command, Ctx, all_commands

__all__ = ["Command", "Ctx", "all_commands"]
