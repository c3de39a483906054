"""The cell runner inside Pyodide (never imported by host Python).

It plays the part IPython plays in the browser kernel, reduced to what a result
needs: cells run in one namespace after the site's startup file (so `minato`,
`df`, `frames` and `data` exist), streams are captured, a cell's last expression
becomes an `execute_result`, matplotlib figures become `image/png` display data.
Everything it returns is nbformat output dicts, as JSON text.

Two hosts run it, so that the same code gives the same outputs in both:
the server-side sandbox (Pyodide in Deno, `run_job`: a fresh namespace per job,
the first error stops it, as "Run All" does) and the report's live cells (a
Pyodide worker in the visitor's browser, `Session`: one namespace that lives
as long as the worker, cells run one at a time in page order).
"""

import ast
import base64
import builtins
import importlib.abc
import json
import linecache
import os
import sys
import traceback

EXECUTOR_FILE = "<minato-sandbox>"
INLINE_BACKEND = "minato_inline"
TEXT_LIMIT = 20_000
_IMAGE_TYPES = {"image/png", "image/jpeg"}
_REPR_METHODS = (
    ("_repr_html_", "text/html"),
    ("_repr_markdown_", "text/markdown"),
    ("_repr_svg_", "image/svg+xml"),
    ("_repr_png_", "image/png"),
    ("_repr_jpeg_", "image/jpeg"),
    ("_repr_latex_", "text/latex"),
    ("_repr_json_", "application/json"),
)


class OutputLimitExceeded(BaseException):
    """Raised from print/display once the job's output passes its cap.

    A BaseException so that `except Exception` in the user's code cannot swallow it.
    """


class Outputs:
    """nbformat outputs of one job, with a size cap counted over all of them."""

    def __init__(self, limit):
        self.items = []
        self.cells = []  # the cell number (None: the startup) each item came from
        self.cell = None
        self.size = 0
        self.limit = limit
        self.full = False

    def append(self, item):
        self.items.append(item)
        self.cells.append(self.cell)

    def _account(self, size):
        if self.full:
            raise OutputLimitExceeded()
        self.size += size
        if self.size > self.limit:
            self.full = True
            raise OutputLimitExceeded()

    def stream(self, name, text):
        self._account(len(text))
        last = self.items[-1] if self.items and self.cells[-1] == self.cell else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"].append(text)  # joined once at the end: += on a flood is quadratic
        else:
            self.append({"output_type": "stream", "name": name, "text": [text]})

    def finished(self):
        for item in self.items:
            if item["output_type"] == "stream":
                item["text"] = "".join(item["text"])
        return self.items

    def display(self, bundle, count=None):
        self._account(sum(len(v) if isinstance(v, str) else 64 for v in bundle.values()))
        if count is None:
            self.append({"output_type": "display_data", "data": bundle, "metadata": {}})
        else:
            self.append(
                {
                    "output_type": "execute_result",
                    "execution_count": count,
                    "data": bundle,
                    "metadata": {},
                }
            )


class Stream:
    """sys.stdout / sys.stderr for user code: text goes to the job's outputs."""

    encoding = "utf-8"
    errors = "strict"

    def __init__(self, outputs, name):
        self._outputs = outputs
        self.name = name

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if text:
            self._outputs.stream(self.name, text)
        return len(text)

    def writelines(self, lines):
        for line in lines:
            self.write(line)

    def flush(self):
        pass

    def isatty(self):
        return False

    def writable(self):
        return True

    def fileno(self):
        raise OSError("the sandbox's streams have no file descriptor")


_current: Outputs | None = None  # the running job's Outputs (figures are flushed into it)


def _encode(mime, value):
    if mime in _IMAGE_TYPES and isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode("ascii")
    if mime == "application/json":
        return value if isinstance(value, (dict, list)) else None
    return value if isinstance(value, str) else None


