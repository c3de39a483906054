"""Where sites are stored: a local folder or an S3-compatible bucket, behind one `Store`.

    store = open_store("sites/")                       # a folder
    store = open_store("s3://my-bucket/sites/")        # a bucket, from the AWS environment
    store.put_many(folder_uploads(site, "abc123/"))    # a built site, with serve's headers
    store.url_for("abc123/index.html")

`base.py` is the interface, `folder.py` and `s3.py` the two backends,
`policy.py` what each site file is stored with, `compression.py` the gzip.
`docs/store.md` records what was verified against a real S3 service.

May import: the base modules (`errors`) and boto3, nothing else of minato-lite:
the store knows keys, bytes and headers, not sites (`site/` imports it, never
the other way round).
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import UserError
from .base import (
    MissingKey,
    ObjectInfo,
    PutResult,
    Store,
    Upload,
    check_key,
    check_prefix,
)
from .folder import FolderStore
from .policy import content_type_for, folder_uploads, should_gzip, upload_for

__all__ = [
    "FolderStore",
    "MissingKey",
    "ObjectInfo",
    "PutResult",
    "Store",
    "Upload",
    "check_key",
    "check_prefix",
    "content_type_for",
    "folder_uploads",
    "open_store",
    "parse_s3_url",
    "should_gzip",
    "upload_for",
]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
#: S3's rules for new buckets: 3-63 of a-z 0-9 . -, starting and ending with a letter or digit
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IP = re.compile(r"^\d+\.\d+\.\d+\.\d+$")


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/some/prefix` -> ("bucket", "some/prefix/"); `s3://bucket` -> ("bucket", "")."""
    rest = url[len("s3://") :]
    bucket, _, prefix = rest.partition("/")
    if not bucket:
        raise UserError(f"{url!r} names no bucket: use s3://BUCKET or s3://BUCKET/PREFIX")
    if not _BUCKET.match(bucket) or ".." in bucket or _IP.match(bucket):
        raise UserError(
            f"invalid S3 bucket name {bucket!r} in {url!r}: 3-63 lowercase letters, digits, "
            "dots and hyphens, starting and ending with a letter or digit"
        )
    prefix = prefix.rstrip("/")
    if prefix:
        try:
            check_key(prefix)
        except UserError as exc:
            raise UserError(f"invalid prefix in {url!r}: {exc}") from None
        prefix += "/"
    return bucket, prefix


def open_store(location: str | Path, *, public_url: str | None = None) -> Store:
    """The store at `location`: a folder path, or `s3://BUCKET[/PREFIX]`.

    Nothing is created or contacted here: a folder is made by the first put,
    and a bucket is checked on first use (so `open_store` is cheap and cannot
    hang). Other URL schemes are refused with one line.
    """
    if isinstance(location, Path):
        return FolderStore(location, public_url)
    text = str(location)
    if not text.strip():
        raise UserError("empty store location: give a folder or s3://BUCKET/PREFIX")
    scheme = _SCHEME.match(text)
    if scheme is None:
        return FolderStore(Path(text), public_url)
    if scheme.group(1).lower() != "s3":
        raise UserError(
            f"unsupported store location {text!r}: use a folder path or s3://BUCKET/PREFIX"
        )
    from .s3 import S3Store  # boto3 is imported only for a bucket

    bucket, prefix = parse_s3_url(text)
    return S3Store(bucket, prefix, public_url=public_url)
