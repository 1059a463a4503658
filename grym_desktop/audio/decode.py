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
_AV_PREROLL = 0.2  # seconds decoded and dropped before a seek point: MP3's bit reservoir, AAC
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

# (start seconds, output rate) -> mono float32 pieces from there, seeking rather than decoding
# what lies before.
Pieces = Callable[[float, int], Iterator[np.ndarray]]


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
    return _rechunk(_library_errors_typed(pieces(0.0, SAMPLE_RATE), path), size, info)


def open_reader(path: str | Path) -> tuple[AudioInfo, Pieces]:
    """The file's info and a reader(start, rate) of mono float32 pieces at `rate` from `start`
    seconds, for playback: it seeks instead of decoding what lies before, and raises as
    iter_chunks does (input errors from the headers here, at once)."""
    info, pieces = _open_checked(path)
    return info, lambda start, rate: _library_errors_typed(pieces(start, rate), path)


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
    return info, lambda start, rate: _sf_pieces(path, raw, start, rate)


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


def _sf_pieces(path: str | Path, raw: bool, start: float = 0.0,
               out_rate: int = SAMPLE_RATE) -> Iterator[np.ndarray]:
    with _sf_file(path, raw) as f:
        rate = f.samplerate
        resampler = None if rate == out_rate else soxr.ResampleStream(
            rate, out_rate, 1, dtype="float32"
        )
        frames = max(1, min(_SF_BLOCK, _BLOCK_VALUES // f.channels))
        done = f.seek(min(round(start * rate), f.frames)) if start > 0 else 0
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
    limit = info.duration if "mp4" in fmt else None
    return info, lambda start, rate: _av_pieces(path, size, limit, start, rate)


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


def _av_pieces(path: str | Path, size: int, limit_seconds: float | None, start: float = 0.0,
               rate: int = SAMPLE_RATE) -> Iterator[np.ndarray]:
    # Keep the source layout and average the channels here: the same mean-of-channels downmix
    # as the soundfile path, and no rematrixing of layouts FFmpeg cannot name.
    resampler = av.AudioResampler(format="fltp", rate=rate)
    first = round(start * rate)
    left = None if limit_seconds is None else round(limit_seconds * rate) - first
    done = 0
    with av.open(str(path)) as container:
        skip: int | None = 0  # samples decoded before `start`, known from the first frame
        if start > 0:
            _av_seek(container, start)
            skip = None
        try:
            for frame in _av_frames(container, size):
                if skip is None and frame is not None:
                    skip = max(0, round((start - _av_time(container, frame)) * rate))
                for out in resampler.resample(frame):
                    mono = out.to_ndarray().mean(axis=0, dtype=np.float32)
                    if skip:
                        dropped, mono = min(skip, len(mono)), mono[skip:]
                        skip -= dropped
                    if left is not None:
                        mono = mono[: max(left - done, 0)]
                    done += len(mono)
                    yield mono
        except av.error.FFmpegError:
            at = (first + done) / rate
            raise CorruptAudioError(
                f"{path} is damaged near {at:.1f} s and cannot be decoded past there."
            ) from None


def _av_seek(container, start: float) -> None:
    """Seek the first audio stream to a point before `start` seconds of decoded audio (whose
    second 0 is the stream's start time), early enough that codecs whose frames overlap (MP3,
    AAC) decode `start` itself cleanly."""
    stream = container.streams.audio[0]
    at = max(0.0, start - _AV_PREROLL)
    container.seek((stream.start_time or 0) + int(at / stream.time_base), stream=stream)


def _av_time(container, frame: av.AudioFrame) -> float:
    """Seconds of decoded audio at this frame's first sample."""
    stream = container.streams.audio[0]
    if frame.pts is None:
        return 0.0
    return float((frame.pts - (stream.start_time or 0)) * frame.time_base)


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
