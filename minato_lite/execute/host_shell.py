"""An IPython shell without a kernel that records what cells show as nbformat outputs.

It runs inside the warm executor's worker process (`execute/executor.py`) and only
ever runs our own generated notebooks; user code never reaches it. Outputs are
collected the way a Jupyter kernel would publish them (streams, display data,
execute results, errors, `clear_output`), in the order they happened, so a
pre-rendered notebook looks exactly as if it had been run in JupyterLab.

Compared with a Jupyter kernel there is no ZeroMQ, no kernel process per
notebook and no message loop that can lose an idle status: a cell is a
function call, and the parent enforces the time limits by killing the worker.
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import os
import re
import sys
import warnings
from pathlib import Path
from typing import Any

from IPython.core.displayhook import DisplayHook
from IPython.core.displaypub import DisplayPublisher
from IPython.core.interactiveshell import InteractiveShell
from traitlets import Type
from traitlets.config import Config

Output = dict[str, Any]
#: object reprs such as `<Axes at 0x7f3a...>` would make every build differ
ADDRESS = re.compile(r"\b0x[0-9a-fA-F]{6,16}\b")
ADDRESS_MASK = "0x…"


class _Sink:
    """The outputs of the cell being run; the hooks below all append here."""

    def __init__(self) -> None:
        self.outputs: list[Output] = []
        self.clear_pending = False
        self.execution_count: int | None = None

    def start(self, execution_count: int | None) -> None:
        self.outputs = []
        self.clear_pending = False
        self.execution_count = execution_count

    def add(self, output: Output) -> None:
        if self.clear_pending:  # clear_output(wait=True): clear when the next output arrives
            self.outputs.clear()
            self.clear_pending = False
        self.outputs.append(output)

    def stream(self, name: str, text: str) -> None:
        last = self.outputs[-1] if self.outputs and not self.clear_pending else None
        if last and last["output_type"] == "stream" and last["name"] == name:
            last["text"] += text
        else:
            self.add({"output_type": "stream", "name": name, "text": text})

    def clear(self, wait: bool) -> None:
        if wait:
            self.clear_pending = True
        else:
            self.outputs.clear()


SINK = _Sink()


class _Stream:
    """A text file that turns writes into a stream output (stdout or stderr)."""

    encoding = "utf-8"
    errors = "replace"

    def __init__(self, name: str) -> None:
        self.name = name

    def write(self, text: str) -> int:
        if text:
            SINK.stream(self.name, text)
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        pass

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        raise OSError("no file descriptor: output is captured")

    def writable(self) -> bool:
        return True


class _Publisher(DisplayPublisher):
    def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
        SINK.add({"output_type": "display_data", "data": data, "metadata": metadata or {}})

    def clear_output(self, wait: bool = False) -> None:
        SINK.clear(wait)


class _Hook(DisplayHook):
    """The value of a cell's last expression becomes its `execute_result`."""

    def write_output_prompt(self) -> None:
        pass

    def write_format_data(self, format_dict, md_dict=None) -> None:
        SINK.add(
            {
                "output_type": "execute_result",
                "execution_count": SINK.execution_count,
                "data": format_dict,
                "metadata": md_dict or {},
            }
        )

    def finish_displayhook(self) -> None:
        pass


class CapturingShell(InteractiveShell):
    displayhook_class = Type(_Hook)
    display_pub_class = Type(_Publisher)

    def _showtraceback(self, etype, evalue, stb) -> None:
        SINK.add(
            {
                "output_type": "error",
                "ename": getattr(etype, "__name__", str(etype)),
                "evalue": str(evalue),
                "traceback": list(stb),
            }
        )

    def enable_gui(self, gui=None):  # a kernel-less shell has no event loop to hook
        pass


def make_shell() -> CapturingShell:
    """One shell per worker: inline matplotlib, no history file, plain tracebacks."""
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    config.InteractiveShell.autocall = 0
    config.InlineBackend.figure_formats = {"png"}
    # every template calls tight_layout(); a "tight" bounding box would render each chart twice
    config.InlineBackend.print_figure_kwargs = PRINT_FIGURE_KWARGS
    shell = CapturingShell.instance(config=config)
    sys.stdout = _Stream("stdout")
    sys.stderr = _Stream("stderr")
    shell.enable_matplotlib("inline")
    import matplotlib
    from matplotlib.figure import Figure

    formatter = shell.display_formatter
    assert formatter is not None  # InteractiveShell makes one in its __init__
    formatter.formatters["image/png"].for_type(Figure, figure_png)
    _RC_AT_START.update(dict(matplotlib.rcParams))
    return shell


PRINT_FIGURE_KWARGS = {"bbox_inches": None}


