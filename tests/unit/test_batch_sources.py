"""What a batch finds to transcribe: folders, globs, manifests, sniffed files, and the
sentences for sources that cannot be used."""

from __future__ import annotations

import hashlib
import os
import shutil
from pathlib import Path

import pytest
from helpers import DATA, HELLO

from grym_desktop.batch import sources
from grym_desktop.batch.sources import (
    AUDIO_EXTENSIONS,
    VIDEO_EXTENSIONS,
    Found,
    content_hash,
    find_sources,
    sniffs_as_media,
)


def _copy(src: Path, dst: Path) -> Path:
    dst.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(src, dst)
    return dst


@pytest.fixture
def archive(tmp_path) -> Path:
    """A nested folder tree of media, with hidden files, notes and an extensionless WAV."""
    root = tmp_path / "archive"
    _copy(HELLO, root / "b.wav")
    _copy(DATA / "numbers_44k_stereo.flac", root / "a" / "one.flac")
    _copy(DATA / "sentence.mp3", root / "a" / "deep" / "er" / "two.MP3")
    _copy(DATA / "sentence.mp4", root / "video" / "clip.mp4")
    _copy(HELLO, root / "a" / "recording")  # no extension: sniffed as WAV
    _copy(HELLO, root / ".hidden.wav")
    _copy(HELLO, root / ".cache" / "inside.wav")
    _copy(HELLO, root / "a" / ".thumbs" / "x.flac")
    (root / "notes.txt").write_text("not audio\n")
    (root / "a" / "README").write_text("RIFF but not really\n")
    (root / "video" / "still.webp").write_bytes(b"RIFF\x10\x00\x00\x00WEBPVP8 " + bytes(40))
    return root


def _names(found: Found, root: Path) -> list[str]:
    return [p.relative_to(root).as_posix() for p in found.files]


def test_folder_recursive_sorted_without_hidden(archive):
    found = find_sources([str(archive)])
    assert found.problems == []
    assert _names(found, archive) == [
        "a/deep/er/two.MP3", "a/one.flac", "a/recording", "b.wav", "video/clip.mp4"]
    assert all(p.is_absolute() for p in found.files)


def test_relative_sources_come_back_absolute(archive, monkeypatch):
    monkeypatch.chdir(archive.parent)
    found = find_sources(["archive/a/../b.wav", "archive/video"])
    assert found.files == [archive / "b.wav", archive / "video" / "clip.mp4"]


@pytest.mark.parametrize("name", ["hello_world.wav", "numbers_44k_stereo.flac", "sentence.ogg",
                                  "sentence.mp3", "sentence.m4a", "sentence.mp4"])
def test_fixture_media_sniff_as_media_without_their_extension(tmp_path, name):
    plain = _copy(DATA / name, tmp_path / "plain")
    assert sniffs_as_media(plain.read_bytes()[: sources.SNIFF_BYTES])
    assert find_sources([str(plain)]).files == [plain]


@pytest.mark.parametrize("head", [
    b"\x1aE\xdf\xa3\xa3B\x86\x81\x01B\xf7\x81\x01B\xf2\x81\x04B\x82\x84webm",  # EBML
    b"RIFF\x24\x00\x00\x00AVI LIST",
    b"FORM\x00\x00\x00\x20AIFFCOMM",
    b"\x00\x00\x00\x20ftypqt  \x00\x00\x02\x00",  # QuickTime MOV
    b"\xff\xfb\x90\x64" + bytes(8),  # MPEG-1 layer III frame
    b"\xff\xf1\x50\x80" + bytes(8),  # ADTS AAC
])
def test_sniffing_knows_containers_by_their_first_bytes(head):
    assert sniffs_as_media(head)


@pytest.mark.parametrize("head", [
    b"", b"hello, world", b"RIFF\x10\x00\x00\x00WEBPVP8 ", b"\x00\x00\x00\x18ftypheic",
    b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0\x00\x10JFIF", b"\xff\xff\xff\xff", bytes(64),
    b"%PDF-1.7",
])
def test_sniffing_passes_over_other_files(head):
    assert not sniffs_as_media(head)


def test_sniffing_reads_at_most_64_bytes(tmp_path, monkeypatch):
    plain = _copy(HELLO, tmp_path / "plain")
    asked = []
    real_open = open

    class Spy:
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def read(self, n=-1):
            asked.append(n)
            return self.f.read(n)

    monkeypatch.setattr(sources, "open", lambda *a, **k: Spy(real_open(*a, **k)), raising=False)
    assert find_sources([str(plain)]).files == [plain]
    assert asked == [64]


