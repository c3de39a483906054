"""The site store: one interface, a folder and a real S3 service (SeaweedFS) behind it.

Behaviour both backends share runs against both (`store` is parametrised);
what a browser or CDN gets from S3 is read with a plain unsigned HTTP GET,
as they would. Nothing is mocked: the S3 tests talk to `weed mini`.
"""

from __future__ import annotations

import gzip
import os
import socket
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from minato_lite.errors import EnvironmentProblem, UserError
from minato_lite.store import (
    FolderStore,
    MissingKey,
    Store,
    Upload,
    check_key,
    content_type_for,
    folder_uploads,
    open_store,
    parse_s3_url,
    should_gzip,
    upload_for,
)
from minato_lite.store.compression import gzip_bytes, gzip_file
from minato_lite.store.policy import IMMUTABLE, REVALIDATE
from minato_lite.store.s3 import S3Store

JS = "text/javascript; charset=utf-8"
TEXT = ("console.log('minato');\n" * 400).encode()  # compressible, > 1 KiB


def unique_prefix() -> str:
    return f"t-{uuid.uuid4().hex[:12]}/"


def s3_store(bucket: str, **options) -> S3Store:
    """A store on a fresh prefix of `bucket`: tests share the session's SeaweedFS."""
    return S3Store(bucket, unique_prefix(), **options)


@pytest.fixture
def s3(s3_env) -> S3Store:
    return s3_store(s3_env.bucket)


@pytest.fixture(params=["folder", "s3"])
def store(request, tmp_path: Path) -> Store:
    if request.param == "folder":
        return FolderStore(tmp_path / "store")
    return request.getfixturevalue("s3")


def http_get(url: str, headers: dict[str, str] | None = None):
    """Unsigned GET, bytes as sent (urllib does not decode gzip): what a CDN fetches."""
    request = urllib.request.Request(url, headers=headers or {})
    with urllib.request.urlopen(request, timeout=10) as answer:
        return answer.status, answer.headers, answer.read()


def put_text(store: Store, key: str, data: bytes = b"hello", **meta) -> None:
    meta.setdefault("content_type", "text/plain; charset=utf-8")
    meta.setdefault("cache_control", REVALIDATE)
    store.put(key, data, **meta)


# -- round trips on both backends ------------------------------------------------------------


def test_put_then_get_returns_the_same_bytes_from_bytes_and_from_a_file(store, tmp_path):
    file = tmp_path / "source.bin"
    file.write_bytes(os.urandom(70_000))
    put_text(store, "site/a.txt", b"alpha")
    store.put("site/deep/b.bin", file, content_type="application/octet-stream",
              cache_control=REVALIDATE)  # fmt: skip
    assert store.get("site/a.txt") == b"alpha"
    assert store.get("site/deep/b.bin") == file.read_bytes()


def test_put_replaces_what_a_key_held(store):
    put_text(store, "k.txt", b"old")
    put_text(store, "k.txt", b"new, longer")
    assert store.get("k.txt") == b"new, longer"


def test_get_of_a_missing_key_is_a_key_error_naming_the_key(store):
    with pytest.raises(KeyError) as caught:
        store.get("nope/missing.txt")
    assert isinstance(caught.value, MissingKey)
    assert "'nope/missing.txt'" in str(caught.value) and "\n" not in str(caught.value)


def test_exists_is_false_until_put_and_after_delete(store):
    assert not store.exists("x/y.txt")
    put_text(store, "x/y.txt")
    assert store.exists("x/y.txt")
    assert not store.exists("x")  # a folder of keys is not an object
    store.delete(["x/y.txt"])
    assert not store.exists("x/y.txt")


def test_list_gives_each_key_under_a_prefix_once_with_its_size_and_time(store):
    for key, body in [("s/b.txt", b"22"), ("s/a/1.txt", b"1"), ("s/a/z.txt", b"333"),
                      ("sx/c.txt", b"4"), ("t.txt", b"5")]:  # fmt: skip
        put_text(store, key, body)
    listed = list(store.list("s/"))
    assert sorted((i.key, i.size) for i in listed) == [
        ("s/a/1.txt", 1), ("s/a/z.txt", 3), ("s/b.txt", 2)]  # fmt: skip
    assert all(i.last_modified.tzinfo is not None for i in listed)
    assert abs(time.time() - listed[0].last_modified.timestamp()) < 120
    # a plain string prefix, as S3 has it: 's' matches 'sx/' too
    assert sorted(i.key for i in store.list("s")) == [
        "s/a/1.txt",
        "s/a/z.txt",
        "s/b.txt",
        "sx/c.txt",
    ]
    assert [i.key for i in store.list("s/a/z")] == ["s/a/z.txt"]
    assert len(list(store.list())) == 5
    assert list(store.list("nothing/")) == []


