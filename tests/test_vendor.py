"""The vendored browser modules (minato_lite/site/web/vendor/) match their manifest and pins.

They are built by scripts/vendor/build.sh from scripts/vendor/package.json and
package-lock.json and committed; these checks need no network and no npm.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from minato_lite.resources import REPO_DIR

VENDOR = REPO_DIR / "minato_lite" / "site" / "web" / "vendor"
SOURCES = REPO_DIR / "scripts" / "vendor"
MODULES = ("editor.js", "purify.js", "marked.js")


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return _json(VENDOR / "MANIFEST.json")


@pytest.fixture(scope="module")
def package() -> dict:
    return _json(SOURCES / "package.json")


@pytest.fixture(scope="module")
def lock() -> dict:
    return _json(SOURCES / "package-lock.json")


def test_every_file_has_the_manifest_digest_and_size(manifest: dict) -> None:
    listed = {entry["name"] for entry in manifest["files"]}
    assert listed == {*MODULES, "LICENSES.txt"}
    on_disk = {p.name for p in VENDOR.iterdir()} - {"MANIFEST.json"}
    assert on_disk == listed, "a vendored file the manifest does not list, or the reverse"
    for entry in manifest["files"]:
        data = (VENDOR / entry["name"]).read_bytes()
        assert len(data) == entry["bytes"], entry["name"]
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["name"]


def test_pins_are_exact_and_the_manifest_versions_are_the_pinned_ones(
    manifest: dict, package: dict, lock: dict
) -> None:
    pins = {**package["dependencies"], **package["devDependencies"]}
    for name, version in pins.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", version), f"{name}: {version} is not exact"
        assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    assert lock["packages"][""]["dependencies"] == package["dependencies"]
    assert manifest["direct_dependencies"] == package["dependencies"]
    assert manifest["built_with"] == {"esbuild": package["devDependencies"]["esbuild"]}
    for entry in manifest["files"]:
        assert entry["packages"], entry["name"]
        for name, version in entry["packages"].items():
            # a direct dependency at its pin, a transitive one at its locked version
            assert package["dependencies"].get(name, version) == version, (entry["name"], name)
            assert lock["packages"][f"node_modules/{name}"]["version"] == version, name
    # every locked package is fetched by integrity hash, from whichever registry npm uses
    for path, entry in lock["packages"].items():
        if path:
            assert "resolved" not in entry and entry["integrity"].startswith("sha512-"), path


def test_the_published_files_are_the_pinned_releases(manifest: dict) -> None:
    by_name = {entry["name"]: entry["packages"] for entry in manifest["files"]}
    purify = (VENDOR / "purify.js").read_text(encoding="utf-8")
    assert purify.startswith(f"/*! @license DOMPurify {by_name['purify.js']['dompurify']} ")
    marked = (VENDOR / "marked.js").read_text(encoding="utf-8")
    assert f" * marked v{by_name['marked.js']['marked']} - a markdown parser" in marked[:200]
    licenses = (VENDOR / "LICENSES.txt").read_text(encoding="utf-8")
    for name, version in by_name["LICENSES.txt"].items():
        assert f"\n{name} {version} (licence: " in licenses, name
    assert "Mozilla Public License Version 2.0" in licenses
    assert "Apache License" in licenses


# No string evaluation: the report's CSP has no 'unsafe-eval'. No imports of any kind: each
# module is self-contained. None of the three has these patterns even in a string (a static
# import is matched by its quoted specifier: editor.js has the words "`from` position" in an
# error message).
SPECIFIER = "|".join(f"{q}[\\w@./:-]+{q}" for q in "\"'`")
FORBIDDEN = {
    "eval": re.compile(r"\beval\s*\("),
    "new Function": re.compile(r"\bnew\s+Function\s*\("),
    "dynamic import": re.compile(r"\bimport\s*\("),
    "static import": re.compile(rf"\bimport\s*(?:[{{*]|{SPECIFIER})|\bfrom\s*(?:{SPECIFIER})"),
    "importScripts": re.compile(r"\bimportScripts\b"),
}


@pytest.mark.parametrize("name", MODULES)
def test_no_eval_and_no_imports(name: str) -> None:
    text = (VENDOR / name).read_text(encoding="utf-8")
    found = {what for what, pattern in FORBIDDEN.items() if pattern.search(text)}
    assert not found, f"{name}: {sorted(found)}"


def test_the_editor_exports_create_editor() -> None:
    text = (VENDOR / "editor.js").read_text(encoding="utf-8")
    exports = re.findall(r"\bexport\s*\{([^}]*)\}", text)
    assert len(exports) == 1
    names = {part.split(" as ")[-1].strip() for part in exports[0].split(",")}
    assert names == {"createEditor"}
    assert text.isascii(), "esbuild --charset=ascii: the file must not depend on its charset"
