"""A store in a local folder: keys are relative file paths below its root.

Writes are atomic: each object is written to a temporary file beside its
target (`.minato-tmp-*`, never listed) and renamed over it, so a reader, or a
static server, sees the old file or the new one, never half of one. Nothing is
fsync'd: a crash may lose the newest objects, not corrupt the ones it keeps.

Metadata is not stored. A folder is served by a static server
(`minato-lite serve`, the API's `/sites/`, nginx) that decides Content-Type,
Cache-Control and compression from the path (`store/policy.py`, which
`serve/static.py` also uses), so
`content_type` and `cache_control` are accepted and dropped, and data given
with `content_encoding="gzip"` is stored decoded: a server could not know to
send that header, and a browser would get compressed bytes as the file.

A whole tree (a site) is committed with one rename: `staging` gives a folder
beside the target (`.<name>.building-*`, on the same file system), and
`commit_tree` swaps it in, so the previous version stays whole until the
new one replaces it. `sweep_staging` removes what killed processes left.

Immutable files (`cache_control` says `immutable`: content-hashed assets,
wheels) given as a Path are hard-linked when the file system allows, as sites
link the cached app (`cache.link_or_copy`): the store then shares the
bytes with the source, which must never be edited in place.
"""

from __future__ import annotations

import os
import secrets
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from ..errors import EnvironmentProblem, UserError
from .base import (
    TEMP_MARK,
    CommitResult,
    Data,
    MissingKey,
    ObjectInfo,
    Store,
    Upload,
    check_prefix,
)
from .compression import GZIP, gunzip, gunzip_file

#: what a staging folder's name holds, and an old tree's on its way out
STAGING_MARKS = (".building-", ".old-")