def test_list_order_is_the_backends_own(store):
    """AWS and the folder: UTF-8 byte order; SeaweedFS: folder by folder. Never rely on it."""
    keys = ["o/a-b.txt", "o/a.txt", "o/a/x.txt", "o/a0.txt", "o/B.txt", "o/é.txt"]
    for key in keys:
        put_text(store, key)
    listed = [i.key for i in store.list("o/")]
    assert sorted(listed) == sorted(keys)
    if isinstance(store, FolderStore):
        assert listed == sorted(keys, key=str.encode)
    else:  # pins the SeaweedFS difference, so a change of it is noticed
        assert listed == ["o/B.txt", "o/a/x.txt", "o/a-b.txt", "o/a.txt", "o/a0.txt", "o/é.txt"]


def test_delete_removes_the_named_keys_and_ignores_missing_ones(store):
    for key in ("d/1.txt", "d/2.txt", "d/3.txt"):
        put_text(store, key)
    store.delete(["d/1.txt", "d/3.txt", "d/never.txt"])
    assert [i.key for i in store.list("d/")] == ["d/2.txt"]


def test_delete_prefix_removes_everything_below_a_folder_and_nothing_beside_it(store):
    for key in ("sites/ab/index.html", "sites/ab/build/x.js", "sites/abc/index.html", "top.txt"):
        put_text(store, key)
    assert store.delete_prefix("sites/ab/") == 2
    assert [i.key for i in store.list()] == ["sites/abc/index.html", "top.txt"]
    assert store.delete_prefix("sites/ab/") == 0


@pytest.mark.parametrize("prefix", ["", "/", "sites/ab", "../x/"])
def test_delete_prefix_must_name_a_folder(store, prefix):
    put_text(store, "sites/abc/index.html")
    with pytest.raises(UserError):
        store.delete_prefix(prefix)
    assert store.exists("sites/abc/index.html")


def test_delete_prefix_spans_more_than_one_delete_batch(store):
    store.put_many(Upload(f"many/{i:04d}.txt", b"x", "text/plain", REVALIDATE)
                   for i in range(1005))  # fmt: skip
    assert store.delete_prefix("many/") == 1005
    assert list(store.list("many/")) == []


def test_put_if_absent_keeps_the_first_bytes(store):
    meta = {"content_type": JS, "cache_control": IMMUTABLE}
    assert store.put_if_absent("build/1031.b91a70b.js", b"first", **meta) is True
    assert store.put_if_absent("build/1031.b91a70b.js", b"second", **meta) is False
    assert store.get("build/1031.b91a70b.js") == b"first"


def test_gzip_data_is_decoded_by_get(store):
    put_text(store, "g/app.js", gzip_bytes(TEXT), content_type=JS, content_encoding="gzip")
    assert store.get("g/app.js") == TEXT


def test_gzip_file_is_decoded_by_get(store, tmp_path):
    raw, packed = tmp_path / "big.csv", tmp_path / "big.csv.gz"
    raw.write_bytes(b"a,b\n" + b"1,2\n" * 300_000)
    gzip_file(raw, packed)
    store.put("g/big.csv", packed, content_type="text/csv", cache_control=REVALIDATE,
              content_encoding="gzip")  # fmt: skip
    assert store.get("g/big.csv") == raw.read_bytes()


def test_put_many_uploads_200_small_files(store):
    uploads = [upload_for(f"many/f{i:03d}.json", f'{{"i": {i}}}'.encode()) for i in range(200)]
    result = store.put_many(uploads)
    assert sorted(result.uploaded) == sorted(u.key for u in uploads) and result.skipped == []
    listed = {i.key: i.size for i in store.list("many/")}
    assert len(listed) == 200
    assert store.get("many/f123.json") == b'{"i": 123}'


