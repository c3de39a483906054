"""Semantic types, key findings and group comparisons through a whole build, under CPython.

The analysis notebook opens on its key findings (pre-rendered at build time, each
linked to a heading that exists), follows the semantic types (identifiers,
constants and years are never charted as measures nor correlated), converts
numbers written as text when the data is read and says so, compares groups when
a categorical has 2-12 groups, and uses a year column as its time axis.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from minato_lite import build_site
from minato_lite.build import prepare
from minato_lite.execute.check import execute_folder
from minato_lite.execute.executor import WarmExecutor
from minato_lite.inputs.profile import profile_dataset
from minato_lite.inputs.readers import load_inputs
from minato_lite.notebooks.builders import FINDING_KINDS, heading_anchor, plan_sections
from minato_lite.resources import REPO_DIR
from minato_lite.runtime.minato.insights import findings_markdown
from tests.support.runtime import load_runtime
from tests.test_notebooks_execute import CELL_TIMEOUT, SAMPLES

SALES = REPO_DIR / "examples/sales.csv"
LEDGER = REPO_DIR / "examples/data/store_ledger.csv"
CORPUS = Path(__file__).parent / "hostile"
HOSTILE = [
    CORPUS / name
    for name, case in json.loads((CORPUS / "cases.json").read_text())["cases"].items()
    if case["exit"] == 0 and case.get("as") != "code"
]
LINK = re.compile(r"\]\(#([^)]+)\)")


@pytest.fixture(scope="module")
def warm() -> WarmExecutor:
    with WarmExecutor() as executor:
        yield executor


def run_analysis(prepared, tmp_path: Path, warm: WarmExecutor) -> nbformat.NotebookNode:
    prepared.files.write(tmp_path / "files")
    runs = execute_folder(
        tmp_path / "files",
        ["analysis.ipynb"],
        output=tmp_path / "out",
        timeout=CELL_TIMEOUT,
        executor=warm,
    )
    assert [(r.status, r.detail) for r in runs] == [("pass", "")]
    return nbformat.read(tmp_path / "out" / "analysis.ipynb", as_version=4)


def heading_ids(nb) -> list[str]:
    """The ids JupyterLab gives the notebook's Markdown headings (escapes undone)."""
    ids = []
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("#"):
                    text = re.sub(r"\\(.)", r"\1", line.lstrip("#").strip())
                    ids.append(heading_anchor(text.replace("`", "")))
    return ids


def parameters(nb) -> list[dict]:
    """Every parameters cell, evaluated (they are plain literal assignments)."""
    found = []
    for cell in nb.cells:
        if "parameters" in cell.metadata.get("tags", []):
            values: dict = {}
            exec(compile(cell.source, "<parameters>", "exec"), {}, values)
            found.append(values)
    return found


def findings_cells(nb) -> list:
    return [c for c in nb.cells if c.cell_type == "code" and "minato.findings(" in c.source]


# key findings


def first(nb, prefix: str) -> int:
    return next(i for i, c in enumerate(nb.cells) if c.source.startswith(prefix))


def test_key_findings_open_the_analysis_rendered_at_build_time_and_link_to_real_headings(
    tmp_path: Path, warm, monkeypatch
):
    site = tmp_path / "site"
    build_site([SALES, LEDGER], site, executor=warm)
    nb = nbformat.read(site / "files" / "analysis.ipynb", as_version=4)
    ids = heading_ids(nb)
    cells = findings_cells(nb)
    assert len(cells) == 2, "one findings section per dataset"
    minato = load_runtime(site / "files" / "data", monkeypatch)
    for cell, name in zip(cells, ["sales", "store_ledger"], strict=True):
        [params] = [p for p in parameters(nb) if "SECTIONS" in p and p["DATASET"] == name]
        [output] = cell.outputs
        shown = output["data"]["text/markdown"]
        assert shown.startswith("1. ") and shown.count("\n2. ") == 1
        anchors = dict(zip(params["SECTIONS"], params["ANCHORS"], strict=True))
        expected = findings_markdown(minato.findings(name), anchors)
        assert shown == expected, "the stored output is what minato.findings gives"
        links = LINK.findall(shown)
        assert links and set(links) <= set(ids), set(links) - set(ids)
    assert first(nb, "### Key findings: sales") < first(nb, "### Overview: sales")


