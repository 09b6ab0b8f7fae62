"""A stand-in for `vllm serve`: the OpenAI-compatible endpoints the launcher and doctor probe.

Run as a script it takes vLLM's argv (`serve MODEL --served-model-name NAME --port P ...`),
writes that argv as JSON to $FAKE_VLLM_ARGV, and serves until SIGTERM/SIGINT. With
FAKE_VLLM_FAIL=N it exits with status N at once, like a server whose model failed to load.
Like vLLM it can leave a worker process behind (FAKE_VLLM_WORKER_PID: a child that ignores
SIGTERM, its pid written there) and be stuck on SIGTERM (FAKE_VLLM_IGNORE_TERM=1);
FAKE_VLLM_ENV names a file that gets the VLLM_* environment it saw.
Imported, `serve_in_thread` runs the same server on an ephemeral port for in-process tests.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def make_handler(served: str, api_key: str | None = None) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: object) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _authorised(self) -> bool:
            if api_key and self.headers.get("Authorization") != f"Bearer {api_key}":
                self._send(401, {"error": "bad api key"})
                return False
            return True

        def do_GET(self) -> None:
            if self.path == "/health":
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif self.path == "/v1/models":
                if self._authorised():
                    self._send(200, {"object": "list", "data": [{"id": served, "object": "model"}]})
            else:
                self._send(404, {"error": "not found"})

        def do_POST(self) -> None:
            if self.path != "/v1/chat/completions":
                self._send(404, {"error": "not found"})
                return
            if not self._authorised():
                return
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
            if body.get("model") != served:
                self._send(404, {"error": f"model {body.get('model')} not found"})
                return
            self._send(
                200,
                {
                    "id": "x",
                    "object": "chat.completion",
                    "model": served,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": "OK"},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"prompt_tokens": 12, "completion_tokens": 1, "total_tokens": 13},
                },
            )

    return Handler


def serve_in_thread(served: str, api_key: str | None = None) -> ThreadingHTTPServer:
    """Start the stand-in on 127.0.0.1 and an ephemeral port; call .shutdown() when done."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(served, api_key))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(argv: list[str]) -> int:
    if os.environ.get("FAKE_VLLM_FAIL"):
        print("fake vllm: model failed to load", file=sys.stderr)
        return int(os.environ["FAKE_VLLM_FAIL"])
    if path := os.environ.get("FAKE_VLLM_ARGV"):
        with open(path, "w") as fh:
            json.dump(argv, fh)
    if path := os.environ.get("FAKE_VLLM_ENV"):
        with open(path, "w") as fh:
            json.dump({k: v for k, v in os.environ.items() if k.startswith("VLLM_")}, fh)
    if path := os.environ.get("FAKE_VLLM_WORKER_PID"):
        code = "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(300)"
        worker = subprocess.Popen([sys.executable, "-c", code])
        with open(path, "w") as fh:
            fh.write(str(worker.pid))
    served = argv[argv.index("--served-model-name") + 1]
    port = int(argv[argv.index("--port") + 1])
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(served, os.environ.get("VLLM_API_KEY")))

    def stop(_sig: int, _frame: object) -> None:
        threading.Thread(target=server.shutdown).start()

    ignore_term = os.environ.get("FAKE_VLLM_IGNORE_TERM") == "1"
    signal.signal(signal.SIGTERM, signal.SIG_IGN if ignore_term else stop)
    signal.signal(signal.SIGINT, stop)
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
