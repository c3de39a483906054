"""A store in an S3-compatible bucket (AWS S3, MinIO, SeaweedFS, R2, ...), through boto3.

Where and who come from the standard AWS environment, exactly as the AWS CLI
reads it: `AWS_ENDPOINT_URL` (or `AWS_ENDPOINT_URL_S3`, or `endpoint_url` in a
profile) for a non-AWS service, `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY` or
`AWS_PROFILE`, `AWS_DEFAULT_REGION`. With a non-AWS endpoint the client uses
path-style addressing (`http://host/bucket/key`): MinIO and SeaweedFS do not
serve virtual-hosted buckets (`http://bucket.host/key`) without DNS set up.

Every request has time limits (connect, read) and a bounded number of retries,
so an unreachable endpoint is an error within seconds, not a hang. Every
botocore failure becomes one line (`UserError` for what the user can fix in
the URL or the credentials, `EnvironmentProblem` for the service) naming the
bucket and what to set.

A whole tree (a site) is committed as an ordered upload (`commit_tree`): the
entry page of a tree that is replaced is deleted first (so no visitor loads a
mix of two versions), then every other file, the other pages, the bookkeeping,
and the entry page last; keys the old tree had and the new one has not go at
the end. A publish cut short leaves no entry page, so nothing half-written can
be opened.

Uploads: below `multipart_threshold` one `put_object`; above it boto3's managed
transfer (multipart, parts in parallel). `put_many` runs `workers` uploads at
once, because a site is hundreds of small files and each costs a round trip.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    ReadTimeoutError,
)

from ..errors import EnvironmentProblem, MinatoError, UserError, one_line
from .base import CommitResult, Data, MissingKey, ObjectInfo, Store, Upload, check_prefix
from .compression import GZIP, gunzip
from .policy import folder_uploads, upload_for

MIB = 1024 * 1024
#: S3's DeleteObjects takes at most this many keys per call
DELETE_BATCH = 1000
CREDENTIALS_HINT = "set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or AWS_PROFILE"
_NOT_FOUND = ("404", "NoSuchKey", "NotFound")
_DENIED = ("403", "AccessDenied", "AllAccessDisabled", "Forbidden")
_BAD_CREDENTIALS = ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken",
                    "InvalidToken", "TokenRefreshRequired")  # fmt: skip
_UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError,
                ConnectionClosedError)  # fmt: skip

T = TypeVar("T")


def is_aws_endpoint(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host.endswith((".amazonaws.com", ".amazonaws.com.cn"))


class S3Store(Store):
    keeps_metadata = True

    def __init__(
        self,
        bucket: str,
        prefix: str = "",
        *,
        public_url: str | None = None,
        session: boto3.session.Session | None = None,
        workers: int = 8,
        multipart_threshold: int = 16 * MIB,
        connect_timeout: float = 5.0,
        read_timeout: float = 60.0,
        max_attempts: int = 3,
    ) -> None:
        super().__init__(public_url)
        self.bucket = bucket
        self.prefix = prefix  # '' or ending in '/', checked by open_store
        self.workers = workers
        self._session = session
        self._config = Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"max_attempts": max_attempts, "mode": "standard"},
            max_pool_connections=workers + 4,
        )
        self._transfer = TransferConfig(
            multipart_threshold=multipart_threshold,
            multipart_chunksize=max(8 * MIB, multipart_threshold // 2),
            max_concurrency=4,
            use_threads=True,
        )
        self._threshold = multipart_threshold
        self._client: Any = None
        self._ready_lock = threading.Lock()
        self._checked = False

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    @property
    def endpoint(self) -> str:
        return self._client.meta.endpoint_url if self._client else "(not connected)"

    # -- connection -----------------------------------------------------------------------

    @property
    def client(self) -> Any:
        """The boto3 client, made on first use and the bucket checked once (thread-safe)."""
        if not self._checked:
            with self._ready_lock:
                if not self._checked:
                    with self._errors("connect to"):
                        self._client = self._make_client()
                        self._check_bucket()
                    self._checked = True
        return self._client

    def _make_client(self) -> Any:
        session = self._session or boto3.session.Session()
        client = session.client("s3", config=self._config)
        if is_aws_endpoint(client.meta.endpoint_url):
            return client
        # a configured endpoint (MinIO, SeaweedFS, ...): path-style addressing, and
        # checksums only where the API requires them (boto3 >= 1.36 sends CRC32
        # trailers by default, which several S3-compatible services refuse)
        custom = Config(
            s3={"addressing_style": "path"},
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
        )
        return session.client("s3", config=self._config.merge(custom))

    def _check_bucket(self) -> None:
        """A missing bucket must fail loudly: HEAD of a key in it is a 404 like a missing key."""
        try:
            self._client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            code = str(exc.response.get("Error", {}).get("Code", ""))
            if status == 403 or code in _DENIED:
                return  # allowed to write but not to list: the operations will say
            if status == 301:
                region = (
                    exc.response.get("ResponseMetadata", {})
                    .get("HTTPHeaders", {})
                    .get("x-amz-bucket-region", "its region")
                )
                raise UserError(
                    f"S3 bucket '{self.bucket}' is in {region}: set AWS_DEFAULT_REGION={region}"
                ) from None
            raise

    @contextmanager
    def _errors(self, action: str, key: str | None = None) -> Iterator[None]:
        """Turn any botocore failure into one line naming the bucket and what to set."""
        try:
            yield
        except MinatoError:
            raise
        except Exception as exc:
            translated = self._translate(exc, action, key)
            if translated is None:
                raise
            raise translated from None

    def _translate(self, exc: BaseException, action: str, key: str | None) -> MinatoError | None:
        """The one-line error for a boto3/botocore failure; None for anything else (a bug)."""
        where = f"s3://{self.bucket}/{self.prefix}{key or ''}"
        if isinstance(exc, S3UploadFailedError) and exc.__context__ is not None:
            exc = exc.__context__  # boto3's transfer wraps the ClientError in a message
        if isinstance(exc, (NoCredentialsError, PartialCredentialsError)):
            return EnvironmentProblem(f"no S3 credentials to {action} {where}: {CREDENTIALS_HINT}")
        if isinstance(exc, ProfileNotFound):
            return UserError(f"{one_line(exc)}: fix AWS_PROFILE (to reach {where})")
        if isinstance(exc, NoRegionError):
            return EnvironmentProblem(f"no AWS region for {where}: set AWS_DEFAULT_REGION")
        if isinstance(exc, _UNREACHABLE):
            return EnvironmentProblem(
                f"cannot reach the S3 endpoint {self.endpoint} to {action} {where} "
                f"({type(exc).__name__}): check AWS_ENDPOINT_URL and that the service is up"
            )
        if isinstance(exc, ClientError):
            error = exc.response.get("Error", {})
            code = str(error.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code == "NoSuchBucket" or (action == "connect to" and status == 404):
                return UserError(
                    f"S3 bucket '{self.bucket}' does not exist at {self.endpoint}: create it, "
                    f"or fix the bucket in {self.location}"
                )
            if code in _BAD_CREDENTIALS:
                return UserError(
                    f"the S3 service at {self.endpoint} refused the credentials ({code}) "
                    f"to {action} {where}: {CREDENTIALS_HINT}"
                )
            if code in _DENIED or status == 403:
                return UserError(
                    f"access denied to {action} {where} at {self.endpoint}: check the "
                    f"credentials (AWS_ACCESS_KEY_ID, AWS_PROFILE) and the bucket's policy"
                )
            message = error.get("Message") or status
            return EnvironmentProblem(one_line(f"S3 {action} {where} failed: {code} {message}"))
        if isinstance(exc, (BotoCoreError, S3UploadFailedError)):
            return EnvironmentProblem(one_line(f"S3 {action} {where} failed: {exc}"))
        if isinstance(exc, OSError):  # a local file to upload
            return EnvironmentProblem(one_line(f"cannot {action} {where}: {exc}"))
        return None

    def _call(self, action: str, key: str | None, fn: Callable[[], T]) -> T:
        with self._errors(action, key):
            return fn()

    # -- the backend ----------------------------------------------------------------------

    def _put(self, key: str, data: Data, content_type: str, cache_control: str,
             content_encoding: str | None) -> None:  # fmt: skip
        full = self.prefix + key
        extra = {"ContentType": content_type, "CacheControl": cache_control}
        if content_encoding:
            extra["ContentEncoding"] = content_encoding
        client = self.client

        def upload() -> None:
            if isinstance(data, Path):
                if data.stat().st_size >= self._threshold:
                    client.upload_file(str(data), self.bucket, full, ExtraArgs=extra,
                                       Config=self._transfer)  # fmt: skip
                else:
                    client.put_object(Bucket=self.bucket, Key=full, Body=data.read_bytes(),
                                      **extra)  # fmt: skip
            elif len(data) >= self._threshold:
                client.upload_fileobj(io.BytesIO(data), self.bucket, full, ExtraArgs=extra,
                                      Config=self._transfer)  # fmt: skip
            else:
                client.put_object(Bucket=self.bucket, Key=full, Body=data, **extra)

        if isinstance(data, Path) and not data.is_file():
            raise UserError(f"cannot store {key!r}: {data} is not a file")
        self._call("upload", key, upload)

    def _exists(self, key: str) -> bool:
        client = self.client

        def head() -> bool:
            try:
                client.head_object(Bucket=self.bucket, Key=self.prefix + key)
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                    return False
                raise
            return True

        return self._call("check", key, head)

    def _known_present(self, keys: list[str]) -> dict[str, bool]:
        """Existence of many keys from listings of their folders (only direct children).

        A folder much larger than what is asked about (a shared asset folder
        of many sites) is given up after a few pages; its keys get HEADs.
        """
        folders: dict[str, set[str]] = {}
        for key in keys:
            folder, _, _ = key.rpartition("/")
            folders.setdefault(f"{folder}/" if folder else "", set()).add(key)
        client = self.client
        known: dict[str, bool] = {}
        for folder, wanted in folders.items():
            if len(wanted) < 2:
                continue  # one HEAD is as cheap as one listing
            max_pages = max(2, len(wanted) // 50)
            found: set[str] = set()
            pages = client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix + folder, Delimiter="/"
            )
            with self._errors("list", folder):
                for number, page in enumerate(pages, 1):
                    listed = page.get("Contents", ())
                    found.update(item["Key"][len(self.prefix) :] for item in listed)
                    if number >= max_pages and page.get("IsTruncated"):
                        break
                else:
                    known.update((key, key in found) for key in wanted)
        return known

    def _get(self, key: str) -> bytes:
        client = self.client

        def fetch() -> bytes:
            try:
                answer = client.get_object(Bucket=self.bucket, Key=self.prefix + key)
            except ClientError as exc:
                if str(exc.response.get("Error", {}).get("Code")) in _NOT_FOUND:
                    raise MissingKey(f"{key!r} is not in {self.location}") from None
                raise
            body = answer["Body"].read()
            return gunzip(body) if answer.get("ContentEncoding") == GZIP else body

        return self._call("download", key, fetch)

    def _list(self, prefix: str) -> Iterator[ObjectInfo]:
        client = self.client
        pages = client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        with self._errors("list", prefix):
            for page in pages:
                for item in page.get("Contents", []):
                    key = item["Key"][len(self.prefix) :]
                    if key and not key.endswith("/"):  # "folder" markers other tools make
                        yield ObjectInfo(key, item["Size"], item["LastModified"])

    def _delete(self, keys: list[str]) -> None:
        client = self.client
        for start in range(0, len(keys), DELETE_BATCH):
            batch = keys[start : start + DELETE_BATCH]

            def delete(batch: list[str] = batch) -> dict:
                return client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": self.prefix + k} for k in batch], "Quiet": True},
                )

            answer = self._call("delete", batch[0], delete)
            errors = answer.get("Errors") or []
            if errors:
                first = errors[0]
                raise EnvironmentProblem(one_line(
                    f"S3 delete failed for {len(errors)} of {len(batch)} keys in "
                    f"{self.location}, first s3://{self.bucket}/{first.get('Key')}: "
                    f"{first.get('Code')} {first.get('Message', '')}"
                ))  # fmt: skip

    def _children(self, prefix: str) -> Iterator[str]:
        # from the objects, not from the delimiter's common prefixes: SeaweedFS keeps a
        # folder listed as a common prefix after its last object is deleted
        seen: set[str] = set()
        for info in self._list(prefix):
            name = info.key[len(prefix) :].split("/", 1)[0]
            if name not in seen:
                seen.add(name)
                yield name

    def commit_tree(self, stage: Path, prefix: str, *, entry: str,
                    before_entry: Sequence[Upload] = (),
                    keep_entry: bool = False) -> CommitResult:  # fmt: skip
        """The ordered upload (see the module's docstring)."""
        check_prefix(prefix)
        entry_key = prefix + entry
        if not (stage / entry).is_file():
            raise UserError(f"the staged tree has no entry page {entry!r}")
        # under `prefix` (or the whole store, for a tree at its root) everything is this tree's
        old = {info.key for info in self.list(prefix)}
        if entry_key in old and not keep_entry:
            self.delete([entry_key])  # unavailable while replaced, never a mix of two versions
        uploads = list(folder_uploads(stage, prefix))
        pages = [u for u in uploads if u.key.endswith(".html") and u.key != entry_key]
        rest = [u for u in uploads if not u.key.endswith(".html")]
        sent = self.put_many(rest).bytes_sent + self.put_many(pages).bytes_sent
        sent += self.put_many(before_entry).bytes_sent
        sent += self.put_many([upload_for(entry_key, stage / entry)]).bytes_sent
        stale = sorted(old - {u.key for u in uploads} - {u.key for u in before_entry})
        if stale:
            self.delete(stale)
        return CommitResult(len(uploads) + len(before_entry), sent)

    def _default_public_url(self) -> str:
        """Path-style URL at the endpoint: right for MinIO/SeaweedFS; behind a CDN pass yours."""
        endpoint = self.client.meta.endpoint_url.rstrip("/")
        return f"{endpoint}/{quote(self.bucket)}/{quote(self.prefix, safe='/~')}"
