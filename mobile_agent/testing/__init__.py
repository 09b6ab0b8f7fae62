"""Test instruments: an OpenAI-compatible stub chat server and scripted responders for it; and,
imported by their module path only, a fleet's real processes (`fleet_procs`: PostgreSQL, a Ray
head and nodes, hosts, replicas) and the fleet tests' scripted model (`fleet_policy`).

They let tests, benchmarks and the demo talk to the agent exactly as vLLM would, over HTTP.
Production code (the agent, the CLI's run path, the API, `llm/`) never imports this package;
it imports production code, never the reverse.
"""

from mobile_agent.testing.responders import Answer, ScriptedResponder, ScriptExhausted, load_recorded_run
from mobile_agent.testing.stub_server import ChatRequest, StubChatServer, StubFault, decode_data_url

__all__ = [
    "Answer",
    "ChatRequest",
    "ScriptExhausted",
    "ScriptedResponder",
    "StubChatServer",
    "StubFault",
    "decode_data_url",
    "load_recorded_run",
]
