"""What a batch transcribes: the audio and video files named by files, folders, globs and
manifests, each problem with them said in one sentence.

A file is taken when its extension is one the app decodes or its first bytes are those of an
audio or video container; whether it really decodes is found out when it is transcribed (a
text file named .wav is taken here and fails there, with its own sentence). Hidden files and
folders are skipped, symlinked folders are followed but never into a loop, and the search
stops after MAX_ENTRIES folder entries and manifest lines, saying so.
"""

from __future__ import annotations

import csv
import fnmatch
import io
import os
import stat
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from grym_desktop.paths import file_digest

# What the app decodes (audio/decode.py: libsndfile, then FFmpeg through PyAV), by name; the
# window's file dialog offers the same (ui/drop_zone.py MEDIA_FILTER). Headerless .raw/.pcm
# decode too but are left out: any binary file could be one.
AUDIO_EXTENSIONS = frozenset({
    ".wav", ".flac", ".mp3", ".ogg", ".oga", ".opus", ".m4a", ".aac", ".wma", ".aiff", ".aif",
    ".aifc", ".mp2", ".mpga", ".caf", ".au", ".amr", ".wv", ".ape", ".m4b", ".mka", ".w64",
    ".rf64",
})
VIDEO_EXTENSIONS = frozenset({
    ".mp4", ".mkv", ".mov", ".webm", ".avi", ".m4v", ".wmv", ".flv", ".3gp", ".mpg", ".mpeg",
})
MEDIA_EXTENSIONS = AUDIO_EXTENSIONS | VIDEO_EXTENSIONS
LIST_EXTENSIONS = frozenset({".txt", ".lst", ".m3u", ".m3u8"})  # one path a line
TABLE_EXTENSIONS = {".tsv": "\t", ".csv": ","}  # a header with a path or file column
MANIFEST_EXTENSIONS = LIST_EXTENSIONS | frozenset(TABLE_EXTENSIONS)
MANIFEST_LIMIT_BYTES = 50 * 1000 * 1000
MAX_ENTRIES = 1_000_000  # folder entries, glob candidates and manifest lines, over all sources
SNIFF_BYTES = 64
PATH_COLUMNS = ("path", "file")

# Leading bytes of containers whose form needs no second look (RIFF, FORM and ftyp do).
_MAGIC = (
    b"fLaC", b"OggS", b"ID3", b"\x1aE\xdf\xa3",  # FLAC, Ogg, MP3 tag, EBML (MKV, WebM)
    b"RF64", b"BW64", b"caff", b".snd", b"0&\xb2u", b"FLV", b"#!AMR", b"MAC ", b"wvpk",
)
_RIFF_FORMS = (b"WAVE", b"AVI ")  # not WEBP, an image
_FORM_FORMS = (b"AIFF", b"AIFC")
# ISO media brands of still images: the rest (isom, mp42, M4A , qt  ...) are audio or video.
_IMAGE_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1",
                 b"avif", b"avis", b"crx ", b"jpx ", b"jp2 ")
_WINDOWS_HIDDEN = stat.FILE_ATTRIBUTE_HIDDEN if sys.platform == "win32" else 0


@dataclass
class Found:
    """The files to transcribe (absolute, each once) and one sentence per problem met."""

    files: list[Path] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class _Cut(Exception):
    """MAX_ENTRIES were looked at: the search stops."""


def find_sources(sources: list[str]) -> Found:
    """The audio and video files of each SOURCE, in the order the sources are given.

    A SOURCE is a file, a folder (searched recursively), a glob (`*`, `?`, `[…]`, `**` for
    any depth) or a manifest (.txt/.lst/.m3u: one path a line, blank lines and # comments
    skipped; .tsv/.csv: a header with a `path` or `file` column), whose relative paths are
    relative to the manifest. A path that exists is never read as a glob. Files are sorted
    within a folder or glob and kept in their order within a manifest; a file named twice
    (or through a symlink) is kept where it first appears.
    """
    search = _Search()
    for source in sources:
        try:
            search.source(str(source), Path.cwd(), "")
        except _Cut:
            search.found.problems.append(
                f"Stopped after looking at {MAX_ENTRIES:,} folder entries and manifest lines: "
                f"{source} and the sources after it were not searched in full.")
            break
    return search.found


def content_hash(path: Path) -> str:
    """The SHA-256 of a file (hex), read in 1 MiB blocks: what the ledger knows a file by."""
    return file_digest(path)


def is_media_name(path: Path) -> bool:
    """Whether a file's extension is one of an audio or video file the app decodes."""
    return Path(path).suffix.lower() in MEDIA_EXTENSIONS


def sniffs_as_media(head: bytes) -> bool:
    """Whether a file's first bytes are those of an audio or video container."""
    if head.startswith(_MAGIC):
        return True
    if head[:4] == b"RIFF":
        return head[8:12] in _RIFF_FORMS
    if head[:4] == b"FORM":
        return head[8:12] in _FORM_FORMS
    if head[4:8] == b"ftyp":
        return head[8:12] not in _IMAGE_BRANDS
    return _is_mpeg_frame(head)


