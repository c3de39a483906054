"""The one interface every place that writes sites talks to: a `Store` of keyed objects.

A store is a flat namespace of objects named by keys: `/`-separated relative
paths, the same strings a site's files have below its root. Two backends
implement it (a local folder, an S3-compatible bucket), so publishing,
batch and the API never branch on where sites live.

The public methods validate keys and arguments here, once; the backends only
implement the underscore methods. Metadata (`content_type`, `cache_control`,
`content_encoding`) is what an HTTP client will be sent for the object, where
the backend can keep it (`keeps_metadata`); a folder cannot, because a static
server decides those headers (see `folder.py`).
"""

from __future__ import annotations

import builtins
import re
import shutil
import tempfile
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import ClassVar
from urllib.parse import quote

from ..errors import UserError
from .compression import GZIP, gzip_source

#: S3's limit on a key, in UTF-8 bytes
MAX_KEY_BYTES = 1024
#: a folder's half-written files carry this in their names; no key may
TEMP_MARK = ".minato-tmp-"
ENCODINGS = (None, GZIP)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

Data = bytes | Path


class MissingKey(UserError, KeyError):
    """`get` of a key the store does not hold: a KeyError, and one line for the CLI."""

    def __str__(self) -> str:  # KeyError would print the message in quotes
        return str(self.args[0]) if self.args else "missing key"


@dataclass(frozen=True)
class ObjectInfo:
    """One stored object as a listing reports it."""

    key: str
    size: int  # bytes as stored (compressed size for a gzip object in S3)
    last_modified: datetime  # timezone-aware, UTC


@dataclass(frozen=True)
class Upload:
    """One object for `put_many`: raw content plus what HTTP clients should be told.

    `source` is the content as a reader wants it (never pre-compressed): the
    store compresses it when `gzip` is set and it keeps metadata (S3), because
    only then can it also send `Content-Encoding: gzip`.
    """

    key: str
    source: Data
    content_type: str
    cache_control: str
    #: store gzip-compressed with Content-Encoding: gzip, where objects keep metadata
    gzip: bool = False
    #: content-addressed (a content hash in the name): a key that is already there holds
    #: these bytes, so it is not sent again
    if_absent: bool = False


@dataclass(frozen=True)
class CommitResult:
    """What `commit_tree` did: files of the tree now in place, and the bytes they take in
    the store (as stored: gzip objects in a bucket count compressed)."""

    files: int
    bytes_stored: int


@dataclass
class PutResult:
    """What `put_many` did: keys sent, keys skipped (already present), bytes sent."""

    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    bytes_sent: int = 0


def check_key(key: object) -> str:
    """`key` if it is a safe relative object name, else a one-line UserError.

    The rules make a key mean the same file in a folder and in a bucket: no
    absolute paths, no `..` or `.` segments (a folder store must never write
    outside its root), no backslashes (a second separator on Windows), no empty
    segments (S3 would keep `a//b` distinct from `a/b`, a folder would not), no
    control characters (they forge log lines), at most S3's 1024 bytes.
    """
    if not isinstance(key, str) or not key:
        raise UserError(f"invalid store key {key!r}: a key is a non-empty relative path")
    problem = None
    segments = key.split("/")
    if key.startswith("/"):
        problem = "it starts with '/'"
    elif "\\" in key:
        problem = "it contains a backslash"
    elif _CONTROL.search(key):
        problem = "it contains a control character"
    elif "" in segments:
        problem = "it has an empty segment ('//' or a trailing '/')"
    elif any(s in (".", "..") for s in segments):
        problem = "it has a '.' or '..' segment"
    elif any(s.startswith(TEMP_MARK) for s in segments):
        problem = f"'{TEMP_MARK}' names are reserved for half-written files"
    elif len(key.encode("utf-8")) > MAX_KEY_BYTES:
        problem = f"it is longer than {MAX_KEY_BYTES} bytes"
    if problem:
        raise UserError(f"invalid store key {key!r}: {problem}")
    return key


def check_prefix(prefix: object) -> str:
    """A listing prefix: '' (everything), or a key, or a key-like folder ending in '/'."""
    if prefix == "":
        return ""
    if not isinstance(prefix, str):
        raise UserError(f"invalid store prefix {prefix!r}")
    check_key(prefix[:-1] if prefix.endswith("/") else prefix)
    return prefix


