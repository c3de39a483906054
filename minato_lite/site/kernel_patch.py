"""One exact-string patch to the kernel extension's bundled coincident 1.2.3 (page side).

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
#: part of the app cache key: a change here rebuilds cached apps
PATCH_ID = "coincident-1.2.3-publish-answer-last"
MARKER = f"/* minato-lite: {PATCH_ID} */"


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