def test_a_single_dataset_opens_on_its_findings_linked_to_plain_headings(tmp_path: Path, warm):
    nb = run_analysis(prepare([SALES]), tmp_path, warm)
    [cell] = findings_cells(nb)
    links = LINK.findall(cell.outputs[0]["data"]["text/markdown"])
    assert "Group-comparisons" in links and set(links) <= set(heading_ids(nb))
    assert first(nb, "## Key findings") < first(nb, "## Overview")
    assert nb.cells[0].source.startswith("# sales"), "after the title cell"


def test_focused_analyses_list_the_findings_about_their_subject(tmp_path: Path, warm):
    nb = run_analysis(prepare([SALES], analysis="correlation"), tmp_path, warm)
    [params] = [p for p in parameters(nb) if "KINDS" in p]
    assert params["KINDS"] == list(FINDING_KINDS["correlation"])
    shown = findings_cells(nb)[0].outputs[0]["data"]["text/markdown"]
    items = [line for line in shown.splitlines() if re.match(r"\d+\. ", line)]
    assert items and all(("correlated" in i or "differs" in i) for i in items), items


# semantic types decide what is charted


def crafted() -> pd.DataFrame:
    r = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "order_id": np.arange(1000, 1060),
            "year": np.repeat([2020, 2021, 2022], 20),
            "zip": r.choice([2139, 10001, 94103], 60),
            "store": "main",
            "paid": r.choice(["Y", "N"], 60),
            "region": r.choice(["north", "south"], 60),
            "amount": r.lognormal(3, 1, 60),
        }
    )


def test_only_measures_are_charted_and_correlated(tmp_path: Path):
    prepared = prepare({"orders": crafted()}, analysis="comprehensive")
    params = parameters(prepared.notebooks[0].notebook)
    numeric = [p["NUMERIC"] for p in params if "NUMERIC" in p]
    assert numeric and all(n == ["amount"] for n in numeric)
    [time] = [p["DATETIME"] for p in params if "DATETIME" in p]
    assert time == "year"
    [categorical] = [p["CATEGORICAL"] for p in params if "CATEGORICAL" in p]
    assert categorical == ["zip", "paid", "region"]


@pytest.mark.parametrize("source", [*SAMPLES, *HOSTILE], ids=lambda p: p.name)
def test_no_identifier_constant_or_year_is_ever_a_measure_on_any_sample_or_hostile_input(source):
    prepared = prepare([source])
    manifest = json.loads(prepared.files.files["data/catalog.json"])
    for params in parameters(prepared.notebooks[0].notebook):
        entry = next(d for d in manifest["datasets"] if d["name"] == params["DATASET"])
        kinds: dict[str, str] = {}
        for column in entry["columns"]:
            kinds.setdefault(column["name"], column["semantic"])
        for name in params.get("NUMERIC", []):
            assert kinds[name] == "numeric", (name, kinds[name])


# numbers and dates written as text


def test_numbers_written_as_text_are_stored_as_numbers_and_the_overview_says_so():
    prepared = prepare([LEDGER])
    [entry] = json.loads(prepared.files.files["data/catalog.json"])["datasets"]
    converted = {c["column"]: c for c in entry["conversions"]}
    assert set(converted) == {"issued", "created_at", "amount", "discount", "quantity"}
    assert converted["amount"]["how"] == "currency text ($) read as numbers"
    dtypes = {c["name"]: c["dtype"] for c in entry["columns"]}
    assert dtypes["amount"] == "float64" and dtypes["quantity"] == "int64"
    assert dtypes["issued"].startswith("datetime64") and dtypes["paid"] in ("str", "object")
    stored = prepared.files.files["data/store_ledger.csv"].decode()
    assert "$" not in stored and "%" not in stored and '"1,200"' not in stored
    assert ",Y," in stored, "yes/no text stays as the user wrote it"
    overview = "\n".join(c.source for c in prepared.notebooks[0].notebook.cells)
    assert "**Read as numbers and dates:**" in overview
    assert "> * `amount`: currency text \\(\\$\\) read as numbers" in overview


def test_the_browser_loads_the_converted_numbers(tmp_path: Path, monkeypatch):
    prepared = prepare([LEDGER])
    prepared.files.write(tmp_path)
    minato = load_runtime(tmp_path / "data", monkeypatch)
    frame = minato.load()
    assert frame["amount"].dtype == "float64" and frame["amount"].sum() > 0
    assert minato.measures() == ["amount", "discount", "quantity"]
    assert minato.info()["conversions"][0] == {
        "column": "issued",
        "how": "date text (%d/%m/%Y) read as dates",
        "dtype": "datetime64[ns]",
    }


