"""The hard memory limit: parsing sizes people type and resolving where the limit comes from."""

from __future__ import annotations

import os
import re

DEFAULT_LIMIT = 16 * 1024**3
ENV_VAR = "GRYM_MEMORY_LIMIT"

_SIZE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*(?:([kmgt])(i)?(b)?|b)?\s*", re.IGNORECASE)
_POWERS = {"k": 1, "m": 2, "g": 3, "t": 4}
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def parse_size(text: str | int) -> int:
    """Read a size: "16GiB", "16G" (binary), "1.5GB" (decimal), "800MiB" or "2048" (bytes)."""
    if isinstance(text, int) and not isinstance(text, bool):
        value = text
    else:
        match = _SIZE.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                f"Cannot read {text!r} as a memory size; use a number with an optional unit "
                "such as 16GiB, 16G, 800MB or 2048 (bytes)."
            )
        number, prefix, binary, byte = match.groups()
        if prefix is None:
            multiplier = 1
        elif binary or not byte:  # "16G" means GiB, as in docker -m 16g
            multiplier = 1024 ** _POWERS[prefix.lower()]
        else:
            multiplier = 1000 ** _POWERS[prefix.lower()]
        value = int(float(number) * multiplier)
    if value <= 0:
        raise ValueError(f"A memory size must be larger than zero, not {text!r}.")
    return value


def format_size(n: int, decimals: int = 1) -> str:
    """Format bytes for a person: "512 MiB", "1.4 GiB", "87.3 MiB"."""
    value = float(n)
    for unit in _UNITS:
        if abs(value) < 1024 or unit == _UNITS[-1]:
            break
        value /= 1024
    if unit == "B" or (abs(value) >= 100 and decimals == 1):
        return f"{value:.0f} {unit}"
    text = f"{value:.{decimals}f}".rstrip("0").removesuffix(".")
    return f"{text} {unit}"


def format_sizes(*sizes: int) -> list[str]:
    """The sizes formatted with the fewest decimals that keep different sizes reading
    differently ("1.01 GiB, above the 1 GiB limit", never "1 GiB, above the 1 GiB limit")."""
    for decimals in (1, 2, 3):
        texts = [format_size(n, decimals) for n in sizes]
        if len(set(texts)) == len(set(sizes)):
            return texts
    return [f"{n:,} bytes" for n in sizes]


def resolve_limit(cli_value: str | None = None, setting: str | int | None = None) -> int:
    """The limit in bytes: --memory-limit, then GRYM_MEMORY_LIMIT, then the setting, then 16 GiB."""
    env_value = os.environ.get(ENV_VAR, "").strip() or None
    for value, source in (
        (cli_value, "--memory-limit"),
        (env_value, ENV_VAR),
        (setting, "setting"),
    ):
        if value is None:
            continue
        try:
            return parse_size(value)
        except ValueError as exc:
            raise ValueError(f"{str(exc)[:-1]} (from {source}).") from None
    return DEFAULT_LIMIT
