"""A recording proxy: every request Chromium sends off 127.0.0.1 lands here and fails.

Chromium is started with this as its proxy (loopback bypasses proxies), so a
request from the page, a worker or the service worker that would leave the
machine is recorded and refused with 403, whatever JavaScript context made it.
"""

from __future__ import annotations

import socketserver
import threading
from urllib.parse import urlsplit

#: Chromium's own background services (component updater, network time, sign-in,
#: autofill). They call home from the browser process even on about:blank (measured),
#: no page asks for them, and no site resource is ever served from them.
BROWSER_SERVICE_HOSTS = frozenset(
    {
        "update.googleapis.com",
        "clients2.google.com",
        "accounts.google.com",
        "content-autofill.googleapis.com",
    }
)


def requested_host(request_line: str) -> str:
    """Host of a proxied request line: `CONNECT host:443 ...` or `GET http://host/... ...`."""
    parts = request_line.split()
    if len(parts) < 2:
        return ""
    target = parts[1]
    if parts[0] == "CONNECT":
        return target.rsplit(":", 1)[0]
    return urlsplit(target).hostname or ""


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        line = self.rfile.readline(65536).decode("latin-1").strip()
        if line:
            self.server.attempts.append(line)  # type: ignore[attr-defined]
        self.wfile.write(
            b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )


class RecordingProxy(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.attempts: list[str] = []
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def site_attempts(self, since: int = 0) -> list[str]:
        """Attempts after index `since` that are not Chromium's own background services."""
        return [a for a in self.attempts[since:] if requested_host(a) not in BROWSER_SERVICE_HOSTS]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def close(self) -> None:
        self.shutdown()
        self.server_close()