def test_measures_fall_back_to_number_dtypes_without_stored_types(tmp_path: Path, monkeypatch):
    from tests.support.runtime import write_data

    frame = pd.DataFrame({"id": [1, 2, 3], "x": [1.5, 2.5, 3.5], "flag": [True, False, True]})
    minato = load_runtime(write_data(tmp_path / "data", {"t": frame}), monkeypatch)
    assert minato.measures("t") == ["id", "x"]


# the profile, group comparisons, years


def test_the_profile_kinds_are_the_runtimes_semantic_types():
    [dataset] = load_inputs({"orders": crafted()})
    profile = profile_dataset(dataset)
    kinds = {c.name: (c.kind, c.format) for c in profile.columns}
    assert kinds == {
        "order_id": ("identifier", None),
        "year": ("datetime", "year"),
        "zip": ("categorical", None),
        "store": ("constant", None),
        "paid": ("boolean", "text"),
        "region": ("categorical", None),
        "amount": ("numeric", None),
    }
    assert profile.measures() == ["amount"] and profile.times() == ["year"]
    assert profile.groupings() == ["zip", "paid", "region"]


def test_with_repeated_names_the_first_column_of_a_name_decides(tmp_path: Path):
    frame = pd.DataFrame([[1, 2.5], [2, 3.5], [3, 1.5]] * 10, columns=["a", "a"])
    frame.iloc[:, 0] = range(30)  # the first "a" is a row number
    profile = profile_dataset(load_inputs({"t": frame})[0])
    assert [c.kind for c in profile.columns] == ["identifier", "numeric"]
    assert profile.measures() == [], "unique_columns keeps the identifier under that name"


def test_group_comparisons_need_a_categorical_of_2_to_12_groups_and_a_measure():
    def planned(frame: pd.DataFrame, analysis: str = "comprehensive") -> list[str]:
        profile = profile_dataset(load_inputs({"t": frame})[0])
        return [item[0] for item in plan_sections(profile, analysis) if not isinstance(item, str)]

    r = np.random.default_rng(1)
    assert "groups" in planned(crafted())
    assert "groups" not in planned(crafted(), "descriptive")
    many = pd.DataFrame({"c": [f"g{i % 20}" for i in range(200)], "v": r.normal(size=200)})
    assert "groups" not in planned(many)
    assert "groups" not in planned(crafted().drop(columns=["amount"]))


def test_the_group_comparison_section_shows_the_table_and_box_plots(tmp_path: Path, warm):
    nb = run_analysis(prepare([LEDGER]), tmp_path, warm)
    start = next(i for i, c in enumerate(nb.cells) if c.source.startswith("## Group comparisons"))
    table, plots = nb.cells[start + 1], nb.cells[start + 2]
    text = "".join(o.get("text", "") for o in table.outputs)
    assert "Grouped by region: the categorical whose groups differ most" in text
    html = next(o["data"]["text/html"] for o in table.outputs if "data" in o)
    assert "mean: West" in html and "η²" in html and "ω²" in html
    assert any("image/png" in o.get("data", {}) for o in plots.outputs)


def test_a_year_column_is_the_time_axis_of_the_time_series_section(tmp_path: Path, warm):
    years = np.repeat(np.arange(1990, 2020), 4)
    r = np.random.default_rng(2)
    frame = pd.DataFrame({"year": years, "co2": (years - 1990) * 1.5 + r.normal(0, 2, len(years))})
    nb = run_analysis(prepare({"emissions": frame}, analysis="timeseries"), tmp_path, warm)
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
    assert "120 dated rows from 1990-01-01" in text and "period: YS" in text
    shown = findings_cells(nb)[0].outputs[0]["data"]["text/markdown"]
    assert "co2 rises over year" in shown and "[Over time" in shown


def test_cells_made_without_per_cell_validation_match_nbformats_and_the_document_validates():
    from nbformat import v4

    from minato_lite.notebooks.builders import code, document, markdown

    ours = [markdown("# Title"), code("x = 1\n")]
    theirs = [v4.new_markdown_cell("# Title"), v4.new_code_cell("x = 1")]
    for mine, reference in zip(ours, theirs, strict=True):
        assert {k: v for k, v in mine.items() if k != "id"} == {
            k: v for k, v in reference.items() if k != "id"
        }
    assert document("t.ipynb", ours).notebook.cells[1].id.startswith("c001-")
    broken = code("x")
    broken["outputs"] = [{"output_type": "nonsense"}]
    with pytest.raises(nbformat.ValidationError):
        document("t.ipynb", [broken])
