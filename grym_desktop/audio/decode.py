"""Decode any common audio or video file to 16 kHz mono float32, in bounded chunks.

soundfile reads what libsndfile knows (WAV, FLAC, Ogg, headerless PCM), PyAV everything else
(MP3, AAC/M4A, the audio track of videos). Every failure is a typed InputError naming the file.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
import soundfile as sf
import soxr

from grym_desktop.errors import (
    CorruptAudioError,
    EmptyFileError,
    InputError,
    MissingFileError,
    NotAudioError,
    UnsupportedCodecError,
    ZeroLengthAudioError,
)

SAMPLE_RATE = 16000

_RAW_SUFFIXES = {".raw", ".pcm"}
_MPEG_SUFFIXES = {".mp3", ".mp2", ".mp1", ".mpga"}
_SF_BLOCK = 16384  # source frames per soundfile read; also how closely damage is located
_BLOCK_VALUES = 1 << 20  # at most this many samples (all channels) in one read: 4 MB
# Sample rates a real recording can have; a header claiming another is damaged or hostile
# (1 Hz would make an 11 s clip claim 49 hours and be resampled 16,000 times over).
MIN_RATE, MAX_RATE = 1000, 768_000
_SF_CODECS = {
    "PCM_S8": "pcm_s8",
    "PCM_U8": "pcm_u8",
    "PCM_16": "pcm_s16le",
    "PCM_24": "pcm_s24le",
    "PCM_32": "pcm_s32le",
    "FLOAT": "pcm_f32le",
    "DOUBLE": "pcm_f64le",
    "ULAW": "pcm_mulaw",
    "ALAW": "pcm_alaw",
    "IMA_ADPCM": "adpcm_ima_wav",
    "MS_ADPCM": "adpcm_ms",
    "GSM610": "gsm_ms",
}
# Leading bytes of audio/video containers: a file starting with one of these that fails to
# open is damaged, anything else that fails to open is not audio at all.
_MEDIA_MAGIC = (
    b"RIFF", b"RF64", b"BW64", b"FORM", b"fLaC", b"OggS", b"ID3", b"caff", b".snd",
    b"\x1aE\xdf\xa3", b"0&\xb2u", b"FLV", b"#!AMR", b"MAC ", b"wvpk",
)

Pieces = Callable[[], Iterator[np.ndarray]]


@dataclass
class AudioInfo:
    path: str
    duration: float  # seconds of audio
    sample_rate: int  # source rate
    channels: int  # source channels
    codec: str  # e.g. "pcm_s16le", "flac", "vorbis", "mp3", "aac"
    # What the header promises when the file holds less (a WAV cut short), else None.
    header_duration: float | None = None


def probe(path: str | Path) -> AudioInfo:
    """Read the headers and the first frames, raising a typed InputError for unusable input."""
    return _open_checked(path)[0]


def iter_chunks(path: str | Path, chunk_seconds: float = 30.0) -> Iterator[np.ndarray]:
    """Yield 16 kHz mono float32 chunks of chunk_seconds (the last one shorter), decoding lazily.

    Input errors found from the headers are raised here, before the first chunk.
    """
    size = round(chunk_seconds * SAMPLE_RATE)
    if size < 1:
        raise ValueError(f"chunk_seconds must be positive, got {chunk_seconds}")
    info, pieces = _open_checked(path)
    return _rechunk(_library_errors_typed(pieces(), path), size, info)


def load_audio(path: str | Path) -> np.ndarray:
    """Decode the whole file to one 16 kHz mono float32 array."""
    return np.concatenate(list(iter_chunks(path)))


def _open_checked(path: str | Path) -> tuple[AudioInfo, Pieces]:
    """_open, with any decoding library's own exception as the typed error for this file and
    header values no real recording has refused."""
    try:
        info, pieces = _open(path)
    except (InputError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a library's failure on hostile input
        raise _undecodable(path, exc) from None
    if not MIN_RATE <= info.sample_rate <= MAX_RATE:
        raise CorruptAudioError(
            f"{path} claims a sample rate of {info.sample_rate} Hz, outside what audio can "
            f"have ({MIN_RATE // 1000}-{MAX_RATE // 1000} kHz), and cannot be transcribed.")
    if info.channels < 1:
        raise CorruptAudioError(f"{path} claims {info.channels} channels and cannot be "
                                "transcribed.")
    return info, pieces


def _library_errors_typed(pieces: Iterator[np.ndarray], path: str | Path) -> Iterator[np.ndarray]:
    try:
        yield from pieces
    except (InputError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - a library's failure on hostile input
        raise _undecodable(path, exc) from None


def _undecodable(path: str | Path, exc: Exception) -> CorruptAudioError:
    return CorruptAudioError(
        f"{path} is damaged and cannot be decoded ({type(exc).__name__} in the decoder).")


def _open(path: str | Path) -> tuple[AudioInfo, Pieces]:
    p = Path(path)
    try:
        if not p.exists():
            raise MissingFileError(f"{path} does not exist.")
        if p.is_dir():
            raise NotAudioError(f"{path} is a folder, not an audio file.")
        size = p.stat().st_size
        if size == 0:
            raise EmptyFileError(f"{path} is empty (0 bytes).")
        with open(p, "rb") as f:
            head = f.read(12)
    except PermissionError:
        raise InputError(f"{path} cannot be read (permission denied).") from None
    if p.suffix.lower() in _RAW_SUFFIXES:
        return _open_sf(path, raw=True)
    # libsndfile's MP3 reader (libmpg123) prints its own notes on stderr for damaged MPEG
    # data; MPEG audio goes to PyAV, whose FFmpeg logging is quiet.
    if not _is_mpeg_audio(head) and p.suffix.lower() not in _MPEG_SUFFIXES:
        try:
            return _open_sf(path, raw=False)
        except _NotForSoundfile:
            pass
    return _open_av(path, head, size)


class _NotForSoundfile(Exception):
    pass


def _is_mpeg_audio(head: bytes) -> bool:
    return head[:3] == b"ID3" or (len(head) > 1 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0)


def _sf_file(path: str | Path, raw: bool) -> sf.SoundFile:
    if raw:
        return sf.SoundFile(
            path, samplerate=SAMPLE_RATE, channels=1, format="RAW", subtype="PCM_16",
            endian="LITTLE",
        )
    return sf.SoundFile(path)


def _open_sf(path: str | Path, raw: bool) -> tuple[AudioInfo, Pieces]:
    try:
        f = _sf_file(path, raw)
    except sf.LibsndfileError:
        raise _NotForSoundfile from None
    with f:
        if f.format == "MP3":  # libmpg123 inside libsndfile: PyAV handles MPEG audio
            raise _NotForSoundfile
        codec = "flac" if f.format == "FLAC" else _SF_CODECS.get(f.subtype, f.subtype.lower())
        if f.format == "AIFF":
            codec = codec.replace("le", "be")
        info = AudioInfo(str(path), f.frames / f.samplerate, f.samplerate, f.channels, codec)
        if f.frames == 0:
            raise ZeroLengthAudioError(f"{path} contains no audio samples.")
        try:
            first = f.read(min(4096, f.frames), dtype="float32")
        except sf.LibsndfileError:
            raise CorruptAudioError(f"{path} is damaged and cannot be decoded.") from None
        if not np.isfinite(first).all():
            raise not_a_number_error(path, 0.0)
        if f.format == "WAV" and not raw:
            promised = _wav_promised_frames(path, f.channels, f.subtype)
            if promised is not None and promised > f.frames:
                info.header_duration = promised / f.samplerate
    return info, lambda: _sf_pieces(path, raw)


def not_a_number_error(path: str | Path, seconds: float) -> CorruptAudioError:
    return CorruptAudioError(
        f"{path} holds samples that are not numbers (NaN or infinite) from {seconds:.1f} s "
        "and cannot be transcribed."
    )


_PCM_BYTES = {"PCM_U8": 1, "PCM_S8": 1, "PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4,
              "DOUBLE": 8, "ULAW": 1, "ALAW": 1}


def _wav_promised_frames(path: str | Path, channels: int, subtype: str) -> int | None:
    """Frames the WAV data chunk claims to hold (libsndfile silently counts only what is there).

    None for compressed subtypes and for the 0 / 0xFFFFFFFF sizes of WAVs written as streams.
    """
    width = _PCM_BYTES.get(subtype)
    if width is None:
        return None
    with open(path, "rb") as f:
        if f.read(12)[8:12] != b"WAVE":
            return None
        for _ in range(64):  # a WAV has a handful of chunks before its data
            header = f.read(8)
            if len(header) < 8:
                return None
            size = int.from_bytes(header[4:8], "little")
            if header[:4] == b"data":
                return None if size in (0, 0xFFFFFFFF) else size // (width * channels)
            f.seek(size + (size & 1), 1)
    return None


def _sf_pieces(path: str | Path, raw: bool) -> Iterator[np.ndarray]:
    with _sf_file(path, raw) as f:
        rate = f.samplerate
        resampler = None if rate == SAMPLE_RATE else soxr.ResampleStream(
            rate, SAMPLE_RATE, 1, dtype="float32"
        )
        frames = max(1, min(_SF_BLOCK, _BLOCK_VALUES // f.channels))
        done = 0
        while True:
            try:
                block = f.read(frames, dtype="float32", always_2d=True)
            except sf.LibsndfileError:
                raise CorruptAudioError(
                    f"{path} is damaged near {done / rate:.1f} s and cannot be decoded past there."
                ) from None
            if len(block) == 0:
                break
            done += len(block)
            mono = block.mean(axis=1) if block.shape[1] > 1 else np.ascontiguousarray(block[:, 0])
            yield mono if resampler is None else resampler.resample_chunk(mono)
        if resampler is not None:
            yield resampler.resample_chunk(np.zeros(0, np.float32), last=True)


def _av_container(path: str | Path, head: bytes) -> av.container.InputContainer:
    try:
        return av.open(str(path))
    except av.error.FFmpegError:
        if _has_media_magic(head):
            raise CorruptAudioError(f"{path} is damaged and cannot be decoded.") from None
        raise NotAudioError(f"{path} is not an audio or video file.") from None


def _has_media_magic(head: bytes) -> bool:
    return head.startswith(_MEDIA_MAGIC) or head[4:8] == b"ftyp" or _is_mpeg_audio(head)


def _open_av(path: str | Path, head: bytes, size: int) -> tuple[AudioInfo, Pieces]:
    with _av_container(path, head) as container:
        fmt = container.format.name
        if not container.streams.audio:
            is_image = fmt.endswith("_pipe") or fmt in ("image2", "gif", "apng")
            if _has_media_magic(head) or (container.streams.video and not is_image):
                raise UnsupportedCodecError(f"{path} has no audio track.")
            raise NotAudioError(f"{path} is not an audio or video file.")
        stream = container.streams.audio[0]
        ctx = stream.codec_context
        if ctx is None:
            raise UnsupportedCodecError(f"{path} uses an audio codec that cannot be decoded.")
        if stream.duration:
            duration = float(stream.duration * stream.time_base)
        elif container.duration:
            duration = container.duration / av.time_base
        else:
            duration = None
        info = AudioInfo(str(path), 0.0, ctx.sample_rate, ctx.channels, ctx.codec.canonical_name)
        _av_check_first_frame(container, stream, path)
    # A missing duration (streamed WebM, raw AAC) is measured from the packets, without decoding.
    info.duration = duration if duration is not None else _av_scan_duration(path)
    # MP4 sample tables give the exact length; AAC decoders emit padding beyond it.
    limit = round(info.duration * SAMPLE_RATE) if "mp4" in fmt else None
    return info, lambda: _av_pieces(path, size, limit)


def _av_check_first_frame(container, stream, path: str | Path) -> None:
    had_data = False
    try:
        for packet in container.demux(stream):
            had_data = had_data or packet.size > 0
            if any(frame.samples for frame in packet.decode()):
                return
    except av.error.FFmpegError:
        raise CorruptAudioError(f"{path} is damaged and cannot be decoded.") from None
    if had_data:
        raise CorruptAudioError(f"{path} is damaged and cannot be decoded.")
    raise ZeroLengthAudioError(f"{path} contains no audio samples.")


def _av_scan_duration(path: str | Path) -> float:
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        start, end = None, 0
        for packet in container.demux(stream):
            if packet.pts is not None:
                start = packet.pts if start is None else min(start, packet.pts)
                end = max(end, packet.pts + (packet.duration or 0))
        return float((end - (start or 0)) * stream.time_base)


def _av_pieces(path: str | Path, size: int, limit: int | None) -> Iterator[np.ndarray]:
    # Keep the source layout and average the channels here: the same mean-of-channels downmix
    # as the soundfile path, and no rematrixing of layouts FFmpeg cannot name.
    resampler = av.AudioResampler(format="fltp", rate=SAMPLE_RATE)
    done = 0
    with av.open(str(path)) as container:
        try:
            for frame in _av_frames(container, size):
                for out in resampler.resample(frame):
                    mono = out.to_ndarray().mean(axis=0, dtype=np.float32)
                    if limit is not None:
                        mono = mono[: max(limit - done, 0)]
                    done += len(mono)
                    yield mono
        except av.error.FFmpegError:
            at = done / SAMPLE_RATE
            raise CorruptAudioError(
                f"{path} is damaged near {at:.1f} s and cannot be decoded past there."
            ) from None


def _av_frames(container, size: int) -> Iterator[av.AudioFrame | None]:
    """Decoded frames of the first audio stream, then None to flush the resampler."""
    for packet in container.demux(container.streams.audio[0]):
        try:
            frames = packet.decode()
        except av.error.FFmpegError:
            if packet.pos is not None and 0 <= packet.pos and packet.pos + packet.size >= size:
                break  # the file is cut short in this packet: keep what decoded, like players do
            raise
        yield from frames
    yield None


def _rechunk(pieces: Iterator[np.ndarray], size: int, info: AudioInfo) -> Iterator[np.ndarray]:
    chunk = np.empty(size, np.float32)
    filled = total = 0
    for piece in pieces:
        while len(piece):
            take = min(size - filled, len(piece))
            chunk[filled : filled + take] = piece[:take]
            filled += take
            total += take
            piece = piece[take:]
            if filled == size:
                yield chunk
                chunk = np.empty(size, np.float32)
                filled = 0
    if filled:
        yield chunk[:filled].copy()
    if total == 0:
        raise ZeroLengthAudioError(f"{info.path} contains no audio samples.")
