"""How the API answers: JSON or a page by `Accept`, and errors that say what without echoing.

Errors are JSON `{"error": ...}` whatever `Accept` says. A 422 names the field
and the rule it broke, never the value sent (a request may hold a megabyte of
code). A failure of the store or the machine is 503 with Retry-After and a
message that holds no internals (no endpoint, bucket or path): those go to
the server's log.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ...errors import one_line
from ...markup import html_text

log = logging.getLogger("minato_lite.api")
STORE_RETRY_SECONDS = 5
#: characters of a field's name a 422 repeats
FIELD_LIMIT = 80


class StoreUnavailable(HTTPException):
    """The sites' store (or the machine) failed: the client is not to blame."""

    def __init__(self, cause: BaseException) -> None:
        log.warning("store or machine failure: %s", one_line(cause))
        super().__init__(503, "the site store is unavailable; retry later",
                         headers={"Retry-After": str(STORE_RETRY_SECONDS)})  # fmt: skip


def prefers_html(accept: str | None) -> bool:
    """True when `accept` gives text/html a higher q than application/json.

    Each type takes the q of its most specific matching range (exact, then
    `type/*`, then `*/*`; unmatched is 0). Ties, `*/*`, a missing or
    unreadable header all keep JSON.
    """
    best: dict[str, tuple[int, float]] = {}  # media type -> (specificity, q)
    for item in (accept or "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        kind, slash, sub = media.lower().partition("/")
        if not (kind and slash and sub) or (kind == "*" and sub != "*"):
            continue
        q = _quality(params)
        for target in ("text/html", "application/json"):
            specificity = _specificity(kind, sub, target)
            if specificity is not None and specificity > best.get(target, (-1, 0.0))[0]:
                best[target] = (specificity, q)
    return best.get("text/html", (0, 0.0))[1] > best.get("application/json", (0, 0.0))[1]


def _quality(params: list[str]) -> float:
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(1.0, max(0.0, float(value.strip())))
            except ValueError:
                return 0.0
    return 1.0


def _specificity(kind: str, sub: str, target: str) -> int | None:
    if f"{kind}/{sub}" == target:
        return 2
    if kind == target.split("/")[0] and sub == "*":
        return 1
    return 0 if kind == "*" else None


def opening_page(title: str, url: str) -> str:
    """A self-contained page (no scripts, no external resources) that opens the site at `url`."""
    safe_title, safe_url = html_text(title), html_text(url)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{safe_title}</title>
<meta http-equiv="refresh" content="0; url={safe_url}">
</head>
<body>
<p>Opening <a href="{safe_url}">{safe_title}</a>&hellip;</p>
</body>
</html>
"""


def _field(loc: tuple[int | str, ...]) -> str:
    """A field's dotted name, cut short: an unknown field's name is the client's input too."""
    field = ".".join(str(p) for p in loc if p != "body") or "body"
    return field if len(field) <= FIELD_LIMIT else field[:FIELD_LIMIT] + "..."


def install_error_answers(app: FastAPI) -> None:
    """Errors as `{"error": ...}`; a 422 that names the field without echoing the input."""

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        first = errors[0]
        field = _field(first["loc"])
        details = [
            {"field": _field(e["loc"]), "type": str(e.get("type", "")),
             "message": str(e.get("msg", ""))[:200]}
            for e in errors[:20]
        ]  # fmt: skip
        return JSONResponse(
            {"error": f"{field}: {first['msg']}"[:300], "field": field, "details": details},
            status_code=422,
        )

    @app.exception_handler(HTTPException)
    async def http_error(_request: Request, exc: HTTPException) -> JSONResponse:
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code,
                            headers=exc.headers)  # fmt: skip
