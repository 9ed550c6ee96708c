"""``get_file``: download once into the Keras cache (``$KERAS_HOME`` or ``~/.keras``), verify
the hash, extract archives, and reuse the cached copy offline.

The cache layout and file names are Keras', so a cache filled by Keras or tf.keras serves
kerasish too and the other way round. A cached file whose hash does not match is downloaded
again, as in Keras; setting ``KERASISH_TRUST_CACHED_FILES=1`` accepts cached files as they are
(for machines without network whose cache holds locally made stand-ins).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import warnings
import zipfile
from typing import Any, Optional, Union

TRUST_CACHE_ENV = "KERASISH_TRUST_CACHED_FILES"
_CHUNK = 65535


def keras_home() -> str:
    """``$KERAS_HOME``, else ``~/.keras``: where Keras keeps its cache."""
    return os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")


def get_file(
    fname: Optional[str] = None,
    origin: Optional[str] = None,
    untar: bool = False,
    md5_hash: Optional[str] = None,
    file_hash: Optional[str] = None,
    cache_subdir: str = "datasets",
    hash_algorithm: str = "auto",
    extract: bool = False,
    archive_format: Any = "auto",
    cache_dir: Optional[str] = None,
    force_download: bool = False,
) -> str:
    """The local path of ``origin``'s file, downloading it (with a progress bar) if needed.

    With ``extract``/``untar`` the archive is unpacked and the extraction folder is returned,
    named as Keras 3 names it (``fname`` without extension, or ``<fname>_extracted``).
    """
    if origin is None:
        raise ValueError('Please specify the "origin" argument (URL of the file to download).')
    if md5_hash is not None and file_hash is None:
        file_hash, hash_algorithm = md5_hash, "md5"
    base = os.path.expanduser(cache_dir if cache_dir is not None else keras_home())
    if not _writable(base):
        base = os.path.join(tempfile.gettempdir(), ".keras")
    datadir = os.path.join(base, cache_subdir)
    os.makedirs(datadir, exist_ok=True)

    provided = os.fspath(fname) if fname is not None else None
    name = provided or os.path.basename(urllib.parse.urlsplit(origin).path)
    if not provided and (not name or name in (os.curdir, os.pardir)):
        raise ValueError(
            f"Can't parse the file name from the origin provided: '{origin}'. Please specify "
            "the `fname` argument."
        )
    if provided and (os.sep in name or (os.altsep and os.altsep in name)):
        raise ValueError(
            "Paths are no longer accepted as the `fname` argument. To specify the file's parent "
            f"directory, use the `cache_dir` argument. Received: fname={name}"
        )

    if extract or untar:
        if provided and "." in name:
            target = os.path.join(datadir, name)
            extraction_dir = os.path.join(datadir, f"{name[: name.find('.')]}_extracted")
        else:
            extraction_dir = os.path.join(datadir, name)
            target = os.path.join(datadir, f"{name}_archive")
    else:
        target = os.path.join(datadir, name)

    if force_download or not os.path.exists(target):
        download = True
    else:
        download = False
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            if os.environ.get(TRUST_CACHE_ENV):
                print(
                    f"Using the cached file {target} although its {hash_algorithm} hash does "
                    f"not match {file_hash} ({TRUST_CACHE_ENV} is set)."
                )
            else:
                print(
                    "A local file was found, but it seems to be incomplete or outdated because "
                    f"the {hash_algorithm} file hash does not match the original value of "
                    f"{file_hash} so we will re-download the data."
                )
                download = True

    if download:
        _download(origin, target)
        if file_hash is not None and not validate_file(target, file_hash, hash_algorithm):
            os.remove(target)
            raise ValueError(
                f"Incomplete or corrupted file detected. The {hash_algorithm} file hash does "
                f"not match the provided value of {file_hash}."
            )

    if extract or untar:
        if download or not os.path.exists(extraction_dir):
            if not extract_archive(target, extraction_dir, "tar" if untar else archive_format):
                warnings.warn("Could not extract archive.", stacklevel=2)
        return extraction_dir
    return target


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
    except OSError:
        return False
    return os.access(path, os.W_OK)


def _download(origin: str, target: str) -> None:
    """Stream ``origin`` into a temporary file beside ``target``, then rename it into place,
    so an interrupted download never leaves a partial file under the cached name."""
    from kerasish.training.progbar import Progbar

    print(f"Downloading data from {origin}")
    partial = f"{target}.part"
    try:
        with urllib.request.urlopen(origin) as response, open(partial, "wb") as out:
            length = response.headers.get("Content-Length")
            total = int(length) if length else None
            bar = Progbar(total)
            done = 0
            while True:
                chunk = response.read(8192)
                if not chunk:
                    break
                out.write(chunk)
                done += len(chunk)
                if total is None or done < total:
                    bar.update(done)
            bar.update(done, finalize=True)
        os.replace(partial, target)
    except urllib.error.HTTPError as err:
        _remove(partial)
        raise Exception(f"URL fetch failure on {origin}: {err.code} -- {err.msg}") from err
    except urllib.error.URLError as err:
        _remove(partial)
        raise Exception(f"URL fetch failure on {origin}: {err.errno} -- {err.reason}") from err
    except BaseException:
        _remove(partial)
        raise


def _remove(path: str) -> None:
    if os.path.exists(path):
        os.remove(path)


def _hasher(algorithm: str, file_hash: Optional[str] = None):
    if algorithm == "sha256" or (
        algorithm == "auto" and file_hash is not None and len(file_hash) == 64
    ):
        return hashlib.sha256()
    return hashlib.md5()


def hash_file(fpath: str, algorithm: Any = "sha256", chunk_size: int = _CHUNK) -> str:
    """The sha256 (or md5) hex digest of a file, read in chunks."""
    hasher = _hasher(algorithm) if isinstance(algorithm, str) else algorithm
    with open(fpath, "rb") as handle:
        for chunk in iter(lambda: handle.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(
    fpath: str, file_hash: str, algorithm: str = "auto", chunk_size: int = _CHUNK
) -> bool:
    """Whether the file's hash is ``file_hash`` (``auto``: sha256 for 64 hex digits, else md5)."""
    return hash_file(fpath, _hasher(algorithm, file_hash), chunk_size) == str(file_hash)


