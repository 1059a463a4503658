"""Word error rate and word diffs: one normalisation for both models and the reference."""

from __future__ import annotations

import pytest

from grym_desktop.scoring.wer import (
    NORMALISATION,
    DiffPart,
    corpus_error_rate,
    diff_counts,
    normalise,
    word_diff,
    word_error_rate,
    words,
)


@pytest.mark.parametrize(("text", "expected"), [
    ("Ten of clubs.", "1 0 of clubs"),
    ("10 of clubs", "1 0 of clubs"),
    ("one two three", "1 2 3"),
    ("1, 2, 3", "1 2 3"),
    ("123", "1 2 3"),
    ("3.5 and 25%", "3 point 5 and 2 5 percent"),
    ("MY FATHER HAS REVEALED THE CULPRIT'S NAME", "my father has revealed the culprit is name"),
    ("don't  stop—now!", "do not stop now"),
    ("The colour of honour", "the color of honor"),
    ("  Hello,\t\n WORLD  ", "hello world"),
    ("", ""),
    ("?!…", ""),
])
def test_normalise(text, expected):
    assert normalise(text) == expected


def test_normalisation_sentence_matches_what_normalise_does():
    assert NORMALISATION.endswith(".") and NORMALISATION.count(". ") == 0
    for said in ("one two three", "1, 2, 3", "123"):
        assert f'"{said}"' in NORMALISATION and normalise(said) == "1 2 3"
    assert normalise("3.5%") == "3 point 5 percent" and "3 point 5 percent" in NORMALISATION


def test_a_digit_string_and_its_spoken_digits_score_alike():
    spoken = "one zero zero zero one nine oh two one oh zero one eight zero three"
    assert word_error_rate(spoken, "1, 0, 0, 0, 1. 9, 0, 2, 1, 0. 0, 1, 8, 0, 3.") == 0.0


def test_words_are_the_normalised_tokens():
    assert words("Go forward, 10 meters.") == ["go", "forward", "1", "0", "meters"]


def test_word_error_rate_ignores_case_punctuation_and_digits():
    assert word_error_rate("Ten of clubs.", "10 of clubs") == 0.0
    assert word_error_rate("go forward ten meters", "go forward 10 meters") == 0.0


def test_word_error_rate_counts_edits_over_reference_words():
    assert word_error_rate("the cat sat", "the bat sat down") == pytest.approx(2 / 3)
    assert word_error_rate("the cat sat", "") == 1.0
    assert word_error_rate("a", "a b c d") == 3.0  # insertions can take it above one


def test_empty_reference_scores_zero_or_one():
    assert word_error_rate("", "") == 0.0
    assert word_error_rate(" ... ", "") == 0.0
    assert word_error_rate("", "something was said") == 1.0


def test_word_diff_aligns_equal_substitute_insert():
    parts = word_diff("the cat sat", "the bat sat down")
    assert parts == [
        DiffPart("equal", ["the"], ["the"]),
        DiffPart("substitute", ["cat"], ["bat"]),
        DiffPart("equal", ["sat"], ["sat"]),
        DiffPart("insert", [], ["down"]),
    ]
    assert diff_counts(parts) == {"hits": 2, "substitutions": 1, "insertions": 1, "deletions": 0}


def test_word_diff_deletions_and_normalised_words():
    parts = word_diff("The 10 cats sat here.", "the ten sat")
    assert [p.kind for p in parts] == ["equal", "delete", "equal", "delete"]
    assert parts[1].a_words == ["cats"] and parts[1].b_words == []
    assert diff_counts(parts) == {"hits": 4, "substitutions": 0, "insertions": 0, "deletions": 2}


def test_word_diff_with_an_empty_side():
    assert word_diff("", "") == []
    assert word_diff("", "Hello there") == [DiffPart("insert", [], ["hello", "there"])]
    assert word_diff("Hello there", "!") == [DiffPart("delete", ["hello", "there"], [])]


def test_corpus_error_rate_weighs_files_by_their_reference_words():
    references = ["the quick brown fox jumps over the lazy dog today", "yes"]
    hypotheses = ["the quick brown fox jumps over the lazy dog today", "no"]
    assert word_error_rate(references[1], hypotheses[1]) == 1.0
    assert corpus_error_rate(references, hypotheses) == pytest.approx(1 / 11)
    assert corpus_error_rate(["go", ""], ["", "extra words"]) == 3.0  # a deletion, 2 insertions
    assert corpus_error_rate([""], ["anything"]) is None
