"""The package's shape, checked: what import-linter cannot say.

`lint-imports` (run by ./scripts/test.sh) keeps the stages layered and acyclic;
these tests keep each stage's private names its own (a name with a leading
underscore may be imported only inside the subpackage that defines it), and
every module and function under the sizes past which it holds several jobs.
"""

from __future__ import annotations

import ast
from pathlib import Path

from minato_lite.resources import PACKAGE_DIR

ROOT = "minato_lite"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_DIR.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def stage(module: str) -> str:
    """`minato_lite.site.writer` -> `minato_lite.site`; top-level modules are their own."""
    return ".".join(module.split(".")[:2])


def absolute(importer: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def private_imports_across_stages() -> list[str]:
    found = []
    for path in sorted(PACKAGE_DIR.rglob("*.py")):
        if "guest" in path.parts:  # runs inside Pyodide; imports nothing of ours
            continue
        importer = module_name(path)
        tree = ast.parse(path.read_text("utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom):
                source = absolute(importer, path.name == "__init__.py", node)
                if not source.startswith(ROOT) or stage(source) == stage(importer):
                    continue
                names = [a.name for a in node.names]
                private = [n for n in names if is_private(n)]
                private += [p for p in source.split(".") if is_private(p)]
                if private:
                    found.append(f"{importer} imports {', '.join(private)} from {source}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith(ROOT) and any(
                        is_private(p) for p in alias.name.split(".")
                    ):
                        found.append(f"{importer} imports {alias.name}")
    return found


def test_no_private_name_is_imported_across_stages() -> None:
    assert private_imports_across_stages() == []


def test_the_checker_sees_a_private_import_across_stages() -> None:
    """The check above can fail: a relative import of a private name from a sibling stage."""
    node = ast.parse("from ..pyodide.lockfile import _version_tuple").body[0]
    assert isinstance(node, ast.ImportFrom)
    source = absolute("minato_lite.site.writer", False, node)
    assert source == "minato_lite.pyodide.lockfile"
    assert stage(source) != stage("minato_lite.site.writer")
    assert is_private("_version_tuple") and not is_private("__version__")


def test_every_stage_says_what_it_owns_and_what_it_may_import() -> None:
    for init in sorted(PACKAGE_DIR.glob("*/__init__.py")):
        doc = ast.get_docstring(ast.parse(init.read_text("utf-8"))) or ""
        assert "May import" in doc or "may import" in doc, init


#: sizes the package keeps under (issue 27): past them a module or function does several jobs
MAX_MODULE_LINES = 800
MAX_FUNCTION_LINES = 100


def oversized(root: Path) -> list[str]:
    found = []
    for path in sorted(root.rglob("*.py")):
        text = path.read_text("utf-8")
        name = path.relative_to(root.parent).as_posix()
        if text.count("\n") > MAX_MODULE_LINES:
            found.append(f"{name}: {text.count(chr(10))} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > MAX_FUNCTION_LINES:
                    found.append(f"{name}:{node.lineno} {node.name}(): {length} lines")
    return found


def test_no_module_over_800_lines_and_no_function_over_100() -> None:
    assert oversized(PACKAGE_DIR) == []


def test_the_size_check_sees_a_long_function(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    body = "\n".join(f"    x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    (package / "long.py").write_text(f"def long():\n{body}\n", "utf-8")
    assert oversized(package) == [f"pkg/long.py:1 long(): {MAX_FUNCTION_LINES + 1} lines"]