def mimebundle(obj):
    """What IPython's display formatter would show for `obj`: text/plain plus rich reprs."""
    figure = _as_figure(obj)
    if figure is not None:
        bundle = _figure_bundle(figure)
        if "matplotlib.pyplot" in sys.modules:  # shown now: the end-of-cell flush skips it
            sys.modules["matplotlib.pyplot"].close(figure)
        return bundle
    bundle = {}
    if not isinstance(obj, type):
        method = getattr(obj, "_repr_mimebundle_", None)
        if callable(method):
            try:
                data = method()
                data = data[0] if isinstance(data, tuple) else data
                for mime, value in (data or {}).items():
                    value = _encode(mime, value)
                    if value is not None:
                        bundle[mime] = value
            except Exception:
                pass
        for name, mime in _REPR_METHODS:
            method = getattr(obj, name, None)
            if mime in bundle or not callable(method):
                continue
            try:
                value = _encode(mime, method())
            except Exception:
                continue
            if value is not None:
                bundle[mime] = value
    bundle["text/plain"] = repr(obj)
    return bundle


def _as_figure(obj):
    if "matplotlib.figure" not in sys.modules:
        return None
    from matplotlib.figure import Figure

    return obj if isinstance(obj, Figure) else None


def _figure_bundle(figure):
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    return {
        "image/png": base64.b64encode(buffer.getvalue()).decode("ascii"),
        "text/plain": repr(figure),
    }


def display(*objects, **_ignored):
    """IPython's `display`, for code written for a notebook."""
    if _current is None:  # outside a job (the startup of a later boot): nothing to show
        return
    for obj in objects:
        _current.display(mimebundle(obj))


def flush_figures(*_args, **_kwargs):
    """The inline backend's job: every open figure becomes a PNG, then is closed."""
    if "matplotlib.pyplot" not in sys.modules or _current is None:
        return
    import matplotlib.pyplot as plt

    try:
        for number in plt.get_fignums():
            _current.display(_figure_bundle(plt.figure(number)))
    finally:
        plt.close("all")


