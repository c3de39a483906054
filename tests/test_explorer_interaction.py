"""The explorer's widgets, driven under CPython: every choice a person makes redraws a chart.

The explorer notebook generated for a site is run cell by cell in an IPython
shell in this process (inline matplotlib backend, the site's own `minato`
package and data), so the test can then set the widgets' values as the
browser does and look at what each change drew: the figures shown, the PNG
left in the display, the status line, and any traceback or pandas/matplotlib
deprecation warning raised on the way.
"""

from __future__ import annotations

import importlib.util
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import pytest
from IPython.core.interactiveshell import InteractiveShell

from minato_lite.build import prepare
from minato_lite.resources import REPO_DIR

SAMPLES = [
    REPO_DIR / "examples" / "sales.csv",
    REPO_DIR / "examples" / "data" / "measurements.parquet",
    REPO_DIR / "examples" / "data" / "reviews.jsonl",
]
#: a dataset without a single numeric column
PLAIN = "name,colour\nann,red\nbo,blue\ncy,red\ndee,green\n"
NONE = "(none)"
CHART_TYPES = ["histogram", "bar", "line", "box"]
SALES_REGIONS = {"North", "South", "East", "West"}
#: warnings that announce a break on the pandas/matplotlib versions the browser may run
DEPRECATIONS = (FutureWarning, DeprecationWarning, PendingDeprecationWarning)


@dataclass
class Chart:
    """What one figure the explorer showed holds."""

    title: str
    bars: int  # rectangles of non-zero size (histogram bins, bars)
    lines: int  # lines with at least one point (line charts, box parts)
    points: int  # points over all lines
    xlabels: list[str]
    ylabels: list[str]

    @property
    def has_data(self) -> bool:
        return self.bars > 0 or self.points > 0


@dataclass
class Redraw:
    """Everything one change of the widgets caused."""

    charts: list[Chart]
    images: list[str]  # image/png payloads displayed (and not cleared) during the change
    status: str
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def chart(self) -> Chart:
        assert len(self.charts) == 1, f"expected one chart, drew {len(self.charts)}"
        return self.charts[0]


def summarize(figure) -> Chart:
    from matplotlib.patches import Rectangle

    axes = [ax for ax in figure.axes if ax.get_visible()]
    assert len(axes) == 1, "the explorer draws one chart per figure"
    ax = axes[0]
    bars = [
        p
        for p in ax.patches
        if isinstance(p, Rectangle) and p.get_height() != 0 and p.get_width() != 0
    ]
    lines = [line for line in ax.lines if len(line.get_xdata()) > 0]
    figure.canvas.draw()  # tick labels are only final once drawn
    return Chart(
        title=ax.get_title(),
        bars=len(bars),
        lines=len(lines),
        points=sum(len(line.get_xdata()) for line in lines),
        xlabels=[t.get_text() for t in ax.get_xticklabels()],
        ylabels=[t.get_text() for t in ax.get_yticklabels()],
    )


class Explorer:
    """The explorer's namespace, with a way to change widgets and see what was drawn."""

    def __init__(self, shell, shown: list[Chart], errors: list[str]) -> None:
        self.shell = shell
        self.ns = shell.user_ns
        self._shown = shown
        self._errors = errors
        self.started: Redraw | None = None

    def __getitem__(self, name: str):
        return self.ns[name]

    def watch(self, action) -> Redraw:
        from IPython.utils.capture import capture_output

        del self._shown[:], self._errors[:]
        with warnings.catch_warnings(record=True) as caught, capture_output() as captured:
            warnings.simplefilter("always")
            action()
        images = [o.data["image/png"] for o in captured.outputs if "image/png" in o.data]
        return Redraw(
            charts=list(self._shown),
            images=images,
            status=self.ns["status"].value,
            errors=list(self._errors),
            warnings=[
                f"{w.category.__name__}: {w.message} ({w.filename}:{w.lineno})"
                for w in caught
                if issubclass(w.category, DEPRECATIONS)
            ],
        )

    def set(self, **values) -> Redraw:
        """Set widgets in the order given, as a person would, one at a time."""

        def change():
            for name, value in values.items():
                self.ns[name].value = value

        return self.watch(change)


def other_than(kind: str) -> str:
    """A chart type that is not `kind`: setting a widget to its own value redraws nothing."""
    return next(k for k in CHART_TYPES if k != kind)


def assert_clean(redraw: Redraw) -> None:
    assert redraw.errors == []
    assert redraw.warnings == []
    assert "could not" not in redraw.status


