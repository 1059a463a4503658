"""Diarization core: windows, clustering on synthetic voices, turns and assignment."""

from __future__ import annotations

import numpy as np
import pytest

from grym_desktop.speakers import (
    AUTO_THRESHOLD,
    SpeakerTurn,
    assign,
    centroids,
    cluster,
    find_speakers,
    speaking_time,
    speech_regions,
    speech_windows,
    turns,
    window_blocks,
)
from grym_desktop.speakers import diarize as dz
from grym_desktop.transcript import Segment, Word


def voices(counts: list[int], dim: int = 64, spread: float = 0.25, seed: int = 0):
    """Unit vectors around one random direction per speaker, in the order given by counts
    [(speaker, n), ...] flattened; returns (vectors, true labels)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(len(counts), dim))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    vectors, labels = [], []
    for k, n in enumerate(counts):
        noise = rng.normal(size=(n, dim)) * spread / np.sqrt(dim)
        vectors.append(centres[k] + noise)
        labels += [k] * n
    x = np.concatenate(vectors)
    return x / np.linalg.norm(x, axis=1, keepdims=True), np.array(labels)


def same_partition(a: np.ndarray, b: np.ndarray) -> bool:
    pairs = {(int(x), int(y)) for x, y in zip(a, b, strict=True)}
    return len(pairs) == len(set(a.tolist())) == len(set(b.tolist()))


# -- windows -------------------------------------------------------------------------------


def test_speech_windows_cover_each_region_and_short_regions_get_one():
    windows = speech_windows([(0.0, 1.0), (2.0, 5.0), (6.0, 7.6)])
    assert windows[0] == (0.0, 1.0)
    long = [w for w in windows if 2.0 <= w[0] and w[1] <= 5.0]
    assert long == [(2.0, 3.5), (2.75, 4.25), (3.5, 5.0)]
    assert all(abs((e - s) - 1.5) < 1e-9 for s, e in long)
    assert speech_windows([(0.0, 2.0)]) == [(0.0, 1.5), (0.5, 2.0)]
    assert [w for w in windows if w[0] >= 6.0] == [(6.0, 7.6)]
    assert speech_windows([(3.0, 3.0)]) == []


def test_speech_regions_join_word_gaps_and_drop_clicks():
    frame = dz.FRAME_SECONDS
    p = np.zeros(200)
    p[10:40] = 0.9  # speech
    p[45:70] = 0.9  # after a 5-frame (0.16 s) gap: the same region
    p[120:123] = 0.9  # 0.1 s click
    p[150:190] = 0.8
    regions = speech_regions(p)
    assert regions == [(round(10 * frame, 3), round(70 * frame, 3)),
                       (round(150 * frame, 3), round(190 * frame, 3))]


def test_window_blocks_stay_within_thirty_seconds():
    windows = speech_windows([(0.0, 70.0)])
    blocks = window_blocks(windows, seconds=30.0)
    assert sorted(i for _, _, members in blocks for i in members) == list(range(len(windows)))
    for start, end, members in blocks:
        assert end - start <= 30.0
        assert start == windows[members[0]][0]


# -- clustering ----------------------------------------------------------------------------


@pytest.mark.parametrize("counts", [[30, 20], [15, 25, 10], [10, 12, 9, 14]])
def test_cluster_finds_the_speakers_automatically(counts):
    x, truth = voices(counts, seed=len(counts))
    labels = cluster(x)
    assert same_partition(labels, truth)
    assert labels[0] == 0 and set(labels.tolist()) == set(range(len(counts)))


def test_cluster_labels_follow_first_appearance_on_interleaved_speakers():
    x, truth = voices([6, 6, 6], seed=3)
    order = np.array([12, 0, 6, 1, 13, 7, 2, 3, 14, 8, 15, 16, 17, 9, 10, 11, 4, 5])
    labels = cluster(x[order])
    assert list(labels[:3]) == [0, 1, 2]
    assert same_partition(labels, truth[order])


def test_cluster_with_a_given_count_and_bounds():
    x, truth = voices([20, 20, 20], seed=5)
    assert same_partition(cluster(x, speakers=3), truth)
    assert len(set(cluster(x, speakers=2).tolist())) == 2
    assert len(set(cluster(x, max_speakers=2).tolist())) == 2
    one, _ = voices([25], seed=6)
    assert set(cluster(one).tolist()) == {0}
    assert len(set(cluster(one, min_speakers=2).tolist())) == 2
    assert cluster(x, threshold=2.1).max() == 0  # above every cosine distance: one speaker


def test_cluster_edge_cases():
    assert cluster(np.zeros((0, 8))).shape == (0,)
    assert list(cluster(np.ones((1, 8)))) == [0]
    with pytest.raises(ValueError):
        cluster(np.zeros((3, 8)))
    assert 0 < AUTO_THRESHOLD < 1


def test_a_long_conversation_with_mixed_windows_keeps_its_two_speakers(monkeypatch):
    """Thousands of windows of two voices, one in twelve with some of the next window's voice
    in it (a window across a change of speaker): the sample-then-assign path finds two."""
    monkeypatch.setattr(dz, "MAX_DIRECT", 300)
    x, truth = voices([1500, 1500], spread=0.6, seed=3)
    order = np.random.default_rng(2).permutation(len(x))
    x, truth = x[order], truth[order]
    mixed = np.arange(0, len(x), 12)
    x[mixed] = x[mixed] + 0.5 * x[(mixed + 1) % len(x)]
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = cluster(x)
    assert len(np.unique(labels)) == 2
    clean = np.setdiff1d(np.arange(len(x)), mixed)
    assert same_partition(labels[clean], truth[clean])


def test_cluster_a_sample_beyond_the_direct_limit(monkeypatch):
    monkeypatch.setattr(dz, "MAX_DIRECT", 40)
    x, truth = voices([50, 40, 60], seed=7)
    order = np.random.default_rng(1).permutation(len(x))
    labels = cluster(x[order])
    assert same_partition(labels, truth[order])
    assert labels[0] == 0


def test_centroids_are_unit_means():
    x, truth = voices([10, 10], seed=8)
    means = centroids(x, truth)
    assert means.shape == (2, 64)
    np.testing.assert_allclose(np.linalg.norm(means, axis=1), 1.0, atol=1e-5)
    assert (x[truth == 0] @ means[0]).mean() > (x[truth == 0] @ means[1]).mean()


# -- turns ---------------------------------------------------------------------------------


def test_turns_merge_one_speaker_and_split_at_the_middle_of_the_hop():
    windows = speech_windows([(0.0, 4.5), (5.0, 6.0)])  # starts 0, .75, 1.5, 2.25, 3; 5
    labels = [0, 0, 0, 1, 1, 1]
    found = turns(windows, labels)
    # windows 2 (1.5-3.0) and 3 (2.25-3.75) share 2.25-3.0: the boundary is 2.625
    assert found == [SpeakerTurn(0.0, 2.625, 0), SpeakerTurn(2.625, 4.5, 1),
                     SpeakerTurn(5.0, 6.0, 1)]
    assert speaking_time(found) == [2.625, 2.875]


def test_turns_mark_overlap_at_a_change_without_a_pause():
    windows = speech_windows([(0.0, 4.5)])
    found = turns(windows, [0, 0, 0, 1, 1], overlap=0.3)
    assert [t for t in found if t.overlap] == [SpeakerTurn(2.475, 2.775, 0, True),
                                              SpeakerTurn(2.475, 2.775, 1, True)]
    assert [t for t in found if not t.overlap] == [SpeakerTurn(0.0, 2.475, 0),
                                                  SpeakerTurn(2.775, 4.5, 1)]
    assert speaking_time(found) == [2.775, 2.025]
    # a change across a pause is not overlap
    assert not any(t.overlap for t in turns([(0, 1), (2, 3)], [0, 1], overlap=0.3))


def test_find_speakers_puts_it_together():
    windows = speech_windows([(0.0, 10.0), (11.0, 20.0)])
    n0 = sum(1 for w in windows if w[1] <= 10.0)
    x, truth = voices([n0, len(windows) - n0], seed=9)
    result = find_speakers(windows, x, "test-model")
    assert result.speakers == 2 and result.names == ["Speaker 1", "Speaker 2"]
    assert [(t.start, t.end, t.speaker) for t in result.turns] == [(0.0, 10.0, 0),
                                                                  (11.0, 20.0, 1)]
    assert result.seconds == [10.0, 9.0] and result.centroids.shape == (2, 64)
    assert same_partition(result.labels, truth) and result.model_id == "test-model"
    assert find_speakers([], np.zeros((0, 64)), "m").turns == []


# -- assignment ----------------------------------------------------------------------------


def test_assign_gives_segments_and_words_the_speaker_who_overlaps_most():
    found = [SpeakerTurn(0.0, 4.0, 0), SpeakerTurn(4.0, 9.0, 1), SpeakerTurn(12.0, 15.0, 0)]
    words = [Word(2.5, 3.0, " hello"), Word(3.2, 3.9, " there"), Word(4.1, 5.0, " yes"),
             Word(9.5, 9.8, " um")]
    segments = [
        Segment(0.5, 3.9, "Hello there", words[:2]),
        Segment(3.5, 8.0, "yes, I think so", [words[2]]),  # 0.5 s of 0, 4 s of 1
        Segment(9.2, 9.9, "um", [words[3]]),  # in a gap: the nearest turn (speaker 2)
        Segment(12.5, 14.0, "again"),
        Segment(40.0, 41.0, "far away"),  # nothing within reach
    ]
    out = assign(segments, found)
    assert [s.speaker for s in out] == ["Speaker 1", "Speaker 2", "Speaker 2", "Speaker 1",
                                        None]
    assert [w.speaker for w in out[0].words] == ["Speaker 1", "Speaker 1"]
    assert out[1].words[0].speaker == "Speaker 2"
    assert out[2].words[0].speaker == "Speaker 2"  # no turn under it: its segment's speaker
    assert out[0].text == "Hello there" and out[0].start == 0.5
    assert segments[0].speaker is None  # the input is not changed


def test_assign_splits_words_of_one_segment_between_speakers():
    found = [SpeakerTurn(0.0, 2.0, 0), SpeakerTurn(2.0, 4.0, 1)]
    words = [Word(0.2, 0.8, " a"), Word(1.0, 1.9, " b"), Word(2.1, 2.5, " c")]
    (seg,) = assign([Segment(0.2, 2.5, "a b c", words)], found)
    assert seg.speaker == "Speaker 1"
    assert [w.speaker for w in seg.words] == ["Speaker 1", "Speaker 1", "Speaker 2"]
    assert assign([Segment(0, 1, "x")], [])[0].speaker is None


def test_a_lone_window_of_another_voice_is_not_a_speaker():
    """A window mixing voices (here: far from both) forms a cluster of one; it joins the
    nearest speaker, with the count found or given."""
    x, truth = voices([20, 20], seed=11)
    odd = -(x[0] + x[-1])
    x = np.vstack([x[:20], odd / np.linalg.norm(odd), x[20:]])
    truth = np.concatenate([truth[:20], [9], truth[20:]])
    keep = truth != 9
    for labels in (cluster(x), cluster(x, speakers=2)):
        assert labels.max() == 1
        assert same_partition(labels[keep], truth[keep])
    assert cluster(x, min_windows=1).max() == 2
    plain = cluster(x, speakers=2, min_windows=1)  # the plain cut: the odd one alone
    assert (plain == plain[20]).sum() == 1
