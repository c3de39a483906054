"""Bytecode compiler that runs INSIDE the distribution's own Pyodide (never host Python).

`minato_lite.pyodide.bytecode` boots the distribution's Pyodide in Deno
(`compile.mjs`) and runs this file there, so the bytecode magic is always the
one the browser will check: Python 3.12 for Pyodide 0.27, 3.14 for 314. The
zip files are written here too, by Pyodide's own zlib, so the output bytes
depend on the distribution and its inputs, not on the host's zlib.

`compile_archive(src, dst, prefix, wheel, retag)` reads the archive `src`
(in Pyodide's in-memory file system) and writes `dst`:

* each importable `.py` is replaced by `<name>.pyc` beside it (the layout
  zipimport and `SourcelessFileLoader` read), compiled with the file name the
  module gets once installed (`prefix` + name: tracebacks name the same files
  as before) into an unchecked-hash `.pyc` (no timestamps: reproducible);
* a file that does not compile on this Python stays source (reported);
* other files are copied; wheels get a `RECORD` that lists what they now
  hold, and with `retag` (pure wheels) `Tag: py3-none-any` becomes
  `Tag: cp3XY-none-any` in `WHEEL`, as the file name will;
* entries are sorted, with a fixed time and mode, so the same input gives the
  same bytes.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import importlib.util
import io
import json
import site
import sys
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc  # type: ignore[attr-defined]

#: zip entry time of every file written (the zip format's earliest)
FIXED_TIME = (1980, 1, 1, 0, 0, 0)
COMPRESSLEVEL = 9
FILE_MODE = 0o644
DIR_MODE = 0o755
PYTHON_TAG = f"cp{sys.version_info[0]}{sys.version_info[1]}"


def identity() -> str:
    """What compiles: the Python version, its bytecode magic and tags, and where files go."""
    if not any(path.endswith(".zip") for path in sys.path):
        raise RuntimeError("this Pyodide has no standard library zip on sys.path")
    return json.dumps(
        {
            "python": ".".join(map(str, sys.version_info[:3])),
            "magic": importlib.util.MAGIC_NUMBER.hex(),
            "cache_tag": sys.implementation.cache_tag,
            "python_tag": PYTHON_TAG,
            "hash_randomization": sys.flags.hash_randomization,
            "stdlib_zip": next((p for p in sys.path if p.endswith(".zip")), None),
            "site": install_dir("site"),
        }
    )


def install_dir(target: str | None) -> str:
    """Where `loadPackage` unpacks a package whose lockfile `install_dir` is `target`."""
    try:
        from pyodide._package_loader import get_install_dir
    except ImportError:  # not Pyodide's loader: its rule is "site-packages unless dynlib"
        return site.getsitepackages()[0]
    return str(get_install_dir(target))


def _compilable(name: str, wheel: bool) -> bool:
    if not name.endswith(".py"):
        return False
    top = name.split("/", 1)[0]
    # metadata and `.data/scripts` are not imported; they stay as they are
    return not (wheel and top.endswith((".dist-info", ".data")))


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=")
    return "sha256=" + digest.decode("ascii")


def _retag(wheel_file: bytes) -> bytes:
    """`Tag: py3-none-any` (and `py2.py3-...`) -> `Tag: cp3XY-none-any`, once each."""
    lines, seen = [], set()
    for line in wheel_file.decode("utf-8").splitlines():
        if line.startswith("Tag: "):
            python, abi, platform = line[5:].strip().split("-")
            if python.startswith("py"):
                line = f"Tag: {PYTHON_TAG}-{abi}-{platform}"
            if line in seen:
                continue
            seen.add(line)
        lines.append(line)
    return ("\n".join(lines) + "\n").encode("utf-8")


def _info(name: str, mode: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(name, FIXED_TIME)
    info.create_system = 3
    if name.endswith("/"):
        info.external_attr = ((0o040000 | DIR_MODE) << 16) | 0x10
        info.compress_type = zipfile.ZIP_STORED
    else:
        info.external_attr = (0o100000 | mode) << 16
        info.compress_type = zipfile.ZIP_DEFLATED
    return info


def compile_archive(src: str, dst: str, prefix: str, wheel: bool, retag: bool) -> str:
    """Compile `src` into `dst`; a JSON summary (nothing written when nothing compiles)."""
    with zipfile.ZipFile(src) as archive:
        entries = {info.filename: info for info in archive.infolist()}
        sources = [n for n in entries if _compilable(n, wheel)]
        if not sources:
            return json.dumps({"compiled": 0, "kept": [], "written": False})
        out: dict[str, tuple[bytes, int]] = {}
        kept = []
        for name, info in entries.items():
            if name.endswith(".pyc") and name[:-1] in entries:
                continue  # compiled again below, from its source
            data = b"" if info.is_dir() else archive.read(info)
            mode = (info.external_attr >> 16) & 0o777 or FILE_MODE
            if name in sources:
                try:
                    code = compile(data, prefix + name, "exec", dont_inherit=True, optimize=0)
                except (SyntaxError, ValueError):
                    kept.append(name)
                else:
                    pyc = _code_to_hash_pyc(code, importlib.util.source_hash(data), False)
                    out[name + "c"] = (bytes(pyc), FILE_MODE)
                    continue
            out[name] = (data, mode)
    dist_info = None
    if wheel:
        dist_info = _wheel_metadata(out, retag)
    with zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=COMPRESSLEVEL) as target:
        for name in sorted(out):
            data, mode = out[name]
            target.writestr(_info(name, mode), data)
    compiled = len(sources) - len(kept)
    summary = {"compiled": compiled, "kept": kept, "written": True, "dist_info": dist_info}
    return json.dumps(summary)


def _wheel_metadata(out: dict[str, tuple[bytes, int]], retag: bool) -> str:
    """Retag `WHEEL` and rewrite `RECORD` in `out`; the `.dist-info` folder's name."""
    infos = sorted({n.split("/", 1)[0] for n in out if n.split("/", 1)[0].endswith(".dist-info")})
    if len(infos) != 1:
        raise ValueError(f"a wheel needs one .dist-info folder, this one has {infos}")
    info = infos[0]
    if retag and f"{info}/WHEEL" in out:
        data, mode = out[f"{info}/WHEEL"]
        out[f"{info}/WHEEL"] = (_retag(data), mode)
    record = f"{info}/RECORD"
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    for name, (data, _mode) in sorted(out.items()):
        if name != record and not name.endswith("/"):
            writer.writerow([name, _record_hash(data), len(data)])
    writer.writerow([record, "", ""])
    out[record] = (text.getvalue().encode("utf-8"), FILE_MODE)
    return info