class FolderStore(Store):
    keeps_metadata = False

    def __init__(self, root: str | Path, public_url: str | None = None) -> None:
        super().__init__(public_url)
        self.root = Path(root).expanduser().absolute()
        if self.root.exists() and not self.root.is_dir():
            raise UserError(f"store {self.root} exists and is not a folder")

    @property
    def location(self) -> str:
        return str(self.root)

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def location_of(self, prefix: str) -> str:
        check_prefix(prefix)
        return str(self._path(prefix.rstrip("/"))) if prefix else str(self.root)

    def served_folder(self) -> Path:
        return self.root

    @contextmanager
    def staging(self, prefix: str) -> Iterator[Path]:
        target = self._tree(prefix)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            stage = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.building-"))
        except OSError as exc:
            raise EnvironmentProblem(f"cannot write beside {target}: {exc.strerror}") from None
        try:
            yield stage
        finally:
            shutil.rmtree(stage, ignore_errors=True)  # gone already once committed

    def _tree(self, prefix: str) -> Path:
        check_prefix(prefix)
        if prefix and not prefix.endswith("/"):
            raise UserError(f"invalid tree prefix {prefix!r}: '' or a folder ending in '/'")
        return self._path(prefix.rstrip("/")) if prefix else self.root

    def commit_tree(self, stage: Path, prefix: str, *, entry: str,
                    before_entry: Sequence[Upload] = (),
                    keep_entry: bool = False) -> CommitResult:  # fmt: skip
        """One rename: the staged folder takes the target's place, the old one goes after
        (so the old version is visible until then, `keep_entry` or not)."""
        target = self._tree(prefix)
        if stage.parent != target.parent:
            raise ValueError(f"{stage} was not staged beside {target} (use staging())")
        if not (stage / entry).is_file():
            raise UserError(f"the staged tree has no entry page {entry!r}")
        files = sum(1 for p in stage.rglob("*") if p.is_file())
        stored = sum(_size(p) for p in stage.rglob("*") if p.is_file())
        result = self.put_many(before_entry)
        try:
            os.chmod(stage, 0o755)
            if target.exists():
                old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.old-"))
                os.replace(target, old / "tree")
                os.replace(stage, target)
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.replace(stage, target)
        except OSError as exc:
            raise EnvironmentProblem(f"cannot put {target} in place: {exc.strerror}") from None
        return CommitResult(files + len(before_entry), stored + result.bytes_sent)

    def sweep_staging(self, older_than: float, now: float,
                      busy: frozenset[str] = frozenset()) -> list[str]:  # fmt: skip
        """Staging and old folders (`.<name>.building-*`, `.<name>.old-*`) older than
        `older_than` seconds, in the store's root: a killed publish's, not a `busy` one's."""
        removed: list[str] = []
        if not self.root.is_dir():
            return removed
        for entry in self.root.iterdir():
            if not (entry.name.startswith(".") and any(m in entry.name for m in STAGING_MARKS)):
                continue
            if any(entry.name.startswith(f".{name}.") for name in busy):
                continue
            try:
                old = now - entry.stat().st_mtime > older_than
            except OSError:
                continue
            if old and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)
                removed.append(entry.name)
        return removed

    def _children(self, prefix: str) -> Iterator[str]:
        folder = self._tree(prefix)
        try:
            names = sorted(entry.name for entry in os.scandir(folder))
        except FileNotFoundError:
            return iter(())
        except NotADirectoryError:
            raise UserError(f"{folder} exists and is not a folder") from None
        return iter([n for n in names if not n.startswith(TEMP_MARK)])

    def _put(self, key: str, data: Data, content_type: str, cache_control: str,
             content_encoding: str | None) -> None:  # fmt: skip
        target = self._path(key)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(data, Path) and content_encoding is None:
                if "immutable" in cache_control and _same_file(data, target):
                    return  # already this very file (a re-publish of a linked store)
                self._write_file(data, target, link="immutable" in cache_control)
            else:
                self._write_bytes(data, target, content_encoding)
        except (NotADirectoryError, FileExistsError):
            raise UserError(
                f"cannot store {key!r} in {self.root}: a part of its path is a file"
            ) from None
        except IsADirectoryError:
            raise UserError(f"cannot store {key!r} in {self.root}: it is a folder") from None
        except FileNotFoundError as exc:
            if isinstance(data, Path) and not data.exists():
                raise UserError(f"cannot store {key!r}: {data} does not exist") from None
            raise EnvironmentProblem(f"cannot write {target}: {exc.strerror}") from None
        except OSError as exc:
            raise EnvironmentProblem(f"cannot write {target}: {exc.strerror}") from None

    @staticmethod
    def _temp(target: Path) -> Path:
        return target.with_name(f"{TEMP_MARK}{secrets.token_hex(6)}-{target.name}"[:255])

    def _write_file(self, src: Path, target: Path, *, link: bool) -> None:
        tmp = self._temp(target)
        try:
            if link:
                try:
                    os.link(src, tmp)
                except OSError:
                    if not src.is_file():
                        raise
                    shutil.copyfile(src, tmp)
            else:
                shutil.copyfile(src, tmp)
            os.replace(tmp, target)
        finally:
            # rename() of two links to one inode succeeds and does nothing: tmp stays
            tmp.unlink(missing_ok=True)

    def _write_bytes(self, data: Data, target: Path, encoding: str | None) -> None:
        tmp = self._temp(target)
        try:
            if isinstance(data, Path):  # a gzip file: decode it as it is copied
                with open(tmp, "wb") as out:
                    gunzip_file(data, out)
            else:
                tmp.write_bytes(gunzip(data) if encoding == GZIP else data)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def _exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def _get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise MissingKey(f"{key!r} is not in {self.root}") from None
        except OSError as exc:
            raise EnvironmentProblem(f"cannot read {self._path(key)}: {exc.strerror}") from None

    def _list(self, prefix: str) -> Iterator[ObjectInfo]:
        folder, _, _ = prefix.rpartition("/")
        start = self._path(folder) if folder else self.root
        found: list[tuple[bytes, ObjectInfo]] = []
        for key, entry in _walk(start, folder):
            if key.startswith(prefix):
                try:
                    stat = entry.stat()
                except FileNotFoundError:  # deleted while listed (another collector): as S3 may
                    continue
                when = datetime.fromtimestamp(stat.st_mtime, timezone.utc)
                found.append((key.encode("utf-8"), ObjectInfo(key, stat.st_size, when)))
        found.sort(key=lambda pair: pair[0])  # as AWS S3 lists: UTF-8 byte order
        return iter([info for _, info in found])

    def _delete(self, keys: list[str]) -> None:
        parents: set[Path] = set()
        for key in keys:
            path = self._path(key)
            try:
                path.unlink()
            except (FileNotFoundError, NotADirectoryError):
                continue
            except IsADirectoryError:
                continue  # a folder is not an object
            except OSError as exc:
                raise EnvironmentProblem(f"cannot delete {path}: {exc.strerror}") from None
            parents.add(path.parent)
        # empty folders left behind would be listed by a static server's index
        for parent in sorted(parents, key=lambda p: len(p.parts), reverse=True):
            while parent != self.root and parent.is_relative_to(self.root):
                try:
                    parent.rmdir()
                except OSError:
                    break
                parent = parent.parent


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _same_file(a: Path, b: Path) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def _walk(folder: Path, key_prefix: str) -> Iterator[tuple[str, os.DirEntry]]:
    """Files below `folder` as (key, entry), skipping half-written temporary files."""
    try:
        entries = list(os.scandir(folder))
    except (FileNotFoundError, NotADirectoryError):
        return
    for entry in entries:
        if entry.name.startswith(TEMP_MARK):
            continue
        key = f"{key_prefix}/{entry.name}" if key_prefix else entry.name
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path), key)
        elif entry.is_file():
            yield key, entry