def assert_drew(redraw: Redraw) -> Chart:
    """Exactly one chart, with data in it, shown as an image; returns it."""
    assert_clean(redraw)
    chart = redraw.chart
    assert chart.has_data, chart
    assert len(redraw.images) == 1
    return chart


class Shell(InteractiveShell):
    """A terminal-less shell; `%matplotlib inline` needs no GUI event loop."""

    def enable_gui(self, gui=None):
        pass


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> tuple[Path, list[str]]:
    """A site over three samples and a table of text, written out; the explorer's code cells."""
    folder = tmp_path_factory.mktemp("explorer-site")
    plain = folder / "plain.csv"
    plain.write_text(PLAIN, encoding="utf-8")
    prepared = prepare([*SAMPLES, plain])
    prepared.files.write(folder / "files")
    (explorer,) = [doc for doc in prepared.notebooks if doc.path == "explorer.ipynb"]
    cells = [cell.source for cell in explorer.notebook.cells if cell.cell_type == "code"]
    return folder / "files", cells


@pytest.fixture
def explorer(site, monkeypatch, tmp_path) -> Iterator[Explorer]:
    """The explorer started in a fresh IPython shell, as a kernel runs it."""
    import matplotlib.pyplot as plt
    from IPython.core.pylabtools import select_figure_formats
    from traitlets.config import Config

    files, cells = site
    monkeypatch.setenv("MINATO_DATA_DIR", str(files / "data"))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    spec = importlib.util.spec_from_file_location("minato", files / "minato" / "__init__.py")
    minato = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "minato", minato)  # the site's copy, removed at teardown
    spec.loader.exec_module(minato)

    shown: list[Chart] = []
    show = plt.show

    def recording_show(*args, **kwargs):
        shown.extend(
            summarize(m.canvas.figure) for m in plt._pylab_helpers.Gcf.get_all_fig_managers()
        )
        return show(*args, **kwargs)

    monkeypatch.setattr(plt, "show", recording_show)
    backend = matplotlib.get_backend()
    displayhook = sys.displayhook
    Shell.clear_instance()
    config = Config()
    config.HistoryManager.enabled = False
    shell = Shell.instance(config=config)
    errors: list[str] = []

    def record_traceback(exc_tuple=None, *args, **kwargs):
        kind, value, _ = exc_tuple or sys.exc_info()
        errors.append(f"{kind.__name__}: {value}")

    shell.showtraceback = record_traceback
    try:
        with matplotlib.rc_context():
            shell.run_line_magic("matplotlib", "inline")
            # the backend module configures only the first shell it sees: this one needs PNGs too
            select_figure_formats(shell, {"png"})
            view = Explorer(shell, shown, errors)

            def start():
                for source in cells:
                    shell.run_cell(source, store_history=False).raise_error()

            view.started = view.watch(start)
            yield view
    finally:
        plt.close("all")
        Shell.clear_instance()
        sys.displayhook = displayhook
        plt.switch_backend(backend)


def test_first_chart_shows_the_first_measure_not_the_identifier_before_it(explorer):
    assert explorer["column"].value == "units", "order_id is a key, not a quantity"
    assert explorer["dataset"].value == "sales"
    chart = assert_drew(explorer.started)
    assert "units" in chart.title and "histogram" in chart.title
    assert "12 of 12 rows" in explorer.started.status


def test_an_identifier_chosen_by_hand_is_counted_not_charted_as_a_measure(explorer):
    redraw = explorer.set(column="order_id", chart="histogram")
    chart = assert_drew(redraw)
    assert "bar of value counts (not a measure)" in chart.title


def test_choosing_a_dataset_picks_its_first_numeric_column_and_redraws_once(explorer):
    before = explorer.started.status
    redraw = explorer.set(dataset="measurements")
    assert explorer["column"].value == "count"  # after a category and a date column
    chart = assert_drew(redraw)
    assert "count" in chart.title
    assert "120 of 120 rows" in redraw.status and redraw.status != before


def test_a_dataset_without_numeric_columns_starts_on_its_first_column(explorer):
    redraw = explorer.set(dataset="plain")
    assert explorer["column"].value == "name"
    chart = assert_drew(redraw)
    assert chart.bars == 4  # one bar per name


def test_going_back_to_a_dataset_draws_its_first_numeric_column_again(explorer):
    explorer.set(column="unit_price")
    explorer.set(dataset="reviews")
    assert explorer["column"].value == "stars"
    redraw = explorer.set(dataset="sales")
    assert explorer["column"].value == "units"
    assert_drew(redraw)