def test_a_text_file_named_wav_is_taken_and_fails_when_decoded(tmp_path):
    """By name it is audio: the runner's decoder says it is not, in its own sentence."""
    fake = tmp_path / "fake.wav"
    fake.write_text("just text")
    assert find_sources([str(fake)]) == Found([fake], [])


def test_a_named_file_that_is_not_media_is_a_problem(tmp_path):
    notes = tmp_path / "notes.pdf"
    notes.write_bytes(b"%PDF-1.7 whatever")
    found = find_sources([str(notes)])
    assert found.files == []
    assert found.problems == [f"{notes} is not an audio or video file (neither its name nor its "
                              "first bytes are those of one)."]


def test_missing_sources_and_empty_folders_are_said(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "notes.txt").write_text("x")
    found = find_sources([str(tmp_path / "nope.wav"), str(tmp_path / "empty")])
    assert found.files == []
    assert found.problems == [f"{tmp_path / 'nope.wav'} does not exist.",
                              f"The folder {tmp_path / 'empty'} holds no audio or video files."]


def test_each_file_is_taken_once_in_the_order_of_the_sources(archive):
    (archive / "link.wav").symlink_to(archive / "b.wav")
    found = find_sources([str(archive / "b.wav"), str(archive), str(archive / "a" / "one.flac")])
    assert _names(found, archive) == [
        "b.wav", "a/deep/er/two.MP3", "a/one.flac", "a/recording", "video/clip.mp4"]
    assert found.problems == []


def test_symlinked_folders_are_followed_but_never_round_a_loop(archive):
    (archive / "a" / "up").symlink_to(archive)
    (archive / "elsewhere").symlink_to(archive / "video")
    found = find_sources([str(archive)])
    assert sorted(p.name for p in found.files) == [
        "b.wav", "clip.mp4", "one.flac", "recording", "two.MP3"]
    found = find_sources([str(archive / "**" / "*.wav")])
    assert [p.name for p in found.files] == ["b.wav"]


def test_special_files_are_not_opened(archive):
    if not hasattr(os, "mkfifo"):
        pytest.skip("no named pipes here")
    os.mkfifo(archive / "pipe")  # opening it to sniff would block for ever
    assert len(find_sources([str(archive)]).files) == 5


def test_an_unreadable_folder_is_a_problem_and_the_rest_is_taken(archive, monkeypatch):
    locked = archive / "a" / "deep"
    real_scandir = os.scandir

    def scandir(path):
        if Path(path) == locked:  # as chmod 0 would, for a user other than root
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = find_sources([str(archive)])
    assert _names(found, archive) == ["a/one.flac", "a/recording", "b.wav", "video/clip.mp4"]
    assert found.problems == [f"The folder {locked} cannot be read (permission denied); the "
                              "files in it were left out."]


def test_globs(archive, monkeypatch):
    monkeypatch.chdir(archive)
    assert _names(find_sources(["*.wav"]), archive) == ["b.wav"]
    assert _names(find_sources(["**/*.flac"]), archive) == ["a/one.flac"]
    assert _names(find_sources(["a/*"]), archive) == [
        "a/deep/er/two.MP3", "a/one.flac", "a/recording"]  # a matched folder is taken whole
    assert _names(find_sources(["a/deep/e?/*.[mM]P3"]), archive) == ["a/deep/er/two.MP3"]
    assert _names(find_sources([str(archive / "**")]), archive) == _names(
        find_sources([str(archive)]), archive)
    # Hidden names match only a pattern that names them.
    assert _names(find_sources(["**/*.wav", "**/*.flac"]), archive) == ["b.wav", "a/one.flac"]
    assert _names(find_sources([".cache/*.wav"]), archive) == [".cache/inside.wav"]
    assert _names(find_sources(["**/.thumbs/*"]), archive) == ["a/.thumbs/x.flac"]


def test_globs_that_match_nothing_are_said(archive):
    found = find_sources([str(archive / "*.opus"), str(archive / "*.txt")])
    assert found.files == []
    assert found.problems == [f"No file or folder matches {archive / '*.opus'}.",
                              f"{archive / '*.txt'} matches no audio or video file."]


def test_a_path_that_exists_is_never_read_as_a_glob(tmp_path):
    odd = _copy(HELLO, tmp_path / "take [1].wav")
    _copy(HELLO, tmp_path / "take 1.wav")
    assert find_sources([str(odd)]).files == [odd]