def _is_mpeg_frame(head: bytes) -> bool:
    """An MPEG audio frame header (MP1/2/3) or an ADTS (AAC) one, checked beyond the sync bits
    so that other binary files rarely pass."""
    if len(head) < 4 or head[0] != 0xFF or head[1] & 0xE0 != 0xE0:
        return False
    if head[1] & 0xF6 == 0xF0:  # ADTS: MPEG version bit, layer 00
        return (head[2] >> 2) & 0x0F < 13  # sampling frequency index
    version, layer = (head[1] >> 3) & 3, (head[1] >> 1) & 3
    bitrate, rate = head[2] >> 4, (head[2] >> 2) & 3
    return version != 1 and layer != 0 and bitrate != 0x0F and rate != 3


def _is_hidden(entry: os.DirEntry) -> bool:
    if entry.name.startswith("."):
        return True
    if not _WINDOWS_HIDDEN:
        return False
    try:
        return bool(entry.stat(follow_symlinks=False).st_file_attributes & _WINDOWS_HIDDEN)
    except OSError:
        return False


def _has_magic(text: str) -> bool:
    return any(c in text for c in "*?[")


def _real(path: Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def _reason(exc: OSError) -> str:
    return (exc.strerror or str(exc)).lower()


class _Search:
    """One call of find_sources: what was found, what went wrong, how much was looked at."""

    def __init__(self) -> None:
        self.found = Found()
        self.seen: set[str] = set()  # real paths of the files taken
        self.entries = 0
        self.manifests: set[str] = set()  # real paths of the manifests being read
        self.walked: set[str] = set()  # real paths of folders taken whole by a glob

    def count(self, n: int = 1) -> None:
        self.entries += n
        if self.entries > MAX_ENTRIES:
            raise _Cut

    def take(self, paths: list[Path]) -> None:
        for path in paths:
            key = _real(path)
            if key not in self.seen:
                self.seen.add(key)
                self.found.files.append(path)

    def problem(self, sentence: str, where: str) -> None:
        if where:
            sentence = f"{sentence[:-1]} ({where})."
        self.found.problems.append(sentence)

    # --- one source -----------------------------------------------------------------------

    def source(self, text: str, base: Path, where: str) -> None:
        """Take one source, relative paths from base; `where` names a manifest line."""
        path = Path(os.path.abspath(base / os.path.expanduser(text)))
        if path.is_dir():
            problems = len(self.found.problems)
            if not self.take_folder(path, where) and len(self.found.problems) == problems:
                self.problem(f"The folder {path} holds no audio or video files.", where)
        elif path.is_file():
            self.file(path, where)
        elif os.path.lexists(path) and not path.exists():
            self.problem(f"{path} is a link to something that does not exist.", where)
        elif path.exists():
            self.problem(f"{path} is not a file or a folder.", where)
        elif _has_magic(text):
            self.glob(text, base, where)
        else:
            self.problem(f"{path} does not exist.", where)

    def file(self, path: Path, where: str) -> None:
        suffix = path.suffix.lower()
        if suffix in MEDIA_EXTENSIONS:
            self.take([path])
        elif suffix in MANIFEST_EXTENSIONS:
            self.manifest(path, where)
        else:
            try:
                media = self.sniff(path)
            except OSError as exc:
                self.problem(f"{path} cannot be read ({_reason(exc)}).", where)
                return
            if media:
                self.take([path])
            else:
                self.problem(f"{path} is not an audio or video file (neither its name nor its "
                             "first bytes are those of one).", where)

    @staticmethod
    def sniff(path: Path) -> bool:
        with open(path, "rb") as f:
            return sniffs_as_media(f.read(SNIFF_BYTES))

    def media(self, path: Path) -> bool:
        """A file found in a folder or by a glob: media by name or first bytes; an unreadable
        file of an unknown kind is passed over like any file that is not media."""
        if is_media_name(path):
            return True
        try:
            return self.sniff(path)
        except OSError:
            return False

    # --- folders and globs ----------------------------------------------------------------

    def take_folder(self, root: Path, where: str) -> bool:
        """Take the media files under root, sorted (those found so far if the search is cut);
        whether there were any."""
        files: list[Path] = []
        try:
            self.walk(root, where, set(), files)
        finally:
            self.take(sorted(files, key=lambda p: p.parts))
        return bool(files)

    def walk(self, root: Path, where: str, visited: set[str], files: list[Path]) -> None:
        """Add the media files under root to files; each real folder in visited is read once
        (a symlinked folder is followed, never into a loop)."""
        stack = [root]
        while stack:
            folder = stack.pop()
            key = _real(folder)
            if key in visited:
                continue
            visited.add(key)
            entries = self.listing(folder, where)
            for entry in entries:
                if _is_hidden(entry):
                    continue
                path = folder / entry.name
                try:
                    if entry.is_dir():
                        stack.append(path)
                    elif entry.is_file() and self.media(path):
                        files.append(path)
                except OSError:
                    continue

    def glob(self, text: str, base: Path, where: str) -> None:
        """Take the media files a glob matches, sorted; a folder it matches is taken whole."""
        parts = Path(os.path.expanduser(text)).parts
        first = next(i for i, part in enumerate(parts) if _has_magic(part))
        root = Path(os.path.abspath(base.joinpath(*parts[:first])))
        pattern = root.joinpath(*parts[first:])
        files: list[Path] = []
        matched = covered = False
        try:
            for path in sorted(self.matches(root, parts[first:], frozenset(), where),
                               key=lambda p: p.parts):
                matched = True
                if path.is_dir():
                    covered |= _real(path) in self.walked  # under a folder a glob took whole
                    self.walk(path, where, self.walked, files)
                elif path.is_file() and self.media(path):
                    files.append(path)
        finally:
            self.take(sorted(set(files), key=lambda p: p.parts))
        if not matched:
            self.problem(f"No file or folder matches {pattern}.", where)
        elif not files and not covered:
            self.problem(f"{pattern} matches no audio or video file.", where)

    def matches(self, folder: Path, pats: tuple[str, ...], chain: frozenset[str], where: str
                ) -> Iterator[Path]:
        """Paths under folder matching the pattern components `pats` (`**`: any depth, never
        round a symlink loop); a name starting with a dot matches only a component starting
        with one."""
        if not pats:
            yield folder
            return
        pat, rest = pats[0], pats[1:]
        if pat == "**":
            key = _real(folder)
            if key in chain:
                return
            yield from self.matches(folder, rest, chain, where)
            for entry in self.listing(folder, where):
                if not _is_hidden(entry) and _is_dir(entry):
                    yield from self.matches(folder / entry.name, pats, chain | {key}, where)
        elif _has_magic(pat):
            for entry in self.listing(folder, where):
                if (entry.name.startswith(".") or _is_hidden(entry)) and not pat.startswith("."):
                    continue
                if fnmatch.fnmatch(entry.name, pat) and (not rest or _is_dir(entry)):
                    yield from self.matches(folder / entry.name, rest, chain, where)
        else:
            path = folder / pat
            if (path.is_dir() if rest else os.path.lexists(path)):
                yield from self.matches(path, rest, chain, where)

    def listing(self, folder: Path, where: str) -> list[os.DirEntry]:
        """A folder's entries, counted; an unreadable folder is a problem and has none."""
        try:
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError as exc:
            self.problem(f"The folder {folder} cannot be read ({_reason(exc)}); the files in "
                         "it were left out.", where)
            return []
        self.count(len(entries))
        return entries

    # --- manifests ------------------------------------------------------------------------

    def manifest(self, path: Path, where: str) -> None:
        """Each path a manifest lists, taken as a source relative to the manifest's folder."""
        key = _real(path)
        if key in self.manifests:
            self.problem(f"The manifest {path} lists itself, directly or through another "
                         "manifest; it was read once.", where)
            return
        text = self.manifest_text(path, where)
        if text is None:
            return
        self.manifests.add(key)
        try:
            for line, entry in self.manifest_entries(path, text, where):
                self.count()
                here = f"line {line} of {path}"
                if entry.lower().startswith("file://"):
                    entry = unquote(urlparse(entry).path)
                elif "://" in entry:
                    self.problem(f"{entry} is not a local file; only local files can be "
                                 "transcribed.", here)
                    continue
                self.source(entry, path.parent, here)
        finally:
            self.manifests.discard(key)

    def manifest_text(self, path: Path, where: str) -> str | None:
        try:
            size = path.stat().st_size
            if size > MANIFEST_LIMIT_BYTES:
                self.problem(f"The manifest {path} is {size / 1e6:,.0f} MB, above the "
                             f"{MANIFEST_LIMIT_BYTES // 1_000_000} MB a manifest may be; split "
                             "it into smaller ones.", where)
                return None
            return path.read_bytes().decode("utf-8-sig")
        except OSError as exc:
            self.problem(f"The manifest {path} cannot be read ({_reason(exc)}).", where)
        except UnicodeDecodeError as exc:
            self.problem(f"The manifest {path} is not UTF-8 text (byte {exc.start + 1} is "
                         "not).", where)
        return None

    def manifest_entries(self, path: Path, text: str, where: str
                         ) -> Iterator[tuple[int, str]]:
        """(line number, path) of each entry: the lines of a list, the column of a table."""
        delimiter = TABLE_EXTENSIONS.get(path.suffix.lower())
        if delimiter is None:
            for number, line in enumerate(text.splitlines(), 1):
                line = line.strip()
                if line and not line.startswith("#"):
                    yield number, line
            return
        rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        header = [cell.strip().lower() for cell in next(rows, [])]
        column = next((header.index(c) for c in PATH_COLUMNS if c in header), None)
        if column is None:
            self.problem(f"The manifest {path} has no 'path' or 'file' column in its first "
                         "line.", where)
            return
        for row in rows:
            cell = row[column].strip() if column < len(row) else ""
            if cell and not cell.startswith("#"):
                yield rows.line_num, cell


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False
