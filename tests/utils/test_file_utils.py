"""get_file against a local HTTP server on 127.0.0.1: download with progress, caching and
offline reuse, hash checks, extraction, failures."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from kerasish.utils import file_utils
from kerasish.utils.file_utils import get_file, hash_file, validate_file


class _Handler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # keep test output clean
        pass


@pytest.fixture
def server(tmp_path):
    """Serves tmp_path/www on 127.0.0.1 (port chosen by the OS); counts GET requests; shut
    down after the test."""
    root = tmp_path / "www"
    root.mkdir()
    requests = []

    class Handler(_Handler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self):
            requests.append(self.path)
            super().do_GET()

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.timeout = 5
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}"
    try:
        yield root, url, requests
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_progress_cache_and_offline_reuse(server, tmp_path, capsys):
    root, url, requests = server
    data = os.urandom(50_000)
    (root / "data.bin").write_bytes(data)
    cache = tmp_path / "cache"
    path = get_file("data.bin", origin=f"{url}/data.bin", file_hash=_sha256(data), cache_dir=str(cache))
    assert path == str(cache / "datasets" / "data.bin")
    assert open(path, "rb").read() == data
    out = capsys.readouterr().out
    assert f"Downloading data from {url}/data.bin" in out
    assert "50000/50000" in out  # the progress bar's final line
    assert len(requests) == 1
    (root / "data.bin").unlink()  # the server no longer has it: the cache must serve
    again = get_file("data.bin", origin=f"{url}/data.bin", file_hash=_sha256(data), cache_dir=str(cache))
    assert again == path and len(requests) == 1
    assert not os.path.exists(path + ".part")


def test_keras_home_and_name_from_origin(server, tmp_path, monkeypatch):
    root, url, _ = server
    (root / "notes.txt").write_text("hello")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "home"))
    path = get_file(origin=f"{url}/notes.txt", cache_subdir="sub")
    assert path == str(tmp_path / "home" / "sub" / "notes.txt")
    assert file_utils.keras_home() == str(tmp_path / "home")


def test_hash_mismatch_after_download_raises_and_removes(server, tmp_path):
    root, url, _ = server
    (root / "data.bin").write_bytes(b"payload")
    with pytest.raises(ValueError, match="Incomplete or corrupted file detected. The auto file hash"):
        get_file("data.bin", origin=f"{url}/data.bin", file_hash="0" * 64, cache_dir=str(tmp_path))
    assert not (tmp_path / "datasets" / "data.bin").exists()


def test_md5_hash_accepted(server, tmp_path):
    root, url, _ = server
    (root / "data.bin").write_bytes(b"payload")
    md5 = hashlib.md5(b"payload").hexdigest()
    path = get_file("data.bin", origin=f"{url}/data.bin", md5_hash=md5, cache_dir=str(tmp_path))
    assert validate_file(path, md5) and hash_file(path, "md5") == md5


def test_stale_cached_file_is_downloaded_again(server, tmp_path, capsys):
    root, url, requests = server
    (root / "data.bin").write_bytes(b"fresh")
    target = tmp_path / "datasets" / "data.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"stale")
    path = get_file("data.bin", origin=f"{url}/data.bin", file_hash=_sha256(b"fresh"), cache_dir=str(tmp_path))
    assert open(path, "rb").read() == b"fresh" and len(requests) == 1
    assert "so we will re-download the data" in capsys.readouterr().out


def test_trusted_cache_skips_hash_and_network(tmp_path, monkeypatch, capsys):
    target = tmp_path / "datasets" / "data.bin"
    target.parent.mkdir(parents=True)
    target.write_bytes(b"local stand-in")
    monkeypatch.setenv(file_utils.TRUST_CACHE_ENV, "1")
    # The origin is unreachable (port 9 on loopback): nothing may be fetched.
    path = get_file("data.bin", origin="http://127.0.0.1:9/data.bin", file_hash="0" * 64, cache_dir=str(tmp_path))
    assert open(path, "rb").read() == b"local stand-in"
    assert "KERASISH_TRUST_CACHED_FILES is set" in capsys.readouterr().out


def test_http_error_names_the_url_and_leaves_nothing(server, tmp_path):
    _, url, _ = server
    with pytest.raises(Exception, match=f"URL fetch failure on {url}/missing.bin: 404"):
        get_file("missing.bin", origin=f"{url}/missing.bin", cache_dir=str(tmp_path))
    assert os.listdir(tmp_path / "datasets") == []


def _tar_gz(members: dict) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            archive.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def test_extract_tar_keras_folder_names(server, tmp_path):
    root, url, requests = server
    (root / "pack.tar.gz").write_bytes(_tar_gz({"pack/a.txt": b"A", "pack/b/c.txt": b"C"}))
    # fname with an extension: the archive keeps the name, the folder is <stem>_extracted.
    folder = get_file("pack.tar.gz", origin=f"{url}/pack.tar.gz", extract=True, cache_dir=str(tmp_path))
    assert folder == str(tmp_path / "datasets" / "pack_extracted")
    assert open(os.path.join(folder, "pack", "b", "c.txt")).read() == "C"
    # fname without an extension (how cifar10 asks): the folder is fname, the archive _archive.
    folder = get_file("pack-target", origin=f"{url}/pack.tar.gz", untar=True, cache_dir=str(tmp_path))
    assert folder == str(tmp_path / "datasets" / "pack-target")
    assert (tmp_path / "datasets" / "pack-target_archive").exists()
    assert open(os.path.join(folder, "pack", "a.txt")).read() == "A"
    assert len(requests) == 2
    (root / "pack.tar.gz").unlink()
    assert get_file("pack-target", origin=f"{url}/pack.tar.gz", extract=True, cache_dir=str(tmp_path)) == folder


def test_extract_zip_and_unsafe_members(server, tmp_path):
    root, url, _ = server
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("inside.txt", "ok")
        archive.writestr("../escape.txt", "bad")
    (root / "z.zip").write_bytes(buffer.getvalue())
    with pytest.warns(UserWarning, match="Skipping invalid path during archive extraction: '../escape.txt'"):
        folder = get_file("z.zip", origin=f"{url}/z.zip", extract=True, cache_dir=str(tmp_path))
    assert open(os.path.join(folder, "inside.txt")).read() == "ok"
    assert not (tmp_path / "datasets" / "escape.txt").exists()


def test_argument_errors(tmp_path):
    with pytest.raises(ValueError, match='Please specify the "origin" argument'):
        get_file("x")
    with pytest.raises(ValueError, match="Paths are no longer accepted as the `fname` argument"):
        get_file("a/b.txt", origin="http://127.0.0.1:9/b.txt", cache_dir=str(tmp_path))
    with pytest.raises(ValueError, match="Can't parse the file name from the origin provided"):
        get_file(origin="http://127.0.0.1:9/", cache_dir=str(tmp_path))
