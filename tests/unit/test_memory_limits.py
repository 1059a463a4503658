import pytest

from grym_desktop.memory.limits import (
    DEFAULT_LIMIT,
    format_size,
    format_sizes,
    parse_size,
    resolve_limit,
)

GiB = 1024**3
MiB = 1024**2


@pytest.mark.parametrize(
    "text, expected",
    [
        ("100MB", 100_000_000),
        ("100MiB", 100 * MiB),
        ("16GiB", 16 * GiB),
        ("16G", 16 * GiB),
        ("16g", 16 * GiB),
        (" 16 gib ", 16 * GiB),
        ("1.5GB", 1_500_000_000),
        ("1.5GiB", 3 * GiB // 2),
        ("2048", 2048),
        ("2048B", 2048),
        ("300mb", 300_000_000),
        ("4k", 4096),
        (2048, 2048),
    ],
)
def test_parse_size_reads_what_people_type(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    "text", ["", "abc", "-1", "0", "0GiB", "1e9", "16XB", "16 GB extra", "GB", None, True, 1.5, -5]
)
def test_parse_size_rejects_what_is_not_a_size_with_one_sentence(text):
    with pytest.raises(ValueError) as info:
        parse_size(text)
    message = str(info.value)
    assert message.endswith(".") and "\n" not in message
    assert repr(text) in message


@pytest.mark.parametrize(
    "n, text",
    [
        (512, "512 B"),
        (512 * MiB, "512 MiB"),
        (int(87.3 * MiB), "87.3 MiB"),
        (int(1.4 * GiB), "1.4 GiB"),
        (16 * GiB, "16 GiB"),
        (12 * MiB, "12 MiB"),
        (3 * 1024, "3 KiB"),
    ],
)
def test_format_size_is_short_and_human(n, text):
    assert format_size(n) == text


@pytest.mark.parametrize("n", [2048, 512 * MiB, 16 * GiB, 3 * GiB // 2, 100 * MiB])
def test_formatted_sizes_parse_back(n):
    assert parse_size(format_size(n).replace(" ", "")) == n


def test_limit_comes_from_cli_then_env_then_setting_then_default(monkeypatch):
    monkeypatch.delenv("GRYM_MEMORY_LIMIT", raising=False)
    assert resolve_limit() == DEFAULT_LIMIT == 16 * GiB
    assert resolve_limit(setting="8GiB") == 8 * GiB
    assert resolve_limit(setting=4 * GiB) == 4 * GiB
    monkeypatch.setenv("GRYM_MEMORY_LIMIT", "2G")
    assert resolve_limit(setting="8GiB") == 2 * GiB
    assert resolve_limit("500MB", setting="8GiB") == 500_000_000
    monkeypatch.setenv("GRYM_MEMORY_LIMIT", "")
    assert resolve_limit(setting="8GiB") == 8 * GiB


def test_a_bad_limit_names_where_it_came_from(monkeypatch):
    monkeypatch.setenv("GRYM_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="GRYM_MEMORY_LIMIT"):
        resolve_limit()
    with pytest.raises(ValueError, match="--memory-limit"):
        resolve_limit("16 gigs")


def test_sizes_in_one_sentence_never_read_alike_when_they_differ():
    gib = 1024**3
    assert format_sizes(gib + 5 * 2**20, gib) == ["1.005 GiB", "1 GiB"]
    assert format_sizes(gib + 60 * 2**20, gib) == ["1.1 GiB", "1 GiB"]
    assert format_sizes(436 * 2**20, 436 * 2**20) == ["436 MiB", "436 MiB"]
    assert format_sizes(gib + 1, gib) == [f"{gib + 1:,} bytes", f"{gib:,} bytes"]
