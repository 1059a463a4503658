"""Scoring of transcripts: word error rate, word diffs, paired differences, references."""