def test_put_many_skips_content_addressed_keys_already_stored(store):
    first = [upload_for(f"build/{i}.{i:07x}0.js", TEXT) for i in range(30)]
    first += [upload_for("index.html", b"<p>one</p>")]
    assert len(store.put_many(first).uploaded) == 31
    # a re-publish: the hashed assets are there, the page changed, two assets are new
    second = [upload_for(f"build/{i}.{i:07x}0.js", b"not sent") for i in range(32)]
    second += [upload_for("index.html", b"<p>two</p>")]
    result = store.put_many(second)
    assert sorted(result.uploaded) == ["build/30.000001e0.js", "build/31.000001f0.js", "index.html"]
    assert len(result.skipped) == 30
    assert store.get("build/3.00000030.js") == TEXT  # not re-sent
    assert store.get("index.html") == b"<p>two</p>"


def test_put_many_skips_a_lone_content_addressed_key_checked_on_its_own(store):
    store.put_many([upload_for("a/1.abcdef12.js", TEXT), upload_for("b/2.abcdef12.js", TEXT)])
    again = ["a/1.abcdef12.js", "b/2.abcdef12.js", "c/3.abcdef12.js"]
    result = store.put_many(upload_for(key, b"x") for key in again)
    assert (sorted(result.skipped), result.uploaded) == (
        ["a/1.abcdef12.js", "b/2.abcdef12.js"],
        ["c/3.abcdef12.js"],
    )
    assert store.get("a/1.abcdef12.js") == TEXT


def test_put_many_refuses_a_key_twice_in_one_batch(store):
    with pytest.raises(UserError, match="twice"):
        store.put_many([upload_for("a.txt", b"1"), upload_for("a.txt", b"2")])


BAD_KEYS = ["", "/abs.txt", "a/../b.txt", "..", "./a", "a//b", "a/", "a\\b", "a\nb", "a\x00b",
            "x" * 1025, "a/.minato-tmp-1-b"]  # fmt: skip


@pytest.mark.parametrize("key", BAD_KEYS, ids=repr)
def test_bad_keys_are_refused_with_one_line_before_anything_is_written(store, key):
    for call in (
        lambda: put_text(store, key),
        lambda: store.get(key),
        lambda: store.exists(key),
        lambda: store.delete([key]),
    ):
        with pytest.raises(UserError) as caught:
            call()
        assert "\n" not in str(caught.value)
    assert list(store.list()) == []


def test_good_keys_with_spaces_unicode_and_plus_round_trip(store):
    key = "data/sales 2024+é%20.csv"
    put_text(store, key, b"x,y\n")
    assert store.get(key) == b"x,y\n"
    assert [i.key for i in store.list("data/")] == [key]


def test_url_for_joins_the_public_url_and_escapes_the_key(tmp_path):
    store = FolderStore(tmp_path, public_url="https://cdn.example/sites")
    assert store.url_for("ab/lab/index.html") == "https://cdn.example/sites/ab/lab/index.html"
    assert store.url_for("d/a b#?.csv") == "https://cdn.example/sites/d/a%20b%23%3F.csv"
    with pytest.raises(UserError, match="no public URL"):
        FolderStore(tmp_path).url_for("a.txt")


# -- the folder backend -----------------------------------------------------------------------


def test_folder_put_leaves_no_temporary_files_and_writes_under_the_root(tmp_path):
    store = FolderStore(tmp_path / "s")
    put_text(store, "a/b/c.txt", b"c")
    assert sorted(p.relative_to(tmp_path).as_posix() for p in tmp_path.rglob("*")) == [
        "s", "s/a", "s/a/b", "s/a/b/c.txt"]  # fmt: skip


def test_folder_failed_put_keeps_the_old_file(tmp_path):
    store = FolderStore(tmp_path / "s")
    put_text(store, "k.txt", b"old")
    with pytest.raises(UserError, match="does not exist"):
        store.put("k.txt", tmp_path / "missing.bin", content_type="x", cache_control=REVALIDATE)
    assert store.get("k.txt") == b"old"
    assert [p.name for p in (tmp_path / "s").iterdir()] == ["k.txt"]


def test_folder_hard_links_immutable_files_and_copies_the_rest(tmp_path):
    src = tmp_path / "1031.b91a70b.js"
    src.write_bytes(TEXT)
    store = FolderStore(tmp_path / "s")
    store.put("build/1031.b91a70b.js", src, content_type=JS, cache_control=IMMUTABLE)
    store.put("config.json", src, content_type="application/json", cache_control=REVALIDATE)
    assert (tmp_path / "s/build/1031.b91a70b.js").samefile(src)
    assert not (tmp_path / "s/config.json").samefile(src)
    # again: the same inode is already there, nothing is left behind
    store.put("build/1031.b91a70b.js", src, content_type=JS, cache_control=IMMUTABLE)
    assert [p.name for p in (tmp_path / "s/build").iterdir()] == ["1031.b91a70b.js"]


