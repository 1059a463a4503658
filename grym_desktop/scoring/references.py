"""Reference texts for audio files: a manifest (TSV), one plain text file, or NAME.txt files
next to the audio."""

from __future__ import annotations

from pathlib import Path

from grym_desktop.errors import InputError, UsageError

MAX_REFERENCE_BYTES = 50 * 1024 * 1024
# Accepted header names, preferred first.
FILE_COLUMNS = ("file", "path")
TEXT_COLUMNS = ("transcript", "text")


def load_references(reference: Path | None, files: list[str]) -> dict[str, str]:
    """Each audio file (as given) that has a reference -> its text; files without one are absent.

    reference may be a manifest (a .tsv, or any file whose first line is a tab-separated header
    with a file or path column and a transcript or text column), a plain text file that is the
    reference of the one audio file, or None: then NAME.txt next to NAME.wav is its reference.
    """
    if reference is None:
        return _sidecars(files)
    path = Path(reference)
    if not path.exists():
        raise UsageError(f"The reference file {path} does not exist.")
    if not path.is_file():
        raise UsageError(f"The reference {path} is not a file.")
    text = _read(path)
    header = text.split("\n", 1)[0].rstrip("\r").split("\t")
    if path.suffix.lower() == ".tsv" or (_column(header, FILE_COLUMNS) is not None
                                         and _column(header, TEXT_COLUMNS) is not None):
        return _from_manifest(path, text, files)
    if len(files) > 1:
        raise UsageError(f"The plain text reference {path.name} can only be the reference of one "
                         f"audio file, not {len(files)}; give a TSV manifest with file and "
                         "transcript columns.")
    return {files[0]: text.strip()} if files else {}


def _read(path: Path) -> str:
    """The file's text: refused above MAX_REFERENCE_BYTES, UTF-8 only, BOM stripped."""
    try:
        if path.stat().st_size > MAX_REFERENCE_BYTES:
            raise InputError(f"The reference file {path} is larger than "
                             f"{MAX_REFERENCE_BYTES // 2**20} MB, too large for a reference.")
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"The reference file {path} cannot be read: "
                         f"{exc.strerror or exc}.") from exc
    try:
        return data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        raise InputError(f"The reference file {path} is not UTF-8 text "
                         f"(byte {exc.start} cannot be decoded).") from exc


def _sidecars(files: list[str]) -> dict[str, str]:
    out = {}
    for file in files:
        candidate = Path(file).with_suffix(".txt")
        if candidate != Path(file) and candidate.is_file():
            out[file] = _read(candidate).strip()
    return out


def _column(header: list[str], names: tuple[str, ...]) -> int | None:
    lowered = [cell.strip().lower() for cell in header]
    return next((lowered.index(n) for n in names if n in lowered), None)


def _from_manifest(path: Path, text: str, files: list[str]) -> dict[str, str]:
    """Rows of a tab-separated manifest (no quoting) matched to the files by exact path, by path
    relative to the manifest's folder, then by base name. Rows whose `type` column says other
    than speech hold a sound's label, not words, and are skipped."""
    lines = [line for line in text.splitlines() if line.strip()]
    header = lines[0].split("\t") if lines else []
    file_col, text_col = _column(header, FILE_COLUMNS), _column(header, TEXT_COLUMNS)
    if file_col is None or text_col is None:
        has = ", ".join(cell.strip() for cell in header if cell.strip()) or "none"
        raise UsageError(f"The manifest {path} needs a file (or path) column and a transcript "
                         f"(or text) column; its columns are: {has}.")
    type_col = _column(header, ("type",))
    rows: dict[str, str] = {}
    for line in lines[1:]:
        cells = line.split("\t")
        name = cells[file_col].strip() if file_col < len(cells) else ""
        if not name or name in rows:
            continue
        if type_col is not None and type_col < len(cells) and \
                cells[type_col].strip().lower() not in ("", "speech"):
            continue
        rows[name] = cells[text_col].strip() if text_col < len(cells) else ""
    by_place = {_place(path.parent / name): name for name in rows}
    by_base: dict[str, list[str]] = {}
    for name in rows:
        by_base.setdefault(Path(name).name, []).append(name)
    out = {}
    for file in files:
        match = file if file in rows else by_place.get(_place(Path(file)))
        if match is None:
            same_name = by_base.get(Path(file).name, [])
            if len({rows[n] for n in same_name}) > 1:
                raise UsageError(f"The manifest {path.name} has several rows named "
                                 f"{Path(file).name}; give their paths relative to the manifest.")
            match = same_name[0] if same_name else None
        if match is not None:
            out[file] = rows[match]
    return out


def _place(path: Path) -> str:
    """Where a path points, for matching: absolute, symlinks resolved."""
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):
        return str(path.absolute())
