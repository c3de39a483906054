"""Two exact-string patches to the kernel extension's page-side bundles.

1. Coincident 1.2.3 publishes the page's answer last (below).
2. The kernel's worker can be started from the site's own folder
   (`patch_worker_urls`), so a site whose app is shared still gets its
   `/drive` through its own service worker (`publish/layout.py` says why).

**Coincident.**
With cross-origin isolation the kernel's worker asks the page for things
synchronously (file-system calls under /drive, input()) through coincident:
the worker posts a request and blocks in `Atomics.wait(sb, 0, 0)` until the
page has written the JSON answer into a SharedArrayBuffer. The page writes
that answer one UTF-16 unit at a time, from index 0, and then notifies. The
first two units share the Int32 the worker waits on, so as soon as the first
unit is written the word is no longer 0: a worker that starts waiting at that
moment (it posted, then got descheduled) returns "not-equal" at once and
decodes a half-written buffer. Seen in the soak as the page error
"Bad control character in string literal in JSON" followed by "Pyodide has
suffered a fatal error" while stat-ing a file, and the cell stuck at [*].

The patch writes every unit after the first two, then stores the first word
with one `Atomics.store`: the worker can only see a non-zero word once the
whole answer is there (a sequentially consistent store publishes the plain
writes before it). The length hand-off (`sb[0] = 1` after `sb[1] = length`)
gets the same treatment. Both replacements must match exactly once, or the
build stops: a different kernel version needs this looked at again.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import EnvironmentProblem

BUNDLE_DIR = "extensions/@jupyterlite/pyodide-kernel-extension/static"
#: (what coincident 1.2.3 minifies to in jupyterlite-pyodide-kernel 0.8.6, the fix)
REPLACEMENTS = (
    (
        "for(let t=new d(u.buffer),n=0;n<e.length;n++)t[n]=e.charCodeAt(n)",
        "for(let t=new d(u.buffer),n=2;n<e.length;n++)t[n]=e.charCodeAt(n);"
        "Atomics.store(u,0,e.charCodeAt(0)|(e.length>1?e.charCodeAt(1)<<16:0))",
    ),
    ("u[0]=1}else{let e=a.get(s)", "Atomics.store(u,0,1)}else{let e=a.get(s)"),
)
#: the worker scripts the kernel extension starts (module ids and names as 0.8.6 minifies them)
WORKER_MODULE = re.compile(r'e\.exports=s\.p\+"((comlink|coincident)\.worker\.[0-9a-f]+\.js)"')
WORKER_KINDS = ("comlink", "coincident")
#: `fixRelativeUrls` in JupyterLite's config-utils turns a top-level `*Url` starting
#: with "./" into a path from the config file's folder: the shim's name goes there
WORKER_URL_KEY = "minato{kind}WorkerUrl"
#: part of the app cache key: a change here rebuilds cached apps
PATCH_ID = "coincident-1.2.3-publish-answer-last+worker-url-from-config-v1"
MARKER = f"/* minato-lite: {PATCH_ID} */"
WORKER_MARKER = "/* minato-lite: worker-url-from-config */"


def worker_url_key(kind: str) -> str:
    """The config key naming the site's own script for the `kind` worker."""
    return WORKER_URL_KEY.format(kind=kind.capitalize())


def _worker_expression(name: str, kind: str) -> str:
    """The module's export: the configured URL when the page's config names one, else upstream's.

    The merged config is read from the page's `jupyter-config-data` script, which
    config-utils rewrites before any bundle runs; the worker is made long after.
    """
    key = worker_url_key(kind)
    return (
        "e.exports=function(){try{var c=JSON.parse(document.getElementById("
        f'"jupyter-config-data").textContent);if(c&&c.{key})return c.{key}}}catch(x){{}}'
        f'return s.p+"{name}"}}()'
    )


def fingerprint() -> str:
    """Everything the patches write, for the app cache key: any change rebuilds the app."""
    return repr((PATCH_ID, REPLACEMENTS, _worker_expression("NAME", "comlink"), WORKER_MARKER))


def patch_kernel_bundle(app: Path) -> Path:
    """Patch the one bundle that holds coincident's page side; idempotent. Returns it."""
    bundles = sorted((app / BUNDLE_DIR).glob("*.js"))
    patched = [b for b in bundles if MARKER in b.read_text("utf-8")]
    if patched:
        return patched[0]
    found = [b for b in bundles if REPLACEMENTS[0][0] in b.read_text("utf-8")]
    if len(found) != 1:
        raise EnvironmentProblem(
            f"the kernel extension in {app / BUNDLE_DIR} does not hold coincident 1.2.3's "
            f"answer loop exactly once ({len(found)} bundles): check minato_lite/kernel_patch.py "
            "against this jupyterlite-pyodide-kernel version"
        )
    bundle = found[0]
    text = bundle.read_text("utf-8")
    for old, new in REPLACEMENTS:
        if text.count(old) != 1:
            raise EnvironmentProblem(f"{bundle.name}: expected {old!r} exactly once")
        text = text.replace(old, new)
    # a new file, not a rewrite in place: the app's files may be hard links to the installed
    # extension, which must stay as installed
    staged = bundle.with_name(bundle.name + ".minato-patch")
    staged.write_text(text + "\n" + MARKER + "\n", "utf-8")
    os.replace(staged, bundle)
    return bundle


def patch_worker_urls(app: Path) -> dict[str, str]:
    """Let the page's config name the kernel's worker scripts; idempotent.

    Returns {kind: file name in the bundle folder} for the comlink and coincident
    workers. The default stays upstream's (the script beside the extension), so a
    self-contained site behaves exactly as before.
    """
    bundles = sorted((app / BUNDLE_DIR).glob("*.js"))
    found = [(b, WORKER_MODULE.findall(b.read_text("utf-8"))) for b in bundles]
    found = [(b, hits) for b, hits in found if hits]
    done = [b for b in bundles if WORKER_MARKER in b.read_text("utf-8")]
    if done:
        text = done[0].read_text("utf-8")
        names = re.findall(r'return s\.p\+"((comlink|coincident)\.worker\.[0-9a-f]+\.js)"', text)
        return {kind: name for name, kind in names}
    kinds = sorted(kind for _b, hits in found for _name, kind in hits)
    if len(found) != 1 or kinds != sorted(WORKER_KINDS):
        raise EnvironmentProblem(
            f"the kernel extension in {app / BUNDLE_DIR} does not start its comlink and "
            f"coincident workers from one bundle as expected ({kinds}): check "
            "minato_lite/site/kernel_patch.py against this jupyterlite-pyodide-kernel version"
        )
    bundle, hits = found[0]
    text = bundle.read_text("utf-8")
    for name, kind in hits:
        text = text.replace(f'e.exports=s.p+"{name}"', _worker_expression(name, kind))
    staged = bundle.with_name(bundle.name + ".minato-patch")
    staged.write_text(text + "\n" + WORKER_MARKER + "\n", "utf-8")
    os.replace(staged, bundle)
    return {kind: name for name, kind in hits}
