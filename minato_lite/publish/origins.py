"""One origin per site: `--public-url https://{site}.sites.example/` and what it implies.

Sites that share an origin share everything a browser keys by origin: storage
(IndexedDB, the service worker's scope, caches), cookies, and the right to
read each other's files with `fetch`. Live code in one site (an LLM's, a
visitor's) could then list the browser's other `minato-lite-<id>` stores and
read the data of every other site of the deployment. Giving each site its own
host name gives it its own origin: `https://<id>.sites.example/`.

The app and Pyodide, stored once per deployment under `_shared/`, are served
from one sibling origin, `https://assets.sites.example/` (the template with
`assets` for the site), with the CORS headers module workers and `fetch`
need. Browsers key their HTTP cache by top-level *site* (scheme and
registrable domain) and the full URL: every `*.sites.example` page is one
site to the cache, and all of them load the same URLs, so a second site's
visit finds the shared files cached. (`a.localhost` and `b.localhost` are two
sites to Chromium's cache; `a.sites.localhost` and `b.sites.localhost` are one,
which is why tests use `{site}.sites.localhost`.)

Site names become host labels: lowercase letters, digits and hyphens, at most
63, not `assets`. Without `{site}` every site lives under one origin, and the
API says so once at start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from ..errors import UserError

PLACEHOLDER = "{site}"
#: the label of the shared-assets origin, in place of a site's name
ASSETS = "assets"
#: a site's name as a DNS label (RFC 1123): what a `{site}` deployment's names must be
LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


@dataclass(frozen=True)
class SiteOrigins:
    """A `{site}` template, e.g. `http://{site}.sites.localhost:8080/`."""

    template: str

    @classmethod
    def parse(cls, url: str | None) -> SiteOrigins | None:
        """The template in a `--public-url`, or None when it names one origin for all."""
        if not url or PLACEHOLDER not in url:
            return None
        parts = urlsplit(url.replace(PLACEHOLDER, "x"))
        host = urlsplit(url).netloc
        if (
            url.count(PLACEHOLDER) != 1
            or parts.scheme not in ("http", "https")
            or not host.startswith(PLACEHOLDER + ".")
            or parts.path not in ("", "/")
            or parts.query
            or parts.fragment
        ):
            raise UserError(
                f"--public-url {url!r}: {PLACEHOLDER} must be the first label of the host, "
                "as in https://{site}.sites.example/ (sites at the root of their own origin)"
            )
        return cls(url.rstrip("/") + "/")

    def origin(self, label: str) -> str:
        """`scheme://<label>.rest[:port]/` for a site's name or `ASSETS`."""
        return self.template.replace(PLACEHOLDER, label)

    def site_url(self, name: str, path: str = "") -> str:
        return self.origin(check_label(name)) + path

    @property
    def assets_url(self) -> str:
        return self.origin(ASSETS)

    @property
    def host_suffix(self) -> str:
        """What every site's host ends with: `.sites.localhost:8080` (port included)."""
        return urlsplit(self.template).netloc[len(PLACEHOLDER) :]

    def label_of(self, host: str) -> str | None:
        """The site name (or `ASSETS`) a request's Host names; None for any other host."""
        host = host.lower()
        suffix = self.host_suffix.lower()
        if not host.endswith(suffix):
            # a Host without the default port (":80" / ":443" omitted by the client)
            bare = suffix.rsplit(":", 1)[0] if suffix.count(":") == 1 else suffix
            if not host.endswith(bare) or ":" in host[: -len(bare)]:
                return None
            suffix = bare
        label = host[: -len(suffix)]
        return label if LABEL.fullmatch(label) else None


def check_label(name: str) -> str:
    """`name` if it can be a site's host label (a `{site}` deployment's sites)."""
    if not LABEL.fullmatch(name) or name == ASSETS:
        raise UserError(
            f"site name {name!r} cannot be a host name: with {PLACEHOLDER} in --public-url, "
            f"names are lowercase letters, digits and '-' (at most 63), not {ASSETS!r}"
        )
    return name
