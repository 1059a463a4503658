"""References for audio files: manifests, one plain text file, NAME.txt next to the audio."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from grym_desktop.errors import InputError, UsageError
from grym_desktop.scoring import references
from grym_desktop.scoring.references import load_references

EVAL = Path("/work/shared/eval")


def _audio(folder: Path, *names: str) -> list[str]:
    paths = []
    for name in names:
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"RIFF")
        paths.append(str(path))
    return paths


@pytest.mark.skipif(not (EVAL / "manifest.tsv").is_file(), reason="no /work/shared/eval")
def test_the_eval_manifest_matches_its_clips_by_base_name():
    clips = sorted(str(p) for p in (EVAL / "clips").iterdir())
    refs = load_references(EVAL / "manifest.tsv", clips)
    assert refs[str(EVAL / "clips" / "pocketsphinx__cards_001.wav")] == "ten of clubs"
    assert refs[str(EVAL / "clips" / "speechbrain__example2.flac")] == \
        "MY FATHER HAS REVEALED THE CULPRIT'S NAME"
    # the non-speech rows hold a sound's label, not a transcript
    assert not any("ESC50" in f or f.endswith(".ogg") for f in refs)
    speech = sum(line.rstrip("\n").endswith("\tspeech")
                 for line in (EVAL / "manifest.tsv").read_text().splitlines(keepends=True))
    assert len(refs) == speech


def test_manifest_matches_exact_relative_and_base_name(tmp_path):
    exact, relative, base, other = _audio(tmp_path, "a/one.wav", "lists/two.wav", "x/three.wav",
                                          "four.wav")
    manifest = tmp_path / "lists" / "refs.tsv"
    manifest.write_text(f"\ufeffID\tPath\tText\n1\t{exact}\tOne.\n2\ttwo.wav\tTwo\n"
                        "3\telsewhere/three.wav\t  Three  \n\n", encoding="utf-8")
    refs = load_references(manifest, [exact, relative, base, other])
    assert refs == {exact: "One.", relative: "Two", base: "Three"}


def test_relative_path_wins_over_a_base_name(tmp_path):
    here, = _audio(tmp_path, "b/clip.wav")
    manifest = tmp_path / "m.tsv"
    manifest.write_text("file\ttranscript\na/clip.wav\twrong\nb/clip.wav\tright\n")
    assert load_references(manifest, [here]) == {here: "right"}


def test_same_base_name_with_different_texts_is_refused(tmp_path):
    clip, = _audio(tmp_path / "elsewhere", "clip.wav")
    manifest = tmp_path / "m.tsv"
    manifest.write_text("file\ttranscript\na/clip.wav\tone\nb/clip.wav\ttwo\n")
    with pytest.raises(UsageError, match="several rows named clip.wav"):
        load_references(manifest, [clip])


def test_a_manifest_without_the_columns_names_the_ones_it_has(tmp_path):
    manifest = tmp_path / "m.tsv"
    manifest.write_text("name\twords\nclip.wav\thello\n")
    with pytest.raises(UsageError, match=r"its columns are: name, words\."):
        load_references(manifest, ["clip.wav"])


def test_a_tab_separated_header_in_a_txt_is_a_manifest(tmp_path):
    one, two = _audio(tmp_path, "one.wav", "two.wav")
    manifest = tmp_path / "refs.txt"
    manifest.write_text("file\ttranscript\none.wav\tuno\ntwo.wav\tdos\n")
    assert load_references(manifest, [one, two]) == {one: "uno", two: "dos"}


def test_plain_text_is_the_reference_of_one_file(tmp_path):
    clip, = _audio(tmp_path, "clip.wav")
    text = tmp_path / "said.txt"
    text.write_bytes("\ufeffGo forward,\nten meters.\n".encode())
    assert load_references(text, [clip]) == {clip: "Go forward,\nten meters."}
    assert load_references(text, []) == {}
    with pytest.raises(UsageError, match="one audio file, not 2"):
        load_references(text, [clip, clip + "2"])


def test_sidecar_text_files_next_to_the_audio(tmp_path):
    with_text, without = _audio(tmp_path, "talk.wav", "music.wav")
    (tmp_path / "talk.txt").write_text("Hello there.\n")
    assert load_references(None, [with_text, without]) == {with_text: "Hello there."}
    assert load_references(None, []) == {}


def test_missing_reference_or_a_folder_is_a_usage_error(tmp_path):
    with pytest.raises(UsageError, match="does not exist"):
        load_references(tmp_path / "nope.tsv", ["a.wav"])
    with pytest.raises(UsageError, match="is not a file"):
        load_references(tmp_path, ["a.wav"])


def test_undecodable_text_is_an_input_error_naming_the_file(tmp_path):
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("café".encode("latin-1"))
    with pytest.raises(InputError, match=r"latin1\.txt is not UTF-8 text"):
        load_references(bad, ["a.wav"])
    clip, = _audio(tmp_path, "clip.wav")
    (tmp_path / "clip.txt").write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match=r"clip\.txt is not UTF-8"):
        load_references(None, [clip])


def test_a_huge_reference_is_refused_before_it_is_read(tmp_path):
    big = tmp_path / "big.tsv"
    with open(big, "wb") as f:
        f.truncate(references.MAX_REFERENCE_BYTES + 1)  # sparse: no disk used
    with pytest.raises(InputError, match="larger than 50 MB"):
        load_references(big, ["a.wav"])


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_an_unreadable_reference_is_an_input_error(tmp_path):
    locked = tmp_path / "locked.txt"
    locked.write_text("words")
    locked.chmod(0)
    with pytest.raises(InputError, match="cannot be read"):
        load_references(locked, ["a.wav"])
