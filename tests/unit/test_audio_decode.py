"""Audio input: every format to 16 kHz mono float32, in continuous bounded chunks, typed errors."""

from __future__ import annotations

import struct
import tracemalloc
import zlib
from pathlib import Path

import av
import numpy as np
import pytest
import soundfile as sf

from grym_desktop.audio.decode import SAMPLE_RATE, iter_chunks, load_audio, probe
from grym_desktop.errors import (
    CorruptAudioError,
    EmptyFileError,
    MissingFileError,
    NotAudioError,
    UnsupportedCodecError,
    ZeroLengthAudioError,
)

DATA = Path(__file__).resolve().parents[1] / "data"
FIXTURES = {  # file: (codec, source rate, source channels)
    "hello_world.wav": ("pcm_s16le", 16000, 1),
    "numbers_44k_stereo.flac": ("flac", 44100, 2),
    "sentence.ogg": ("vorbis", 16000, 1),
    "sentence.mp3": ("mp3", 16000, 1),
    "sentence.m4a": ("aac", 16000, 1),
    "sentence.mp4": ("aac", 16000, 1),
}
MS5 = 5 * SAMPLE_RATE // 1000


def tone(rate: int, seconds: float, start: int = 0, amplitude: float = 0.5) -> np.ndarray:
    return amplitude * np.sin(2 * np.pi * 440 * (start + np.arange(round(seconds * rate))) / rate)


