"""Unpacking a Pyodide archive stays in its folder, on Pythons with and without tar filters
(Debian 12's 3.11.2 has none: `extractall(filter=...)` came in 3.11.4)."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

import pytest

from minato_lite.pyodide.untar import UnsafeArchive, extract_all


def archive(tmp_path: Path, members: list[tuple[str, str, str]]) -> Path:
    """A .tar.bz2 of (kind, name, content-or-link-target) members."""
    path = tmp_path / "pyodide.tar.bz2"
    with tarfile.open(path, "w:bz2") as out:
        for kind, name, value in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                data = value.encode()
                info.size, info.mode = len(data), 0o4777
                out.addfile(info, io.BytesIO(data))
            elif kind == "dir":
                info.type = tarfile.DIRTYPE
                out.addfile(info)
            else:
                info.type, info.linkname = tarfile.SYMTYPE, value
                out.addfile(info)
    return path


@pytest.fixture(params=["filters", "no filters"])
def python(request, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "no filters":
        monkeypatch.delattr(tarfile, "data_filter", raising=False)
    elif not hasattr(tarfile, "data_filter"):
        pytest.skip("this Python has no tar filters: the other case covers it")
    return request.param


def test_a_release_unpacks_with_its_links_and_without_set_id_bits(tmp_path: Path, python):
    path = archive(tmp_path, [("dir", "pyodide", ""), ("file", "pyodide/pyodide.mjs", "ok"),
                              ("sym", "pyodide/alias.mjs", "pyodide.mjs")])  # fmt: skip
    into = tmp_path / "out"
    into.mkdir()
    with tarfile.open(path) as opened:
        extract_all(opened, into)
    assert (into / "pyodide/alias.mjs").read_text() == "ok"
    assert (into / "pyodide/pyodide.mjs").stat().st_mode & 0o7022 == 0


@pytest.mark.parametrize("members", [
    [("file", "../escaped.txt", "x")],
    [("sym", "link", "../../outside")],
    [("sym", "link", "/etc/passwd")],
], ids=["dot-dot", "link out", "absolute link"])  # fmt: skip
def test_a_member_that_leaves_the_folder_is_refused(tmp_path: Path, python, members):
    path = archive(tmp_path, members)
    into = tmp_path / "out"
    into.mkdir()
    with tarfile.open(path) as opened, pytest.raises(UnsafeArchive):
        extract_all(opened, into)
    assert not (tmp_path / "escaped.txt").exists()


def test_an_absolute_name_lands_inside_the_folder(tmp_path: Path, python):
    path = archive(tmp_path, [("file", "/absolute.txt", "x")])
    into = tmp_path / "out"
    into.mkdir()
    with tarfile.open(path) as opened:
        extract_all(opened, into)
    assert (into / "absolute.txt").read_text() == "x"
