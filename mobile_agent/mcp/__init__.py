"""`mobile-agent mcp`: the framework as an MCP server (an interface layer, like the CLI and the API).

`server.build_server` registers the tools (`devices`, `screenshot`, `ui_tree`, `tap`, `swipe`,
`type_text`, `press_key`, `open_app`, `run_task`, `task_status`, `cancel_task`) and the
`mobile-agent://runs/latest/...` resources; `cli.mcp_main` is the command. The `mcp` SDK is an
optional dependency (`pip install 'mobile-agent[mcp]'`), imported only when the command runs.
"""

__all__: list[str] = []
