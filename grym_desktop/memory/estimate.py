"""Footprint estimates from the model files themselves, before any weight is read."""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from pathlib import Path

from grym_desktop.errors import ModelMissingError


@dataclass
class Estimate:
    model_id: str
    precision: str
    params: int
    weights_bytes: int
    working_bytes: int
    # Of the working memory: an audio-language model's key/value cache for this many tokens.
    cache_bytes: int = 0
    cache_tokens: int = 0

    @property
    def total_bytes(self) -> int:
        return self.weights_bytes + self.working_bytes


@dataclass
class Variable:
    name: str
    shape: tuple[int, ...]
    dtype: str
    nbytes: int  # size of the data as stored in the file
    offset: int  # where the data starts in the file


# Item sizes in the order of CTranslate2's DataType enum (include/ctranslate2/types.h): type ids.
_ITEM_SIZE = {"float32": 4, "int8": 1, "int16": 2, "int32": 4, "float16": 2, "bfloat16": 2}
_CT2_DTYPES = tuple(_ITEM_SIZE)
_CT2_MAX_VERSION = 6
# Bytes per value of the weights CTranslate2 quantizes, the kind of scale it keeps for them, and
# bytes per value of every other float variable, per compute type.
_CT2_PRECISIONS = {
    "float32": (4, None, 4),
    "int8": (1, "row", 4),
    "int8_float32": (1, "row", 4),
    "int8_float16": (1, "row", 2),
    "int8_bfloat16": (1, "row", 2),
    "int16": (2, "tensor", 4),
    "float16": (2, None, 2),
    "bfloat16": (2, None, 2),
}


def read_ctranslate2_variables(model_bin: Path) -> list[Variable]:
    """Read the variable table of a CTranslate2 model.bin, seeking past the weights themselves.

    Layout as written by ctranslate2/specs/model_spec.py and read by src/models/model.cc.
    """
    model_bin = Path(model_bin)
    try:
        size = model_bin.stat().st_size
        with open(model_bin, "rb", buffering=0) as f:  # small reads, no 8 KiB refill per seek
            return _read_variables(f, size, model_bin)
    except FileNotFoundError:
        raise ModelMissingError(f"The model file {model_bin} does not exist.") from None
    except (struct.error, UnicodeDecodeError):
        raise ModelMissingError(
            f"The model file {model_bin} is truncated or is not a CTranslate2 model."
        ) from None
    except OSError as exc:
        raise ModelMissingError(
            f"Cannot read the model file {model_bin}: {exc.strerror}."
        ) from None


def _read_variables(f, size: int, path: Path) -> list[Variable]:
    def value(fmt: str):
        return struct.unpack(fmt, f.read(struct.calcsize(fmt)))[0]

    def string() -> str:
        length = value("<H")
        data = f.read(length)
        if len(data) != length:
            raise struct.error("short string")
        return data.split(b"\0", 1)[0].decode("utf-8")

    def garbage(what: str) -> ModelMissingError:
        return ModelMissingError(f"The model file {path} is not a CTranslate2 model ({what}).")

    version = value("<I")
    if not 1 <= version <= _CT2_MAX_VERSION:
        raise garbage(f"format version {version}")
    if version < 4:
        raise ModelMissingError(
            f"The model file {path} uses the old CTranslate2 format {version}; "
            "convert the model again with a current CTranslate2."
        )
    string()  # spec name
    value("<I")  # spec revision
    count = value("<I")
    if count * 8 > size:
        raise garbage(f"{count} variables in {size} bytes")
    variables = []
    for _ in range(count):
        name = string()
        rank = value("<B")
        shape = struct.unpack(f"<{rank}I", f.read(4 * rank))
        type_id, nbytes = value("<B"), value("<I")
        if type_id >= len(_CT2_DTYPES):
            raise garbage(f"unknown data type {type_id} for {name}")
        dtype = _CT2_DTYPES[type_id]
        if nbytes != math.prod(shape) * _ITEM_SIZE[dtype]:
            raise garbage(f"{nbytes} bytes for {name} of shape {shape}")
        offset = f.tell()
        if not name or offset + nbytes > size:
            raise struct.error("variable past the end")
        variables.append(Variable(name, shape, dtype, nbytes, offset))
        f.seek(nbytes, 1)
    return variables


def estimate_ctranslate2(
    model_id: str, model_dir: Path, precision: str, working_bytes: int
) -> Estimate:
    """Weights as CTranslate2 holds them at this compute type, plus the engine's working memory.

    CTranslate2 quantizes the "...weight" matrices of linear, embedding and conv layers (rank >= 2)
    and keeps a float32 scale per output row (int8) or per tensor (int16); other float variables
    take the float size of the compute type, integer variables stay as stored.
    """
    if precision not in _CT2_PRECISIONS:
        raise ValueError(
            f"Unknown CTranslate2 precision {precision!r}; use one of {', '.join(_CT2_PRECISIONS)}."
        )
    quantized_size, scale, float_size = _CT2_PRECISIONS[precision]
    model_bin = Path(model_dir) / "model.bin"
    if not model_bin.is_file():
        raise ModelMissingError(f"The model {model_id} has no model.bin in {model_dir}.")
    params = weights = 0
    for var in read_ctranslate2_variables(model_bin):
        if var.name.endswith("weight_scale"):
            continue  # a stored quantization scale: counted with its weight below
        values = math.prod(var.shape)
        if var.shape:
            params += values
        if var.name.endswith("weight") and len(var.shape) >= 2:
            weights += values * quantized_size
            weights += {"row": 4 * var.shape[0], "tensor": 4, None: 0}[scale]
        elif var.dtype in ("float32", "float16", "bfloat16"):
            weights += values * float_size
        else:
            weights += var.nbytes
    return Estimate(model_id, precision, params, weights, working_bytes)
