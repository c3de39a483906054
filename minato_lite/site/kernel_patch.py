"""Exact-string patches to the kernel extension's bundles.

1. Coincident 1.2.3 publishes the page's answer last (below).
2. The kernel's worker can be started from the site's own folder
   (`patch_worker_urls`), so a site whose app is shared still gets its
   `/drive` through its own service worker (`publish/layout.py` says why).
3. The kernel's worker starts faster (`patch_kernel_start`, in both worker
   bundles): its own imports never touch `/drive`, and jedi and IPython's
   terminal are not imported before the first cell needs them.

**Kernel start.** jupyterlite-pyodide-kernel 0.8.6 mounts the drive and
`chdir`s to `/drive` before it imports micropip, piplite and IPython, while
Pyodide keeps `''` first on `sys.path`: every top-level import then stats the
working folder, and each stat of `/drive` is a synchronous round trip from the
worker to the page, which lists the browser's whole storage to answer it
(about 150 at start). The patch mounts as before but changes folder only after
`import pyodide_kernel`, to `/drive` itself (the notebook's folder below it, as
upstream did, relative to that); the site's startup reads its files by
absolute path, so it does not mind. And `import IPython` pulls in jedi, parso
and prompt_toolkit through `IPython.terminal.embed` (0.6-1.0 s of compiling
here): while the kernel imports, `jedi` is reported missing and
`IPython.terminal.embed` is a stub; both are put back afterwards, and the
first completion request imports jedi and turns it on.

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

import json
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


#: Python run just before `import pyodide_kernel` in the kernel's worker
KERNEL_IMPORT_BEFORE = (
    "import sys as _mz_sys, types as _mz_types",
    "_mz_jedi = 'jedi' not in _mz_sys.modules",
    "if _mz_jedi: _mz_sys.modules['jedi'] = None",
    "_mz_embed = _mz_types.ModuleType('IPython.terminal.embed')",
    "_mz_embed.embed = lambda *a, **k: None",
    "_mz_sys.modules.setdefault('IPython.terminal.embed', _mz_embed)",
)
#: ... and just after it: the stubs go, and jedi comes with the first completion request
KERNEL_IMPORT_AFTER = (
    "if _mz_sys.modules.get('IPython.terminal.embed') is _mz_embed: "
    "del _mz_sys.modules['IPython.terminal.embed']",
    "if _mz_jedi and _mz_sys.modules.get('jedi', 0) is None: del _mz_sys.modules['jedi']",
    "def _mz_lazy_jedi():",
    "    import pyodide_kernel as _k, IPython.core.completer as _c",
    "    _complete, _loading = _k.kernel_instance.complete, []",
    "    def complete(code, cursor_pos):",
    "        if not _c.JEDI_INSTALLED:",
    "            try:",
    "                import jedi, jedi.api.helpers, jedi.api.classes",
    "                jedi.settings.case_insensitive_completion = False",
    "                _c.jedi, _c.JEDI_INSTALLED = jedi, True",
    "                _k.ipython_shell.Completer.use_jedi = True",
    "            except ImportError:",
    "                if not _loading:",  # jedi loads for the next completion; this one without
    "                    import pyodide_js",
    "                    _loading.append(pyodide_js.loadPackage(['jedi']))",
    "        return _complete(code, cursor_pos)",
    "    _k.kernel_instance.complete = complete",
    "_mz_lazy_jedi()",
    "del _mz_sys, _mz_types, _mz_jedi, _mz_embed, _mz_lazy_jedi",
)
#: the kernel's import and, when the drive is mounted, its working folder, as upstream has them
_KERNEL_IMPORT = re.compile(
    r'([A-Za-z_$][\w$]*)\.push\("import pyodide_kernel"\),e\.mountDrive&&this\.'
    r'_localPath&&\1\.push\("import os",`os\.chdir\("\$\{this\._localPath\}"\)`\)'
)
#: the steps of the kernel's faster start, each measured alone (`benchmarks/report_first.py`)
START_STEPS = ("drive", "jedi")


Replacement = tuple[re.Pattern[str], str, int]


def kernel_start(steps: tuple[str, ...] = START_STEPS) -> tuple[Replacement, ...]:
    """(pattern, replacement, matches expected in each worker bundle) for `steps`:
    "drive", the kernel's own imports off /drive; "jedi", jedi and IPython's terminal
    left to the first completion."""
    found: list[Replacement] = []
    if "jedi" in steps:  # not installed at start (the first completion request loads it)
        found.append((re.compile(r'\["ipykernel","comm","pyodide-kernel","jedi","ipython"\]'),
                      '["ipykernel","comm","pyodide-kernel","ipython"]', 1))  # fmt: skip
    if "drive" in steps:  # mounted at start, but not yet the working folder
        found.append((re.compile(r",([A-Za-z_$][\w$]*)\.chdir\(t\),this\._driveFS="),
                      ",this._driveFS=", 2))  # fmt: skip
    before = [json.dumps(line) for line in KERNEL_IMPORT_BEFORE] if "jedi" in steps else []
    after = [json.dumps(line) for line in KERNEL_IMPORT_AFTER] if "jedi" in steps else []
    folder = (  # the working folder once the kernel is imported: /drive, or one in it
        r'e.mountDrive&&\1.push("import os","os.chdir("+JSON.stringify("/drive/"+'
        r'(this._localPath||""))+")")'
        if "drive" in steps
        else r'e.mountDrive&&this._localPath&&\1.push("import os",'
        r'`os.chdir("${this._localPath}")`)'
    )
    imports = ",".join([*before, '"import pyodide_kernel"', *after])
    found.append((_KERNEL_IMPORT, rf"\1.push({imports}),{folder}", 1))
    return tuple(found)


#: the patch every site's app gets
KERNEL_START = kernel_start()
START_MARKER = "/* minato-lite: kernel-start-without-drive-and-jedi-v2 */"


def fingerprint() -> str:
    """Everything the patches write, for the app cache key: any change rebuilds the app."""
    return repr((PATCH_ID, REPLACEMENTS, _worker_expression("NAME", "comlink"), WORKER_MARKER,
                 [(p.pattern, r, n) for p, r, n in KERNEL_START], START_MARKER))  # fmt: skip


def patch_kernel_start(app: Path, steps: tuple[str, ...] = START_STEPS) -> list[Path]:
    """Patch both worker bundles' start (see the module's docstring); idempotent. `steps`
    picks some of the steps (a benchmark measures each alone)."""
    workers = sorted((app / BUNDLE_DIR).glob("*.worker.*.js"))
    if sorted(w.name.split(".", 1)[0] for w in workers) != sorted(WORKER_KINDS):
        raise EnvironmentProblem(
            f"the kernel extension in {app / BUNDLE_DIR} does not have one comlink and one "
            "coincident worker bundle: check minato_lite/site/kernel_patch.py against this "
            "jupyterlite-pyodide-kernel version"
        )
    for bundle in workers:
        text = bundle.read_text("utf-8")
        if START_MARKER in text:
            continue
        for pattern, replacement, expected in kernel_start(steps):
            text, count = pattern.subn(replacement, text)  # templates of ours: \\1 only
            if count != expected:
                raise EnvironmentProblem(
                    f"{bundle.name}: expected the kernel's start to match {pattern.pattern!r} "
                    f"{expected} time(s), found {count}: check minato_lite/site/kernel_patch.py "
                    "against this jupyterlite-pyodide-kernel version"
                )
        staged = bundle.with_name(bundle.name + ".minato-patch")
        staged.write_text(text + "\n" + START_MARKER + "\n", "utf-8")
        os.replace(staged, bundle)
    return workers


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
