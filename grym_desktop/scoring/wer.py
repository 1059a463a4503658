"""Word error rate and word-level diffs of transcripts, after one shared normalisation.

Models write "10" where a reference says "ten" and end sentences with a full stop; both sides
are normalised the same way first so that only the words count. The normaliser is Whisper's
English one (the whisper-normalizer package, the rules the ASR leaderboards use and the
project's benchmarks read), and every digit is then a word of its own, so "one two three",
"1, 2, 3" and "123" all read "1 2 3".
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import jiwer
from whisper_normalizer.english import EnglishTextNormalizer

NORMALISATION = (
    "Both models and the reference are compared after Whisper's English normaliser (lower "
    "case, no punctuation, spelled-out numbers as digits, British spellings as American, "
    "contractions expanded), with every digit a word of its own, so \"one two three\", "
    "\"1, 2, 3\" and \"123\" all read \"1 2 3\", and 3.5% as \"3 point 5 percent\"."
)
_DIGIT = re.compile(r"\d")
_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")  # what the normaliser keeps among numbers
_PERCENT = re.compile(r"(?<=\d)\s*%")


@functools.cache
def _whisper_normaliser() -> EnglishTextNormalizer:
    return EnglishTextNormalizer()


def normalise(text: str) -> str:
    """The text as scoring sees it (see NORMALISATION)."""
    text = _whisper_normaliser()(text)
    text = _PERCENT.sub(" percent", _DECIMAL_POINT.sub(" point ", text))
    text = _DIGIT.sub(r" \g<0> ", text)
    # "one" survives the number rules where it is a pronoun or stands alone ("one of them").
    kept = ("1" if w == "one" else w for w in text.split())
    return " ".join(w for w in kept if any(c.isalnum() for c in w))


def words(text: str) -> list[str]:
    """The normalised words of a text."""
    return normalise(text).split()


def word_error_rate(reference: str, hypothesis: str) -> float:
    """(substitutions + deletions + insertions) / reference words, on normalised words.

    Above 1.0 when the hypothesis adds many words. An empty reference (nothing was said)
    scores 0.0 against an empty hypothesis and 1.0 against any words, where jiwer raises.
    """
    ref, hyp = normalise(reference), normalise(hypothesis)
    if not ref:
        return 0.0 if not hyp else 1.0
    return float(jiwer.wer(ref, hyp))


def corpus_error_rate(references: list[str], hypotheses: list[str]) -> float | None:
    """Word errors over all reference words of several files, so a long file weighs more than
    a short one; None when the references hold no words."""
    errors = reference_words = 0
    for reference, hypothesis in zip(references, hypotheses, strict=True):
        ref, hyp = normalise(reference), normalise(hypothesis)
        reference_words += len(ref.split())
        if not ref or not hyp:
            errors += len(ref.split()) + len(hyp.split())
            continue
        counts = jiwer.process_words(ref, hyp)
        errors += counts.substitutions + counts.deletions + counts.insertions
    return errors / reference_words if reference_words else None


@dataclass(frozen=True)
class DiffPart:
    """A run of aligned words: the same in both, substituted, only in b, or only in a."""

    kind: str  # "equal", "substitute", "insert" (words only in b) or "delete" (only in a)
    a_words: list[str]
    b_words: list[str]


def word_diff(a: str, b: str) -> list[DiffPart]:
    """The word alignment of b against a (a as the reference), on normalised words."""
    a_words, b_words = words(a), words(b)
    if not a_words or not b_words:
        if a_words:
            return [DiffPart("delete", a_words, [])]
        return [DiffPart("insert", [], b_words)] if b_words else []
    chunks = jiwer.process_words(" ".join(a_words), " ".join(b_words)).alignments[0]
    return [DiffPart(c.type, a_words[c.ref_start_idx:c.ref_end_idx],
                     b_words[c.hyp_start_idx:c.hyp_end_idx]) for c in chunks]


def diff_counts(parts: list[DiffPart]) -> dict[str, int]:
    """Words per kind of a diff: hits, substitutions, insertions, deletions."""
    counts = {"hits": 0, "substitutions": 0, "insertions": 0, "deletions": 0}
    for part in parts:
        if part.kind == "equal":
            counts["hits"] += len(part.a_words)
        elif part.kind == "substitute":
            counts["substitutions"] += len(part.a_words)
        elif part.kind == "insert":
            counts["insertions"] += len(part.b_words)
        else:
            counts["deletions"] += len(part.a_words)
    return counts