def write_av(path: Path, channels: list[np.ndarray], rate: int, layout: str) -> None:
    """Write PCM channels into a container only PyAV reads (Matroska), one second per frame."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("pcm_s16le", rate=rate, layout=layout)
        pcm = (np.stack(channels) * 32767).astype(np.int16)
        for i in range(0, pcm.shape[1], rate):
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(pcm[:, i : i + rate]), format="s16p", layout=layout
            )
            frame.sample_rate, frame.pts = rate, i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def test_fixtures_are_small_and_all_have_their_text():
    texts = dict(line.split("\t") for line in (DATA / "texts.tsv").read_text().splitlines()[1:])
    assert set(texts) == set(FIXTURES)
    for name, text in texts.items():
        assert (DATA / name).stat().st_size < 200_000
        assert len(text.split()) >= 5


@pytest.mark.parametrize("name", FIXTURES)
def test_each_format_decodes_to_16k_mono_float32_of_its_duration(name):
    info = probe(DATA / name)
    assert (info.codec, info.sample_rate, info.channels) == FIXTURES[name]
    assert info.path == str(DATA / name)
    audio = load_audio(DATA / name)
    assert audio.dtype == np.float32 and audio.ndim == 1
    assert abs(len(audio) - info.duration * SAMPLE_RATE) <= MS5
    assert 2.5 < info.duration < 5
    assert np.sqrt(np.mean(audio**2)) > 0.02  # speech, not silence


@pytest.mark.parametrize("name", ["sentence.mp3", "sentence.m4a", "sentence.mp4"])
def test_lossy_encodings_line_up_with_the_same_sentence_in_vorbis(name):
    # Encoder delay or padding left in would shift every timestamp of a transcript.
    reference, audio = load_audio(DATA / "sentence.ogg"), load_audio(DATA / name)
    assert abs(len(audio) - len(reference)) <= MS5
    n = min(len(audio), len(reference))
    assert np.corrcoef(reference[:n], audio[:n])[0, 1] > 0.9


@pytest.mark.parametrize("name", FIXTURES)
def test_chunks_have_the_asked_size_and_join_to_the_whole_decode(name):
    chunks = list(iter_chunks(DATA / name, chunk_seconds=0.5))
    assert all(len(c) == 8000 for c in chunks[:-1])
    assert 0 < len(chunks[-1]) <= 8000
    assert all(c.dtype == np.float32 and c.ndim == 1 for c in chunks)
    assert np.array_equal(np.concatenate(chunks), load_audio(DATA / name))


@pytest.mark.parametrize(
    ("suffix", "rate", "channels"),
    [("wav", 44100, 2), ("flac", 22050, 4), ("mkv", 48000, 2), ("mkv", 8000, 6)],
)
def test_any_rate_and_channel_count_becomes_a_continuous_16k_mean_of_channels(
    tmp_path, suffix, rate, channels
):
    # A tone on the first channel, silence on the others: the mean has 1/channels of its
    # amplitude, and any gap or click at a block or chunk boundary would break the sine.
    path = tmp_path / f"tone.{suffix}"
    signal = [tone(rate, 5.0)] + [np.zeros(5 * rate)] * (channels - 1)
    if suffix == "mkv":
        write_av(path, signal, rate, {2: "stereo", 6: "5.1"}[channels])
    else:
        sf.write(path, np.stack(signal, axis=1), rate, subtype="PCM_16")
    info = probe(path)
    assert (info.sample_rate, info.channels) == (rate, channels)

    audio = np.concatenate(list(iter_chunks(path, chunk_seconds=0.3)))
    assert abs(len(audio) - 5 * SAMPLE_RATE) <= 16
    expected = tone(SAMPLE_RATE, len(audio) / SAMPLE_RATE, amplitude=0.5 / channels)
    inner = slice(MS5, -MS5)  # the resampling filter rings at the very edges
    assert np.abs(audio - expected)[inner].max() < 1e-3


@pytest.mark.parametrize("suffix", [".raw", ".pcm"])
def test_headerless_pcm_is_16k_mono_s16le(tmp_path, suffix):
    samples = (tone(SAMPLE_RATE, 1.5) * 32767).astype("<i2")
    path = tmp_path / f"speech{suffix}"
    path.write_bytes(samples.tobytes())
    info = probe(path)
    assert (info.duration, info.sample_rate, info.channels, info.codec) == (
        1.5, 16000, 1, "pcm_s16le"
    )
    assert np.array_equal(load_audio(path), samples / np.float32(32768))


@pytest.mark.parametrize("suffix", ["wav", "mkv"])
def test_ten_minutes_decode_chunk_by_chunk_in_bounded_memory(tmp_path, suffix):
    rate, seconds = 48000, 600
    path = tmp_path / f"long.{suffix}"
    if suffix == "wav":
        with sf.SoundFile(path, "w", rate, 1, subtype="PCM_16") as f:
            for i in range(seconds):
                f.write(tone(rate, 1.0, start=i * rate))
    else:
        write_av(path, [tone(rate, seconds)], rate, "mono")

    tracemalloc.start()
    try:
        count, chunks, seams = 0, 0, []
        for chunk in iter_chunks(path):
            # 100 ms either side of each seam must follow the sine: a gap, a repeat or a click
            # where two chunks meet would show there.
            if count:
                seams.append(np.abs(chunk[:1600] - tone(SAMPLE_RATE, 0.1, count)).max())
            tail = tone(SAMPLE_RATE, 0.1, count + len(chunk) - 1600)
            seams.append(np.abs(chunk[-1600:] - tail).max())
            count, chunks = count + len(chunk), chunks + 1
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert abs(count - seconds * SAMPLE_RATE) <= 16
    assert chunks == 20
    assert max(seams[:-1]) < 1e-3  # the file's own end rings a little
    # The decoded whole would be 38 MB and the source 58 MB; a chunk of 30 s is 1.9 MB.
    assert peak < 8 * 2**20


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" + b"\xff" * 6 + b"\x00" + b"\x00" * 6)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(
        b"IEND", b""
    )


def flac_audio_start(data: bytes) -> int:
    """Offset of the first audio frame: after 'fLaC' and the metadata blocks."""
    pos = 4
    while True:
        last, size = data[pos] & 0x80, int.from_bytes(data[pos + 1 : pos + 4], "big")
        pos += 4 + size
        if last:
            return pos


def video_without_audio(path: Path) -> None:
    with av.open(str(path), "w") as out:
        stream = out.add_stream("mpeg4", rate=5)
        stream.width = stream.height = 32
        stream.pix_fmt = "yuv420p"
        for i in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts = i
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


def unknown_codec_wav(path: Path) -> None:
    data = bytearray((DATA / "hello_world.wav").read_bytes())
    fmt = data.index(b"fmt ") + 8
    data[fmt : fmt + 2] = (0x1234).to_bytes(2, "little")
    path.write_bytes(bytes(data))


rng = np.random.default_rng(7)
wav = (DATA / "hello_world.wav").read_bytes()
flac = (DATA / "numbers_44k_stereo.flac").read_bytes()
BAD_INPUTS = {
    "missing.wav": (MissingFileError, None),
    "empty.wav": (EmptyFileError, b""),
    "notes.wav": (NotAudioError, b"Shopping list: milk, bread, eggs.\n" * 20),
    "picture.wav": (NotAudioError, png_bytes()),
    "cut_in_header.wav": (CorruptAudioError, wav[:22]),
    "garbage_after_header.wav": (CorruptAudioError, wav[:36] + rng.bytes(20_000)),
    "garbage_after_header.flac": (
        CorruptAudioError, flac[: flac_audio_start(flac)] + rng.bytes(60_000)
    ),
    "index_cut_off.m4a": (CorruptAudioError, (DATA / "sentence.m4a").read_bytes()[:8000]),
    "no_samples.wav": (ZeroLengthAudioError, "write_empty"),
    "half_a_sample.raw": (ZeroLengthAudioError, b"\x01"),
    "silent_film.mp4": (UnsupportedCodecError, video_without_audio),
    "unknown_codec.wav": (UnsupportedCodecError, unknown_codec_wav),
}


@pytest.mark.parametrize("name", BAD_INPUTS)
def test_bad_input_raises_its_typed_error_naming_the_file(tmp_path, name):
    error, content = BAD_INPUTS[name]
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content == "write_empty":
        sf.write(path, np.zeros((0, 1)), 16000)
    elif content is not None:
        content(path)

    for attempt in (probe, lambda p: next(iter_chunks(p)), load_audio):
        with pytest.raises(error) as caught:
            attempt(path)
        message = str(caught.value)
        assert caught.value.exit_code == 3
        assert name in message and "\n" not in message and message.endswith(".")


def test_flac_with_corrupted_frames_fails_after_the_good_part_not_silently(tmp_path):
    data = bytearray(flac)
    middle = slice(len(data) * 2 // 5, len(data) * 3 // 5)
    data[middle] = rng.bytes(middle.stop - middle.start)
    path = tmp_path / "damaged.flac"
    path.write_bytes(bytes(data))
    assert probe(path).channels == 2  # the headers and first frames are fine

    good = []
    with pytest.raises(CorruptAudioError, match="damaged.flac") as caught:
        for chunk in iter_chunks(path, chunk_seconds=0.25):
            good.append(chunk)
    assert caught.value.exit_code == 3
    assert good and all(np.abs(c).max() > 0 for c in good)
    assert sum(map(len, good)) < probe(path).duration * SAMPLE_RATE * 0.6


@pytest.mark.parametrize("name", ["hello_world.wav", "sentence.mp3"])
def test_file_cut_in_half_decodes_what_is_there(tmp_path, name):
    data = (DATA / name).read_bytes()
    path = tmp_path / name
    path.write_bytes(data[: len(data) // 2])
    whole, half = load_audio(DATA / name), load_audio(path)
    assert 0.3 * len(whole) < len(half) < 0.7 * len(whole)
    assert np.allclose(half[: len(half) // 2], whole[: len(half) // 2], atol=1e-2)


def _with_rate_field(path: Path, rate: int) -> None:
    """Set a WAV header's sample rate (and byte rate) field, as a damaged or hostile file."""
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"fmt "
    channels, bits = struct.unpack_from("<H", data, 22)[0], struct.unpack_from("<H", data, 34)[0]
    struct.pack_into("<II", data, 24, rate, rate * channels * bits // 8)
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("rate", [1, 100, 999, 1_000_000])
def test_a_wav_claiming_an_impossible_sample_rate_is_refused_at_once(tmp_path, rate):
    path = tmp_path / "rate.wav"
    sf.write(path, tone(16000, 2.0), 16000, subtype="PCM_16")
    _with_rate_field(path, rate)
    with pytest.raises(CorruptAudioError, match=f"sample rate of {rate} Hz"):
        probe(path)
    with pytest.raises(CorruptAudioError, match="sample rate"):
        next(iter_chunks(path))


def test_many_channels_are_read_in_blocks_of_bounded_size(tmp_path):
    path = tmp_path / "many.wav"
    # libsndfile's most channels; 16,384 frames of them at once would be 64 MB of float32
    sf.write(path, np.tile(tone(8000, 1.0)[:, None], (1, 1024)), 8000, subtype="PCM_16")
    tracemalloc.start()
    try:
        samples = load_audio(path)
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert len(samples) == SAMPLE_RATE
    assert peak < 30 * 2**20


def test_a_tag_that_is_not_utf8_is_the_typed_error_not_a_crash(tmp_path):
    def syncsafe(n: int) -> bytes:
        return bytes([(n >> 21) & 0x7F, (n >> 14) & 0x7F, (n >> 7) & 0x7F, n & 0x7F])

    mp3 = (DATA / "sentence.mp3").read_bytes()
    if mp3[:3] == b"ID3":  # drop the file's own tag
        mp3 = mp3[10 + sum((b & 0x7F) << (7 * (3 - i)) for i, b in enumerate(mp3[6:10])):]
    body = b"\x03" + b"\xff\xfe\xc3\x28 not UTF-8"  # a UTF-8 title that is not UTF-8
    frame = b"TIT2" + syncsafe(len(body)) + b"\x00\x00" + body
    path = tmp_path / "tagged.mp3"
    path.write_bytes(b"ID3\x04\x00\x00" + syncsafe(len(frame)) + frame + mp3)
    with pytest.raises(CorruptAudioError, match="tagged.mp3 is damaged"):
        probe(path)