def test_text_manifest_relative_to_itself_in_its_order(archive, tmp_path):
    lists = tmp_path / "lists"
    lists.mkdir()
    manifest = lists / "todo.txt"
    manifest.write_text(
        "# the interviews\n\n"
        "../archive/b.wav\n"
        f"  {archive / 'a' / 'one.flac'}  \n"
        "../archive/video\n"
        "../archive/missing.wav\n"
        "../archive/a/deep/**/*.MP3\n"
        "https://example.org/talk.mp3\n"
        f"file://{archive / 'a' / 'recording'}\n"
        "../archive/b.wav\n")
    found = find_sources([str(manifest)])
    assert _names(found, archive) == [
        "b.wav", "a/one.flac", "video/clip.mp4", "a/deep/er/two.MP3", "a/recording"]
    assert found.problems == [
        f"{archive / 'missing.wav'} does not exist (line 6 of {manifest}).",
        "https://example.org/talk.mp3 is not a local file; only local files can be transcribed "
        f"(line 8 of {manifest}).",
    ]


def test_m3u_playlist(archive):
    playlist = archive / "list.m3u"
    playlist.write_text("#EXTM3U\n#EXTINF:12,Hello\nb.wav\n#EXTINF:3,One\na/one.flac\n")
    assert _names(find_sources([str(playlist)]), archive) == ["b.wav", "a/one.flac"]


def test_tsv_and_csv_manifests_with_a_path_or_file_column(archive):
    tsv = archive / "files.tsv"
    tsv.write_text("speaker\tPath\tnote\nann\tb.wav\tfirst\nbob\t\tnone\ncy\ta/one.flac\n"
                   "dee\tnope.wav\n")
    found = find_sources([str(tsv)])
    assert _names(found, archive) == ["b.wav", "a/one.flac"]
    assert found.problems == [f"{archive / 'nope.wav'} does not exist (line 5 of {tsv})."]
    csv_file = archive / "files.csv"
    csv_file.write_text('\ufefffile,text\n"video/clip.mp4","Hello, world"\n')
    assert _names(find_sources([str(csv_file)]), archive) == ["video/clip.mp4"]
    bad = archive / "bad.tsv"
    bad.write_text("name\twhen\nb.wav\ttoday\n")
    assert find_sources([str(bad)]).problems == [
        f"The manifest {bad} has no 'path' or 'file' column in its first line."]


def test_manifests_that_cannot_be_used(archive, monkeypatch):
    big = archive / "big.txt"
    big.write_text("b.wav\n" * 20)
    itself = archive / "itself.lst"
    itself.write_text("itself.lst\nb.wav\n")
    binary = archive / "binary.txt"
    binary.write_bytes(b"b.wav\n\xff\xfe\n")
    monkeypatch.setattr(sources, "MANIFEST_LIMIT_BYTES", 100)
    found = find_sources([str(big), str(itself), str(binary)])
    assert _names(found, archive) == ["b.wav"]
    assert found.problems == [
        f"The manifest {big} is 0 MB, above the 0 MB a manifest may be; split it into smaller "
        "ones.",
        f"The manifest {itself} lists itself, directly or through another manifest; it was "
        f"read once (line 1 of {itself}).",
        f"The manifest {binary} is not UTF-8 text (byte 7 is not).",
    ]


def test_the_search_stops_after_max_entries_and_says_so(archive, monkeypatch):
    monkeypatch.setattr(sources, "MAX_ENTRIES", 6)
    found = find_sources([str(archive / "b.wav"), str(archive), str(archive / "video")])
    assert found.files[0] == archive / "b.wav"
    assert found.problems == [f"Stopped after looking at 6 folder entries and manifest lines: "
                              f"{archive} and the sources after it were not searched in full."]


def test_extension_lists():
    assert {".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a"} <= AUDIO_EXTENSIONS
    assert {".mp4", ".mkv", ".mov", ".webm", ".avi"} <= VIDEO_EXTENSIONS
    assert all(e == e.lower() and e.startswith(".") for e in AUDIO_EXTENSIONS | VIDEO_EXTENSIONS)


def test_content_hash_is_the_files_sha256(tmp_path):
    big = tmp_path / "big.bin"
    data = os.urandom(3 * (1 << 20) + 17)
    big.write_bytes(data)
    assert content_hash(big) == hashlib.sha256(data).hexdigest()