def extract_archive(
    file_path: str, path: str = ".", archive_format: Union[str, list, None] = "auto"
) -> bool:
    """Unpack a tar (any compression) or zip file into ``path``; members that would land
    outside ``path`` (absolute names, ``..``, links pointing out) are skipped with a warning."""
    if archive_format is None:
        return False
    formats = ["tar", "zip"] if archive_format == "auto" else archive_format
    formats = [formats] if isinstance(formats, str) else list(formats)
    for kind in formats:
        if kind == "tar":
            if not tarfile.is_tarfile(file_path):
                continue
            opener: Any = tarfile.open
        elif kind == "zip":
            if not zipfile.is_zipfile(file_path):
                continue
            opener = zipfile.ZipFile
        else:
            raise NotImplementedError(f"archive_format={kind!r}: only 'tar' and 'zip' exist.")
        try:
            with opener(file_path) as archive:
                _extract_safely(archive, path)
        except (tarfile.TarError, zipfile.BadZipFile, RuntimeError, KeyboardInterrupt):
            if os.path.isdir(path):
                shutil.rmtree(path)
            elif os.path.exists(path):
                os.remove(path)
            raise
        return True
    return False


def _inside(base: str, relative: str) -> bool:
    resolved = os.path.realpath(os.path.join(base, relative))
    return os.path.commonpath([resolved, base]) == base


def _extract_safely(archive: Any, path: str) -> None:
    base = os.path.realpath(path)
    if isinstance(archive, zipfile.ZipFile):
        members = [m for m in archive.infolist() if _keep(base, m.filename)]
        archive.extractall(path, members=members)
        return
    members = []
    for member in archive.getmembers():
        name_ok = _keep(base, member.name)
        if name_ok and (member.issym() or member.islnk()):
            start = base if member.islnk() else os.path.dirname(os.path.join(base, member.name))
            name_ok = _keep(base, os.path.relpath(os.path.join(start, member.linkname), base))
        if name_ok:
            members.append(member)
    if hasattr(tarfile, "data_filter"):
        archive.extractall(path, members=members, filter="data")
    else:
        archive.extractall(path, members=members)


def _keep(base: str, name: str) -> bool:
    if _inside(base, name):
        return True
    warnings.warn(f"Skipping invalid path during archive extraction: '{name}'.", stacklevel=4)
    return False