def test_folder_stores_gzip_data_decoded_because_a_static_server_sends_no_encoding(tmp_path):
    store = FolderStore(tmp_path / "s")
    put_text(store, "app.js", gzip_bytes(TEXT), content_encoding="gzip")
    assert (tmp_path / "s/app.js").read_bytes() == TEXT
    # put_many never compresses for a folder: the server gzips on the fly
    store.put_many([upload_for("b.js", TEXT)])
    assert (tmp_path / "s/b.js").read_bytes() == TEXT


def test_folder_delete_removes_emptied_folders(tmp_path):
    store = FolderStore(tmp_path / "s")
    put_text(store, "sites/ab/lab/index.html")
    put_text(store, "sites/cd/index.html")
    store.delete_prefix("sites/ab/")
    assert sorted(p.relative_to(tmp_path / "s").as_posix() for p in (tmp_path / "s").rglob("*")) \
        == ["sites", "sites/cd", "sites/cd/index.html"]  # fmt: skip


def test_folder_store_on_a_file_is_refused(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(UserError, match="not a folder"):
        open_store(tmp_path / "file")


def test_folder_key_under_a_file_is_one_line_error(tmp_path):
    store = FolderStore(tmp_path / "s")
    put_text(store, "a")
    with pytest.raises(UserError, match="is a file"):
        put_text(store, "a/b")


# -- the S3 backend against SeaweedFS ---------------------------------------------------------


def test_s3_objects_are_served_with_their_metadata_to_a_plain_unsigned_get(s3):
    s3.put("meta/app.js", b"let a = 1;\n", content_type=JS, cache_control=IMMUTABLE)
    status, headers, body = http_get(s3.url_for("meta/app.js"))
    assert (status, body) == (200, b"let a = 1;\n")
    assert headers["Content-Type"] == JS
    assert headers["Cache-Control"] == IMMUTABLE
    assert headers.get("Content-Encoding") is None


def test_s3_gzip_object_is_sent_compressed_with_its_encoding_and_decodes_to_the_original(s3):
    s3.put_many([upload_for("z/pyodide.asm.wasm", TEXT), upload_for("z/tiny.js", b"1;")])
    for accept in ({}, {"Accept-Encoding": "gzip"}):  # S3 does not negotiate
        _, headers, body = http_get(s3.url_for("z/pyodide.asm.wasm"), accept)
        assert headers["Content-Encoding"] == "gzip"
        assert headers["Content-Type"] == "application/wasm"
        assert len(body) < len(TEXT) and gzip.decompress(body) == TEXT
    _, headers, body = http_get(s3.url_for("z/tiny.js"))  # below 1 KiB: stored as it is
    assert headers.get("Content-Encoding") is None and body == b"1;"
    assert s3.get("z/pyodide.asm.wasm") == TEXT


def test_s3_gzip_is_deterministic_so_republishing_gives_the_same_etag(s3):
    s3.put_many([upload_for("e/app.js", TEXT)])
    first = s3.client.head_object(Bucket=s3.bucket, Key=s3.prefix + "e/app.js")["ETag"]
    s3.put_many([upload_for("e/app.js", TEXT)])
    assert s3.client.head_object(Bucket=s3.bucket, Key=s3.prefix + "e/app.js")["ETag"] == first


def test_s3_large_file_goes_through_multipart_with_its_metadata(s3_env, tmp_path):
    store = s3_store(s3_env.bucket, multipart_threshold=5 * 1024 * 1024)
    big = tmp_path / "data.parquet"
    big.write_bytes(os.urandom(12 * 1024 * 1024))
    store.put("data/data.parquet", big, content_type="application/octet-stream",
              cache_control=REVALIDATE)  # fmt: skip
    head = store.client.head_object(Bucket=store.bucket, Key=store.prefix + "data/data.parquet")
    assert head["ETag"].strip('"').endswith("-2")  # two parts: a multipart upload
    assert head["CacheControl"] == REVALIDATE
    assert store.get("data/data.parquet") == big.read_bytes()


def test_s3_large_file_that_compresses_is_gzipped_through_a_temporary_file(s3, tmp_path,
                                                                          monkeypatch):  # fmt: skip
    from minato_lite.store import compression

    monkeypatch.setattr(compression, "IN_MEMORY", 1024 * 1024)
    csv = tmp_path / "sales.csv"
    csv.write_bytes(b"region,units\n" + b"North,3\nSouth,5\n" * 200_000)
    result = s3.put_many([upload_for("data/sales.csv", csv)])
    assert 0 < result.bytes_sent < csv.stat().st_size // 10
    _, headers, body = http_get(s3.url_for("data/sales.csv"))
    assert headers["Content-Encoding"] == "gzip" and gzip.decompress(body) == csv.read_bytes()


def test_s3_missing_bucket_is_one_line_user_error_naming_it(s3_env):
    store = open_store("s3://no-such-bucket-here/sites/")
    for call in (lambda: store.exists("a.txt"), lambda: put_text(store, "a.txt"),
                 lambda: list(store.list())):  # fmt: skip
        with pytest.raises(UserError) as caught:
            call()
        message = str(caught.value)
        assert "no-such-bucket-here" in message and "does not exist" in message
        assert "\n" not in message


def test_s3_unreachable_endpoint_fails_within_seconds_with_one_line(s3_env, monkeypatch):
    with socket.socket() as sock:  # a port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    store = open_store("s3://minato-test/x/")
    start = time.monotonic()
    with pytest.raises(EnvironmentProblem) as caught:
        store.exists("a.txt")
    assert time.monotonic() - start < 15
    message = str(caught.value)
    assert f"127.0.0.1:{port}" in message and "AWS_ENDPOINT_URL" in message
    assert "minato-test" in message and "\n" not in message


def test_s3_silent_endpoint_times_out_within_the_read_limit(s3_env, monkeypatch):
    with socket.socket() as sock:  # accepts connections, never answers
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{sock.getsockname()[1]}")
        store = S3Store("minato-test", "x/", read_timeout=1.0, max_attempts=2)
        start = time.monotonic()
        with pytest.raises(EnvironmentProblem, match="cannot reach"):
            store.exists("a.txt")
        assert time.monotonic() - start < 15


def test_s3_without_credentials_says_what_to_set(s3_env, monkeypatch):
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    # no instance metadata service here; do not wait for one
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(EnvironmentProblem) as caught:
        s3_store(s3_env.bucket).exists("a.txt")
    assert "AWS_ACCESS_KEY_ID" in str(caught.value) and s3_env.bucket in str(caught.value)


def test_s3_unknown_profile_is_a_user_error(s3_env, monkeypatch):
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    with pytest.raises(UserError, match="no-such-profile"):
        s3_store(s3_env.bucket).exists("a.txt")


def test_s3_default_public_url_is_path_style_at_the_endpoint(s3):
    base = f"{s3.client.meta.endpoint_url}/{s3.bucket}/{s3.prefix}"
    assert s3.url_for("a b.txt") == base + "a%20b.txt"


# -- open_store and the policies ----------------------------------------------------------------


@pytest.mark.parametrize(("url", "bucket", "prefix"), [
    ("s3://b12", "b12", ""),
    ("s3://b12/", "b12", ""),
    ("s3://my.bucket-1/p/q/", "my.bucket-1", "p/q/"),
    ("s3://my-bucket/p/q", "my-bucket", "p/q/"),
])  # fmt: skip
def test_open_store_parses_s3_urls(url, bucket, prefix):
    assert parse_s3_url(url) == (bucket, prefix)
    store = open_store(url)
    assert isinstance(store, S3Store) and (store.bucket, store.prefix) == (bucket, prefix)
    assert store.location == f"s3://{bucket}/{prefix}"


@pytest.mark.parametrize("url", [
    "s3://", "s3:///p", "s3://ab", "s3://" + "a" * 64, "s3://Upper", "s3://under_score",
    "s3://-start", "s3://end-", "s3://a..b", "s3://192.168.1.1", "s3://bucket/../x",
    "s3://bucket/a//b", "s3://bucket/a\\b",
])  # fmt: skip
def test_open_store_refuses_bad_buckets_and_prefixes_with_one_line(url):
    with pytest.raises(UserError) as caught:
        open_store(url)
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("url", ["http://host/x", "https://cdn/x", "gs://bucket/x", "file:///tmp/x",
                                 "ftp://h/p", "  "])  # fmt: skip
def test_open_store_refuses_other_schemes(url):
    with pytest.raises(UserError) as caught:
        open_store(url)
    assert "\n" not in str(caught.value)


def test_open_store_takes_folders_as_paths_or_strings_without_creating_them(tmp_path):
    for location in (tmp_path / "a", str(tmp_path / "b"), "relative/dir"):
        store = open_store(location)
        assert isinstance(store, FolderStore)
    assert list(tmp_path.iterdir()) == []
    assert open_store("relative/dir").root == Path("relative/dir").absolute()


def test_open_store_connects_to_nothing_until_used(monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    store = open_store("s3://bucket-x/p")
    assert store._client is None


@pytest.mark.parametrize(("key", "size", "expected"), [
    ("build/app.js", 5000, True), ("build/app.js", 500, False), ("a.mjs", 2048, True),
    ("s.css", 2048, True), ("index.html", 2048, True), ("all.json", 2048, True),
    ("n.ipynb", 2048, True), ("d.csv", 2048, True), ("i.svg", 2048, True), ("m.py", 2048, True),
    ("r.txt", 2048, True), ("R.md", 2048, True), ("pyodide.asm.wasm", 9_000_000, True),
    ("numpy.whl", 5_000_000, False), ("python_stdlib.zip", 2_000_000, False),
    ("logo.png", 5000, False), ("font.woff2", 50_000, False), ("data.parquet", 5000, False),
])  # fmt: skip
def test_should_gzip_text_above_1_kib_and_wasm_but_not_zips_or_images(key, size, expected):
    assert should_gzip(key, size) is expected


def test_gzip_bytes_are_deterministic_standard_gzip():
    a, b = gzip_bytes(TEXT), gzip_bytes(TEXT)
    assert a == b and gzip.decompress(a) == TEXT
    assert a[4:8] == b"\0\0\0\0"  # mtime 0: no timestamp in the bytes


def test_gzip_file_gives_the_bytes_gzip_bytes_gives(tmp_path):
    src = tmp_path / "x.csv"
    src.write_bytes(TEXT * 200)  # several chunks
    gzip_file(src, tmp_path / "x.gz")
    assert (tmp_path / "x.gz").read_bytes() == gzip_bytes(TEXT * 200)


def test_upload_for_uses_the_servers_types_caching_and_content_addressing():
    hashed = upload_for("build/1031.b91a70b.js", TEXT)
    assert (hashed.content_type, hashed.cache_control, hashed.gzip, hashed.if_absent) == (
        JS, IMMUTABLE, True, True)  # fmt: skip
    wheel = upload_for("pypi/micropip-0.11.1-py3-none-any.whl", b"PK..")
    # immutable for browsers, but not content-addressed: a patched wheel keeps upstream's name
    assert (wheel.cache_control, wheel.if_absent, wheel.gzip) == (IMMUTABLE, False, False)
    config = upload_for("jupyter-lite.json", b"{}")
    assert (config.content_type, config.cache_control) == ("application/json", REVALIDATE)
    assert content_type_for("static/pyodide/pyodide.asm.wasm") == "application/wasm"
    assert content_type_for("x.unknownext") == "application/octet-stream"


def test_folder_uploads_keys_every_file_below_a_root(tmp_path):
    (tmp_path / "site/lab").mkdir(parents=True)
    (tmp_path / "site/index.html").write_text("<p>")
    (tmp_path / "site/lab/index.html").write_text("<p>")
    keys = [u.key for u in folder_uploads(tmp_path / "site", "abc/")]
    assert keys == ["abc/index.html", "abc/lab/index.html"]
    assert check_key(keys[1]) == keys[1]


def test_publishing_a_site_folder_to_s3_serves_every_file_unchanged(s3, tmp_path):
    site = tmp_path / "site"
    files = {
        "index.html": b"<!doctype html>" + b"<p>x</p>" * 300,
        "build/9.abcdef1.js": TEXT,
        "files/data/sales.csv": b"a,b\n" * 600,
        "pypi/x-1.0-py3-none-any.whl": b"PK\3\4zz",
    }
    for rel, body in files.items():
        (site / rel).parent.mkdir(parents=True, exist_ok=True)
        (site / rel).write_bytes(body)
    result = s3.put_many(folder_uploads(site, "ab/"))
    assert len(result.uploaded) == 4
    for rel, body in files.items():
        _, headers, sent = http_get(s3.url_for(f"ab/{rel}"))
        decoded = gzip.decompress(sent) if headers.get("Content-Encoding") == "gzip" else sent
        assert decoded == body, rel
    with pytest.raises(urllib.error.HTTPError) as caught:
        http_get(s3.url_for("ab/missing.js"))
    assert caught.value.code == 404