def test_group_by_and_filter_reset_when_the_new_dataset_lacks_their_column(explorer):
    explorer.set(group_by="region", filter_column="region", filter_text="north")
    redraw = explorer.set(dataset="measurements")
    assert explorer["group_by"].value == NONE
    assert explorer["filter_column"].value == NONE
    assert explorer["filter_text"].value == ""
    assert "120 of 120 rows" in redraw.status  # the old filter no longer applies
    assert_drew(redraw)


def test_group_by_is_kept_when_the_new_dataset_has_that_column(explorer):
    explorer.set(group_by="product", chart="bar")
    redraw = explorer.set(dataset="reviews")
    assert explorer["group_by"].value == "product"
    assert explorer["filter_column"].value == NONE
    assert_drew(redraw)
    assert "product" in redraw.status


def test_choosing_another_column_draws_that_column(explorer):
    redraw = explorer.set(column="unit_price")
    chart = assert_drew(redraw)
    assert "unit_price" in chart.title
    assert "unit_price" in redraw.status and redraw.status != explorer.started.status


@pytest.mark.parametrize("kind", CHART_TYPES)
def test_each_chart_type_draws_the_numeric_column(explorer, kind):
    explorer.set(column="units", chart=other_than(kind))
    redraw = explorer.set(chart=kind)
    chart = assert_drew(redraw)
    assert kind in redraw.status
    if kind in ("histogram", "bar"):
        assert chart.bars > 0
    elif kind == "line":
        assert chart.points >= 11  # one point per row with units
    else:
        assert chart.xlabels == ["units"]
        assert chart.lines >= 5  # box, two whiskers, two caps, median


@pytest.mark.parametrize("kind", CHART_TYPES)
def test_each_chart_type_draws_a_non_numeric_column_as_counts(explorer, kind):
    explorer.set(column="region", chart=other_than(kind))
    redraw = explorer.set(chart=kind)
    chart = assert_drew(redraw)
    assert chart.bars == 4
    assert set(chart.ylabels) == SALES_REGIONS


def test_box_chart_grouped_has_one_labelled_box_per_group(explorer):
    explorer.set(column="units", group_by="region")
    redraw = explorer.set(chart="box")
    chart = assert_drew(redraw)
    assert set(chart.xlabels) == SALES_REGIONS
    assert "region" in redraw.status


def test_bar_chart_grouped_shows_the_mean_per_group(explorer):
    explorer.set(column="units", chart="bar")
    redraw = explorer.set(group_by="region")
    chart = assert_drew(redraw)
    assert chart.bars == 4 and set(chart.ylabels) == SALES_REGIONS
    assert "region" in redraw.status


def test_filter_keeps_the_matching_rows_and_redraws(explorer):
    explorer.set(chart="bar", column="region", filter_column="region")
    redraw = explorer.set(filter_text="NORTH")
    chart = assert_drew(redraw)
    assert chart.bars == 1 and chart.ylabels == ["North"]
    assert "3 of 12 rows" in redraw.status


def test_filter_that_matches_nothing_says_so(explorer):
    explorer.set(filter_column="region")
    redraw = explorer.set(filter_text="nowhere")
    assert_clean(redraw)
    assert "0 of 12 rows" in redraw.status
    assert len(redraw.charts) == 1 and not redraw.charts[0].has_data


@pytest.mark.parametrize("kind", CHART_TYPES)
def test_charts_grouped_by_a_category_with_an_unused_value(explorer, kind):
    """`site` is a pandas category with a value no row has: no empty group, no warning."""
    explorer.set(dataset="measurements", column="level", group_by="site", chart=other_than(kind))
    redraw = explorer.set(chart=kind)
    chart = assert_drew(redraw)
    if kind == "box":
        assert set(chart.xlabels) == {"alpha", "beta", "gamma"}
    elif kind == "bar":
        assert set(chart.ylabels) == {"alpha", "beta", "gamma"}


@pytest.mark.parametrize("name", ["taken", "count", "duration", "site"])
@pytest.mark.parametrize("kind", CHART_TYPES)
def test_every_column_type_draws(explorer, kind, name):
    """Dates with a time zone, nullable integers, durations and categories."""
    explorer.set(dataset="measurements", chart=kind, column="level")
    assert_drew(explorer.set(column=name))


def test_line_chart_grouped_by_a_date_follows_the_dates(explorer):
    explorer.set(dataset="measurements", column="level", chart="line")
    chart = assert_drew(explorer.set(group_by="taken"))
    assert chart.points == 120


def test_changing_the_rows_shown_redraws_the_table_only(explorer):
    redraw = explorer.set(rows=20)
    assert_clean(redraw)
    assert redraw.charts == []
