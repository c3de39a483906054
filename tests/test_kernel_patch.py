"""The coincident answer-publishing patch: applied once, exactly, or the build stops."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from minato_lite.errors import EnvironmentProblem
from minato_lite.site.kernel_patch import BUNDLE_DIR, MARKER, REPLACEMENTS, patch_kernel_bundle

#: the extension as installed in this environment (what `jupyter lite build` copies)
INSTALLED = Path(sys.prefix) / "share/jupyter/labextensions" / BUNDLE_DIR.split("/", 1)[1]


def fake_app(tmp_path: Path) -> Path:
    app = tmp_path / "app"
    shutil.copytree(INSTALLED, app / BUNDLE_DIR)
    return app


def test_the_page_publishes_the_answer_word_last_and_the_installed_extension_is_untouched(
    tmp_path: Path,
):
    before = {p.name: p.read_bytes() for p in INSTALLED.glob("*.js")}
    app = fake_app(tmp_path)
    bundle = patch_kernel_bundle(app)
    text = bundle.read_text()
    for old, new in REPLACEMENTS:
        assert old not in text and text.count(new) == 1
    assert text.rstrip().endswith(MARKER)
    assert patch_kernel_bundle(app) == bundle and bundle.read_text() == text  # idempotent
    assert {p.name: p.read_bytes() for p in INSTALLED.glob("*.js")} == before


def test_a_kernel_extension_without_the_known_loop_stops_the_build(tmp_path: Path):
    app = fake_app(tmp_path)
    for bundle in (app / BUNDLE_DIR).glob("*.js"):
        bundle.write_text(bundle.read_text().replace(REPLACEMENTS[0][0], "/* changed */"))
    with pytest.raises(EnvironmentProblem, match="exactly once"):
        patch_kernel_bundle(app)


def test_built_sites_carry_the_patch(tmp_path: Path):
    from minato_lite import build_site
    from minato_lite.resources import REPO_DIR

    site = build_site([REPO_DIR / "examples/sales.csv"], tmp_path / "s", prerender=False).out
    patched = [b for b in (site / BUNDLE_DIR).glob("*.js") if MARKER in b.read_text()]
    assert len(patched) == 1


@pytest.mark.parametrize("steps", [("drive", "jedi"), ("drive",), ("jedi",)])
def test_the_kernel_start_patch_matches_both_installed_workers_once_and_is_idempotent(
    tmp_path: Path, steps
):
    from minato_lite.site.kernel_patch import START_MARKER, patch_kernel_start

    app = fake_app(tmp_path)
    workers = patch_kernel_start(app, steps)
    assert sorted(w.name.split(".")[0] for w in workers) == ["coincident", "comlink"]
    first = [w.read_text() for w in workers]
    assert patch_kernel_start(app, steps) and [w.read_text() for w in workers] == first
    for text in first:
        assert text.count(START_MARKER) == 1
        # the drive step: no chdir while mounting, an absolute one after the kernel's import
        assert (".chdir(t),this._driveFS=" not in text) == ("drive" in steps)
        assert ('JSON.stringify("/drive/"' in text) == ("drive" in steps)
        # the jedi step: not installed at start, stubbed while the kernel imports
        assert ('"pyodide-kernel","jedi","ipython"' not in text) == ("jedi" in steps)
        assert ("_mz_lazy_jedi()" in text) == ("jedi" in steps)