def figure_png(fig: Any) -> str | None:
    """A figure as base64 PNG, drawn once: the shell's PNG formatter for figures.

    Every template lays its figure out with `tight_layout()`, which leaves a
    placeholder layout engine on the figure. matplotlib's `print_figure` sees a
    layout engine and draws the whole figure once without rendering before it
    draws it for real, so that the engine can lay it out, though a placeholder lays
    nothing out. Printed without it the PNG is the same, byte for byte, for one
    draw instead of two. Any other engine (constrained, tight) is left to do its work.
    """
    from IPython.core.pylabtools import print_figure
    from matplotlib.layout_engine import PlaceHolderLayoutEngine

    engine = fig.get_layout_engine()
    if not isinstance(engine, PlaceHolderLayoutEngine):
        return print_figure(fig, "png", base64=True, **PRINT_FIGURE_KWARGS)
    # the attribute, not set_layout_engine(None), which would follow rcParams' autolayout
    fig._layout_engine = None
    try:
        return print_figure(fig, "png", base64=True, **PRINT_FIGURE_KWARGS)
    finally:
        fig._layout_engine = engine


#: what the generated notebooks import (pandas' plotting module loads on the first
#: `.plot`, ipywidgets is the explorer's), imported by `warm_up` before any job
WARM_MODULES = (
    "numpy", "pandas", "matplotlib.pyplot", "pandas.plotting._matplotlib",
    "IPython.display", "ipywidgets",
)  # fmt: skip


def warm_up() -> None:
    """Import what every job uses, then freeze the heap (`gc.freeze`): once per worker.

    Why: IPython's `reset`, twice per job, runs a full `gc.collect()`, and the
    interpreter runs full collections of its own while cells allocate; each one
    walks every object alive, about 120,000 once pandas, matplotlib and IPython
    are imported (some 70 ms a walk). Frozen objects are left out of every
    collection, so a walk covers what the jobs made since (a few thousand
    objects, 2-3 ms). What is frozen is module state, alive as long as the worker
    anyway; reference counting still frees it, only a cycle among frozen objects
    would wait for the worker to be replaced. Importing first means the freeze
    takes in pandas' plotting and ipywidgets too, and no job pays for them.
    """
    import pandas  # noqa: F401  (no pandas, no worker: the executor says so when it starts)

    for name in WARM_MODULES:
        with contextlib.suppress(ImportError):  # a job that needs it will say so
            importlib.import_module(name)
    gc.collect()
    gc.freeze()


def _forget_site_modules(folder: Path) -> None:
    """Drop modules imported from an earlier job's folder (its `minato`, its helpers)."""
    root = str(folder)
    for name, module in list(sys.modules.items()):
        where = getattr(module, "__file__", None) or ""
        if name == "minato" or name.startswith("minato.") or where.startswith(root):
            del sys.modules[name]


#: matplotlib's settings as the worker started (keys typed Any: rcParams types them as literals)
_RC_AT_START: dict[Any, Any] = {}


def _reset_plotting() -> None:
    """Every job starts from the matplotlib settings the worker started with."""
    import matplotlib
    import matplotlib.pyplot as plt

    plt.close("all")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(_RC_AT_START)


def scrub(outputs: list[Output], folder: Path, drive: str = "/drive") -> list[Output]:
    """Outputs as the browser would show them: the job folder reads `/drive`, no addresses."""
    root = str(folder)

    def clean(text: str) -> str:
        return ADDRESS.sub(ADDRESS_MASK, text.replace(root, drive))

    for output in outputs:
        if output["output_type"] == "stream":
            output["text"] = clean(output["text"])
        elif output["output_type"] == "error":
            output["evalue"] = clean(output["evalue"])
            output["traceback"] = [clean(line) for line in output["traceback"]]
        else:
            data = output["data"]
            for mime in [m for m in data if m.startswith("text/")]:
                data[mime] = clean(data[mime])
    return outputs


def run_job(
    shell: CapturingShell, folder: Path, startup: str | None, cells: list[str], report
) -> None:
    """Run the startup file `startup` (relative to `folder`), then `cells`, in a fresh namespace.

    `report(index, outputs, ok)` is called after every cell. The startup's own
    output (if any) is reported as index -1 so a broken startup is visible.
    """
    _forget_site_modules(folder)
    _reset_plotting()
    shell.reset(new_session=True)
    previous = os.getcwd()
    filters = warnings.filters[:]
    os.chdir(folder)
    try:
        if startup is not None:
            startup_file = folder / startup
            shell.user_ns["__file__"] = str(startup_file)
            SINK.start(None)
            result = shell.run_cell(
                startup_file.read_text("utf-8"), store_history=False, silent=True
            )
            shell.user_ns.pop("__file__", None)
            report(-1, scrub(SINK.outputs, folder), result.success)
            if not result.success:
                return  # no cell can work without the data it was promised
        for index, source in enumerate(cells):
            SINK.start(index + 1)
            result = shell.run_cell(source, store_history=True)
            report(index, scrub(SINK.outputs, folder), result.success)
    finally:
        os.chdir(previous)
        warnings.filters[:] = filters  # type: ignore[index]
        shell.reset(new_session=True)
        _forget_site_modules(folder)
