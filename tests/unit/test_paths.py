"""The bottom-layer file helpers: the data folder, atomic writes and file digests."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import platformdirs
import pytest

from grym_desktop.paths import data_dir, file_digest, write_atomically


def test_data_dir_honours_grym_data_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("GRYM_DATA_DIR", str(tmp_path / "here"))
    assert data_dir() == tmp_path / "here"
    monkeypatch.delenv("GRYM_DATA_DIR")
    assert data_dir() == Path(platformdirs.user_data_dir("grym-desktop"))


def test_write_atomically_replaces_the_file_and_makes_its_folder(tmp_path):
    path = tmp_path / "a" / "b" / "settings.json"
    write_atomically(path, "first")
    write_atomically(path, "second: é")
    assert path.read_text(encoding="utf-8") == "second: é"
    assert os.listdir(path.parent) == ["settings.json"]


def test_unencodable_text_leaves_the_old_file_whole(tmp_path):
    path = tmp_path / "local.json"
    path.write_text('{"models": []}')
    with pytest.raises(UnicodeEncodeError):
        write_atomically(path, "half a surrogate pair: \ud800")
    assert path.read_text() == '{"models": []}'
    assert os.listdir(tmp_path) == ["local.json"]


def test_a_failing_flush_leaves_the_old_file_whole_and_no_temporary_file(tmp_path, monkeypatch):
    path = tmp_path / "record.json"
    path.write_text("old")

    def disk_full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError) as failed:
        write_atomically(path, "new " * 1000)
    assert failed.value.errno == errno.ENOSPC
    assert path.read_text() == "old"
    assert os.listdir(tmp_path) == ["record.json"]


def test_file_digest_is_the_sha256_of_the_whole_file(tmp_path):
    data = os.urandom(3 * 2**20 + 17)  # more than one block, not a whole number of them
    path = tmp_path / "model.bin"
    path.write_bytes(data)
    assert file_digest(path) == hashlib.sha256(data).hexdigest()


def test_file_digest_feeds_a_given_hash_after_what_it_holds(tmp_path):
    path = tmp_path / "config.json"
    path.write_bytes(b"{}\n")
    git_blob = hashlib.sha1(b"blob 3\0{}\n").hexdigest()
    assert file_digest(path, hashlib.sha1(b"blob 3\0")) == git_blob
