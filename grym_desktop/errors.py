"""Typed errors shared by the core, the command line and the window.

Each error carries the command line exit code of the architecture page and a
message that is one clear sentence for a person.
"""

from __future__ import annotations


class GrymError(Exception):
    """Base of every error the app reports to a user."""

    exit_code = 1


class InputError(GrymError):
    """Audio input that cannot be used (exit code 3)."""

    exit_code = 3


class MissingFileError(InputError):
    pass


class EmptyFileError(InputError):
    pass


class NotAudioError(InputError):
    pass


class CorruptAudioError(InputError):
    pass


class ZeroLengthAudioError(InputError):
    pass


class UnsupportedCodecError(InputError):
    pass


class MemoryRefusedError(GrymError):
    """A model load refused by the memory guard, before any byte was read (exit code 4)."""

    exit_code = 4


class MemoryLimitExceededError(GrymError):
    """The watchdog killed the model host because it went above the limit."""

    exit_code = 4


class ModelMissingError(GrymError):
    """A model whose files are missing or fail verification (exit code 5)."""

    exit_code = 5


class HostDiedError(GrymError):
    """The model host process exited while it was working."""


class HostTimeoutError(GrymError):
    """The model host did not answer in time."""


class ProtocolError(GrymError):
    """A message between the app and its model host was not what the protocol allows."""


class TaskCancelledError(GrymError):
    """The user cancelled the task."""


class UsageError(GrymError):
    exit_code = 2


class SearchQueryError(GrymError):
    """A library search that cannot be read: empty, or not valid FTS5 syntax (exit code 3)."""

    exit_code = 3


_BY_NAME = {
    cls.__name__: cls
    for cls in (
        GrymError,
        InputError,
        MissingFileError,
        EmptyFileError,
        NotAudioError,
        CorruptAudioError,
        ZeroLengthAudioError,
        UnsupportedCodecError,
        MemoryRefusedError,
        MemoryLimitExceededError,
        ModelMissingError,
        HostDiedError,
        HostTimeoutError,
        ProtocolError,
        TaskCancelledError,
        UsageError,
        SearchQueryError,
    )
}


def error_from_reply(type_name: str, message: str) -> GrymError:
    """Rebuild a typed error from a host reply; unknown types become GrymError."""
    return error_class(type_name)(message)


def error_class(type_name: str) -> type[GrymError]:
    """The error class of this name (events carry names, not classes); GrymError if unknown."""
    return _BY_NAME.get(type_name, GrymError)
