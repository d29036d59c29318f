"""A TCP proxy in front of the database that a test can cut and restore, like a network would.

It runs its own event loop in a thread, so the test's own work never slows the forwarding down.

- ``cut("refuse")``: every open connection is reset and new ones are reset on arrival — the database
  went away (crash, restart, failover).
- ``cut("blackhole")``: open connections stop moving bytes and new ones are accepted but never
  answered — a network partition, where only timeouts tell the client anything.
- ``restore()``: frozen and silent connections are reset (the partition outlived them) and new
  connections are forwarded again.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from collections.abc import Coroutine
from typing import Any, Literal

__all__ = ["TcpProxy"]

CutMode = Literal["refuse", "blackhole"]


class TcpProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.host = "127.0.0.1"
        self.port = 0
        self._mode: CutMode | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="tcp-proxy", daemon=True)
        self._server: asyncio.Server | None = None

    def __enter__(self) -> TcpProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def cut(self, mode: CutMode = "refuse") -> None:
        self._call(self._cut(mode))

    def restore(self) -> None:
        self._call(self._restore())

    @property
    def is_cut(self) -> bool:
        return self._mode is not None

    def _call(self, coroutine: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout=10)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        self._reset_all()
        await self._server.wait_closed()

    async def _cut(self, mode: CutMode) -> None:
        self._mode = mode
        if mode == "refuse":
            self._reset_all()

    async def _restore(self) -> None:
        self._mode = None
        self._reset_all()

    def _reset_all(self) -> None:
        for writer in list(self._writers):
            _reset(writer)
        self._writers.clear()

    async def _accept(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        if self._mode == "refuse":
            _reset(client_writer)
            return
        self._writers.add(client_writer)
        if self._mode == "blackhole":
            return  # accepted and never answered; reset on restore
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            _reset(client_writer)
            return
        self._writers.add(server_writer)
        pipes = [
            asyncio.ensure_future(self._pipe(client_reader, server_writer)),
            asyncio.ensure_future(self._pipe(server_reader, client_writer)),
        ]
        # When one side hangs up, the other must hear it (a Terminate is answered by the server closing).
        await asyncio.wait(pipes, return_when=asyncio.FIRST_COMPLETED)
        for pipe in pipes:
            pipe.cancel()
        for writer in (client_writer, server_writer):
            self._writers.discard(writer)
            if not writer.is_closing():
                writer.close()

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                data = await reader.read(65536)
            except OSError:
                return
            if not data:
                return
            while self._mode == "blackhole":
                if writer.is_closing():
                    return
                await asyncio.sleep(0.05)  # frozen: hold the bytes until restore resets us
            if writer.is_closing():
                return
            writer.write(data)
            try:
                await writer.drain()
            except OSError:
                return


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST rather than FIN, as a dead peer or a firewall would."""
    transport = writer.transport
    if transport.is_closing():
        return
    sock = transport.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    transport.abort()