class _InlineBackend(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports `minato_inline` (`MPLBACKEND=module://minato_inline`) when matplotlib asks.

    Agg canvases, and `plt.show()` flushes figures into the outputs. A real module
    with plain attributes: pyplot copies the backend module's `vars()`.
    """

    def find_spec(self, name, path=None, target=None):
        if name != INLINE_BACKEND:
            return None
        import importlib.util

        return importlib.util.spec_from_loader(name, self)

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        from matplotlib.backend_bases import FigureManagerBase
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        module.FigureCanvas = FigureCanvasAgg
        module.FigureManager = FigureManagerBase
        module.show = flush_figures


def _fontlist_path():
    """Where Pyodide's matplotlib keeps its font cache (inside the package, not ~/.cache)."""
    import importlib.util

    spec = importlib.util.find_spec("matplotlib")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.join(spec.submodule_search_locations[0], "fontlist.json")


def prepare(preload, fontlist=None):
    """Before any job: import pandas, so a job finds it warm (`warm` does the rest).

    `fontlist`: matplotlib's font cache from an earlier boot, which saves building it
    (seconds) again: written now, so even a job that imports matplotlib itself finds it.
    """
    sys.meta_path.append(_InlineBackend())
    os.environ["MPLBACKEND"] = f"module://{INLINE_BACKEND}"
    names = set(preload)
    if "pandas" in names:
        import pandas  # noqa: F401
    if "matplotlib" in names and fontlist:
        path = _fontlist_path()
        if path and not os.path.exists(path):
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(fontlist)


def warm(preload):
    """While no job waits for this worker: import matplotlib (a second or more), so a job
    that draws finds it warm. Returns the font cache this import built, for the host to
    keep (it ran before any job: no code could have written it), or None."""
    if "matplotlib" not in set(preload):
        return None
    path = _fontlist_path()
    built = bool(path) and not os.path.exists(path)
    import matplotlib.pyplot  # noqa: F401

    if not built or not os.path.exists(path):
        return None
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def _clip(text):
    text = str(text)
    return text if len(text) <= TEXT_LIMIT else text[:TEXT_LIMIT] + " [...]"


def error_output(exc):
    """nbformat error output, without this runner's own frames in the traceback."""
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == EXECUTOR_FILE:
        tb = tb.tb_next
    try:
        lines = traceback.format_exception(type(exc), exc, tb)
        evalue = str(exc)
    except BaseException:  # a hostile __str__: report the type alone
        lines, evalue = [], "(the error's message could not be shown)"
    return {
        "output_type": "error",
        "ename": _clip(type(exc).__name__),
        "evalue": _clip(evalue),
        "traceback": [_clip(line) for line in lines[-60:]],
    }


def _limit_error(limit):
    return {
        "output_type": "error",
        "ename": "OutputLimitExceeded",
        "evalue": f"the code printed more than the {limit:,} byte output limit; it was stopped",
        "traceback": [],
    }


def _without_inline_magic(source):
    """`%matplotlib inline` (common in notebook code) is what this runner does anyway.

    Other magics and `!` shell lines stay, and fail as the SyntaxError they are here.
    """
    lines = source.split("\n")
    for number, line in enumerate(lines):
        if line.lstrip().startswith("%matplotlib"):
            indent = line[: len(line) - len(line.lstrip())]
            lines[number] = f"{indent}pass  # {line.strip()}: figures are shown inline"
    return "\n".join(lines)


async def _run_source(source, filename, namespace, count):
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    flags = ast.PyCF_ALLOW_TOP_LEVEL_AWAIT
    tree = compile(_without_inline_magic(source), filename, "exec", flags | ast.PyCF_ONLY_AST)
    last = None
    if count is not None and tree.body and isinstance(tree.body[-1], ast.Expr):
        last = ast.Expression(tree.body.pop().value)
    code = compile(tree, filename, "exec", flags)
    outcome = eval(code, namespace)
    if code.co_flags & 0x80:  # CO_COROUTINE: the cell used top-level await
        await outcome
    if last is not None:
        code = compile(last, filename, "eval", flags)
        value = eval(code, namespace)
        if code.co_flags & 0x80:
            value = await value
        if value is not None:
            namespace["_"] = value
            if _current is not None:
                _current.display(mimebundle(value), count=count)


class Session:
    """One namespace, the site's startup run in it once, then cells one at a time."""

    def __init__(self, max_output, drive):
        self.max_output = max_output
        self.drive = drive
        self.namespace = {"__name__": "__main__", "__builtins__": builtins, "display": display}

    async def _step(self, source, filename, count, outputs):
        """Run one source (a file when `source` is None); the error output, if it failed."""
        global _current
        _current = outputs
        outputs.cell = count
        sys.stdout, sys.stderr = Stream(outputs, "stdout"), Stream(outputs, "stderr")
        os.chdir(self.drive)
        try:
            if source is None:
                with open(filename, encoding="utf-8") as handle:
                    source = handle.read()
                self.namespace["__file__"] = filename
            try:
                await _run_source(source, filename, self.namespace, count)
            finally:
                self.namespace.pop("__file__", None)
                flush_figures()
        except OutputLimitExceeded:
            return _limit_error(outputs.limit)
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are the code's too
            return _limit_error(outputs.limit) if outputs.full else error_output(exc)
        finally:
            sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            _current = None
        return None

    async def start(self, startup):
        """Run the startup file; its outputs and error as JSON (like `run_cell`)."""
        outputs = Outputs(self.max_output)
        error = await self._step(None, startup, None, outputs) if startup else None
        return _result(outputs, error)

    async def run_cell(self, source, count):
        """Run one cell as cell number `count`; `{"outputs", "error"}` as JSON."""
        outputs = Outputs(self.max_output)
        error = await self._step(source, f"<cell {count}>", count, outputs)
        return _result(outputs, error)


def _result(outputs, error):
    if error is not None:
        outputs.append(error)
    return json.dumps(
        {"outputs": outputs.finished(), "cells": outputs.cells, "error": error}, default=str
    )


async def run_job(job_json):
    """Run the startup file the host names (if any), then each cell; stop at the first error."""
    job = json.loads(job_json)
    session = Session(job["max_output"], job["drive"])
    outputs = Outputs(job["max_output"])  # one cap over the whole job
    steps: list[tuple[str | None, str, int | None]] = []
    if job.get("startup"):
        steps.append((None, job["startup"], None))
    steps += [(cell, f"<cell {n}>", n) for n, cell in enumerate(job["cells"], start=1)]
    error = None
    for source, filename, count in steps:
        error = await session._step(source, filename, count, outputs)
        if error is not None:
            break
    return _result(outputs, error)
