"""A real HTTP server on 127.0.0.1 in its own thread that records the webhooks it receives.

Each request takes the next planned answer (``plan``: a status code, or ``"hang"`` to answer only
after ``hang_seconds``); once the plan is used up every request gets 200.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["Received", "WebhookServer", "webhook_server"]


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int | str


class WebhookServer:
    def __init__(self, port: int = 0) -> None:
        self.plan: list[int | str] = []
        self.hang_seconds = 1.0
        self.received: list[Received] = []
        self._lock = threading.Lock()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's hook
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with server._lock:
                    answer = server.plan.pop(0) if server.plan else 200
                    server.received.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, answer)
                    )
                if answer == "hang":
                    time.sleep(server.hang_seconds)
                    answer = 200
                self.send_response(int(answer))
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - quiet
                return

        self._http = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._http.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._http.server_address[1]}/sms"
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @classmethod
    def on_port(cls, port: int) -> WebhookServer:
        """A server on a port an earlier one used (it comes back after an outage)."""
        return cls(port)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        if self._thread.is_alive():
            self._http.shutdown()
        self._http.server_close()

    @property
    def delivered(self) -> list[Received]:
        """The requests answered with a 2xx (a hang ends in 200)."""
        with self._lock:
            return [
                item for item in self.received if item.answered == "hang" or 200 <= int(item.answered) < 300
            ]


@contextmanager
def webhook_server() -> Iterator[WebhookServer]:
    server = WebhookServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
