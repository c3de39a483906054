"""A byte meter on the wire: a TCP relay in front of a server that counts what it sends back.

The browser talks to the relay's port exactly as it would to the server (the
bytes are copied, never parsed or changed), so a visit's cost is measured at
the server's side of the connection: every response to the page, its workers
and its service worker, headers included, as stored (gzip stays gzip).
"""

from __future__ import annotations

import contextlib
import socket
import socketserver
import threading


class _Relay(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        server: ByteMeter = self.server  # type: ignore[assignment]
        upstream = socket.create_connection(server.upstream, timeout=30)
        done = threading.Event()

        def pump(source: socket.socket, sink: socket.socket, count: bool) -> None:
            try:
                while chunk := source.recv(65536):
                    sink.sendall(chunk)
                    if count:
                        with server.lock:
                            server.sent += len(chunk)
            except OSError:
                pass
            finally:
                done.set()

        back = threading.Thread(target=pump, args=(upstream, self.request, True), daemon=True)
        back.start()
        pump(self.request, upstream, False)
        done.wait(timeout=60)
        for sock in (upstream, self.request):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        upstream.close()
        back.join(timeout=5)


class ByteMeter(socketserver.ThreadingTCPServer):
    """Relay 127.0.0.1:<port> to `upstream`; `sent` counts bytes from the server to clients."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, upstream: tuple[str, int]) -> None:
        super().__init__(("127.0.0.1", 0), _Relay)
        self.upstream = upstream
        self.sent = 0
        self.lock = threading.Lock()
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def reset(self) -> int:
        """The bytes counted so far; counting starts again from zero."""
        with self.lock:
            sent, self.sent = self.sent, 0
        return sent

    def close(self) -> None:
        self.shutdown()
        self.server_close()