def check_folder_prefix(prefix: object) -> str:
    """A prefix to delete under: non-empty and ending in '/'.

    A plain string prefix `sites/ab` would also match `sites/abc/...`; deleting
    must name a folder, and never the whole store by accident.
    """
    if not isinstance(prefix, str) or not prefix.endswith("/") or prefix == "/":
        raise UserError(
            f"invalid prefix to delete {prefix!r}: name a folder ending in '/', e.g. 'sites/abc/'"
        )
    return check_prefix(prefix)


class Store(ABC):
    """Objects under `/`-separated keys, in a folder or a bucket (see `open_store`)."""

    #: whether objects keep content type, cache control and encoding (S3: yes; folder: no)
    keeps_metadata: ClassVar[bool]
    #: uploads `put_many` runs at once
    workers: int = 1

    def __init__(self, public_url: str | None = None) -> None:
        self.public_url = public_url.rstrip("/") + "/" if public_url else None

    # -- what each backend implements ------------------------------------------------

    @property
    @abstractmethod
    def location(self) -> str:
        """Where the store is, for messages: a folder path or `s3://bucket/prefix/`."""

    @abstractmethod
    def _put(self, key: str, data: Data, content_type: str, cache_control: str,
             content_encoding: str | None) -> None: ...  # fmt: skip

    @abstractmethod
    def _exists(self, key: str) -> bool: ...

    @abstractmethod
    def _get(self, key: str) -> bytes: ...

    @abstractmethod
    def _list(self, prefix: str) -> Iterator[ObjectInfo]: ...

    @abstractmethod
    def _delete(self, keys: list[str]) -> None: ...

    def _default_public_url(self) -> str | None:
        return None

    @abstractmethod
    def _children(self, prefix: str) -> Iterator[str]: ...

    @abstractmethod
    def commit_tree(self, stage: Path, prefix: str, *, entry: str,
                    before_entry: Sequence[Upload] = (),
                    keep_entry: bool = False) -> CommitResult:  # fmt: skip
        """Make the tree built in `stage` (from `staging(prefix)`) what `prefix` holds.

        The one way a whole site becomes visible: `entry` (its entry page) is the
        last object to appear, `before_entry` (bookkeeping) just before it, and
        objects the previous tree had and this one has not are gone afterwards.
        A folder does it with one rename; a bucket with an ordered upload (see
        the backends). `prefix` is '' (the whole store) or a folder ending in '/'.
        `keep_entry`: the tree is a newer version of the same site, either of which
        a visitor may load, so a bucket keeps the old entry page until the new one
        replaces it instead of hiding the site while it uploads.
        """

    # -- the interface -----------------------------------------------------------------

    def put(self, key: str, data: Data, *, content_type: str, cache_control: str,
            content_encoding: str | None = None) -> None:  # fmt: skip
        """Store `data` (bytes, or a file to read) under `key`, replacing what was there.

        `content_encoding="gzip"` says `data` is already gzip-compressed: S3 keeps
        it so and sends the header; a folder stores the decoded bytes, since its
        static server cannot know to send the header. A reader never sees half an
        object in either.
        """
        check_key(key)
        if not isinstance(data, (bytes, Path)):
            raise TypeError(f"data for {key!r} must be bytes or a Path, not {type(data).__name__}")
        if content_encoding not in ENCODINGS:
            raise UserError(f"unsupported content encoding {content_encoding!r} for {key!r}")
        self._put(key, data, content_type, cache_control, content_encoding)

    def exists(self, key: str) -> bool:
        return self._exists(check_key(key))

    def put_if_absent(self, key: str, data: Data, *, content_type: str, cache_control: str,
                      content_encoding: str | None = None) -> bool:  # fmt: skip
        """`put` unless `key` exists; True when it was sent.

        Meant for content-addressed keys, whose name fixes their bytes: two
        writers racing between the check and the put write the same bytes, so
        the check need not be atomic.
        """
        if self.exists(key):
            return False
        self.put(key, data, content_type=content_type, cache_control=cache_control,
                 content_encoding=content_encoding)  # fmt: skip
        return True

    def get(self, key: str) -> bytes:
        """The object's content, decoded if it was stored compressed; MissingKey if absent."""
        return self._get(check_key(key))

    def list(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Objects whose key starts with `prefix` (a plain string prefix, as in S3).

        Each once, in no promised order: AWS S3 and the folder store list in
        UTF-8 byte order, SeaweedFS folder by folder (`a/x` before `a-b`).
        """
        return self._list(check_prefix(prefix))

    def delete(self, keys: Iterable[str]) -> None:
        """Remove these objects; a key that is not there is not an error (as in S3)."""
        checked = [check_key(k) for k in keys]
        if checked:
            self._delete(checked)

    def delete_prefix(self, prefix: str) -> int:
        """Remove every object under the folder `prefix` (ending in '/'); how many."""
        keys = [info.key for info in self._list(check_folder_prefix(prefix))]
        if keys:
            self._delete(keys)
        return len(keys)

    def children(self, prefix: str = "") -> Iterator[str]:
        """Names directly below the folder `prefix` ('' or ending in '/'): files and folders."""
        if prefix:
            check_folder_prefix(prefix)
        return self._children(prefix)

    def location_of(self, prefix: str) -> str:
        """Where `prefix` is, for messages and results: a folder path or an `s3://` URL."""
        return self.location + check_prefix(prefix)

    def served_folder(self) -> Path | None:
        """The local folder a static server can serve this store from; None when the store
        has a host of its own (a bucket is served by its endpoint or a CDN)."""
        return None

    @contextmanager
    def staging(self, prefix: str) -> Iterator[Path]:
        """An empty local folder to build the tree of `prefix` in, for `commit_tree`.

        Removed afterwards, committed or not. A folder store puts it beside the
        target, on the same file system, so that the commit is one rename.
        """
        check_prefix(prefix)
        stage = Path(tempfile.mkdtemp(prefix="minato-stage-"))
        try:
            yield stage
        finally:
            shutil.rmtree(stage, ignore_errors=True)

    def sweep_staging(self, older_than: float, now: float,
                      busy: frozenset[str] = frozenset()) -> builtins.list[str]:  # fmt: skip
        """Staging folders that killed processes left where a reader may see them; removed,
        except those of the trees named in `busy` (a publish still running, however long).

        Only a folder store keeps staging next to what it serves.
        """
        return []

    def url_for(self, key: str) -> str:
        """The public URL of `key`: the store's public base URL plus the key, escaped."""
        check_key(key)
        base = self.public_url or self._default_public_url()
        if base is None:
            raise UserError(f"{self.location} has no public URL: give one (public_url=...)")
        return base + quote(key, safe="/~")

    def put_many(self, uploads: Iterable[Upload]) -> PutResult:
        """Send many objects, `workers` at a time, skipping present `if_absent` keys.

        Largest first, so one big file does not start last and run alone. The
        first failure stops the batch (uploads not yet started are cancelled)
        and is raised; objects already sent stay, each of them whole.
        """
        items = list(uploads)
        seen: set[str] = set()
        for item in items:
            if check_key(item.key) in seen:
                raise UserError(f"{item.key!r} is uploaded twice in one batch")
            seen.add(item.key)
        items.sort(key=_size, reverse=True)
        known = self._known_present([item.key for item in items if item.if_absent])
        result = PutResult()
        lock = threading.Lock()

        def send(item: Upload) -> None:
            sent = self._send(item, known.get(item.key))
            with lock:
                if sent is None:
                    result.skipped.append(item.key)
                else:
                    result.uploaded.append(item.key)
                    result.bytes_sent += sent

        if self.workers <= 1 or len(items) <= 1:
            for item in items:
                send(item)
        else:
            with ThreadPoolExecutor(self.workers, thread_name_prefix="store-put") as pool:
                futures = [pool.submit(send, item) for item in items]
                done, _ = wait(futures, return_when=FIRST_EXCEPTION)
                failed = [f for f in done if f.exception() is not None]
                if failed:
                    for future in futures:
                        future.cancel()
                    raise failed[0].exception()  # type: ignore[misc]
        return result

    def _known_present(self, keys: builtins.list[str]) -> dict[str, bool]:
        """Whether some of `keys` exist, where a backend can tell for many at once.

        Keys left out are checked one by one (`_exists`). A folder answers each
        with a stat; S3 lists folders, one request per 1000 keys instead of one
        HEAD per key (which costs as much as a small upload).
        """
        return {}

    def _send(self, item: Upload, present: bool | None = None) -> int | None:
        """Upload one item; the bytes sent, or None when it was already there."""
        if item.if_absent and (present if present is not None else self._exists(item.key)):
            return None
        data, encoding = item.source, None
        if item.gzip and self.keeps_metadata:
            with gzip_source(item.source) as (packed, encoding):
                size = packed.stat().st_size if isinstance(packed, Path) else len(packed)
                self._put(item.key, packed, item.content_type, item.cache_control, encoding)
                return size
        size = data.stat().st_size if isinstance(data, Path) else len(data)
        self._put(item.key, data, item.content_type, item.cache_control, encoding)
        return size


def _size(item: Upload) -> int:
    try:
        return item.source.stat().st_size if isinstance(item.source, Path) else len(item.source)
    except OSError:
        return 0  # reported when it is sent
