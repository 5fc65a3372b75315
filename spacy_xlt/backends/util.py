"""Shared by every Hugging Face backend: dtype strings and device specs, checked once."""

from __future__ import annotations

from typing import Iterable, Tuple, Union

from ..errors import Errors, XLTError

#: Accepted dtype strings, in the order error messages list them.
DTYPES = ("float32", "float16", "bfloat16")


def resolve_dtype(dtype: str):
    """The torch dtype for ``"float32"``, ``"float16"`` or ``"bfloat16"``; an error otherwise."""
    import torch

    table = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
    if not isinstance(dtype, str) or dtype not in table:
        raise XLTError(Errors.E180.format(dtype=dtype, options=", ".join(DTYPES)))
    return table[dtype]


def resolve_device(device: Union[str, int, None]):
    """A torch device from "cpu", "cuda", "cuda:N", "mps", an int GPU index or -1 (CPU)."""
    import torch

    if device is None:
        return torch.device("cpu")
    if isinstance(device, bool):
        raise XLTError(Errors.E185.format(device=device))
    if isinstance(device, int):
        return torch.device("cpu") if device < 0 else torch.device("cuda", device)
    if isinstance(device, str):
        text = device.strip()
        if text.lstrip("-").isdigit():
            return resolve_device(int(text))
        try:
            parsed = torch.device(text)
        except (RuntimeError, ValueError):
            raise XLTError(Errors.E185.format(device=device)) from None
        if parsed.type in ("cpu", "cuda", "mps"):
            return parsed
    raise XLTError(Errors.E185.format(device=device))


def check_min_ints(settings: Iterable[Tuple[str, object, int]]) -> None:
    """An error naming the first ``(name, value, low)`` whose value is not an int >= low
    (booleans are not ints here): the batch sizes and lengths every backend takes."""
    for name, value, low in settings:
        if not isinstance(value, int) or isinstance(value, bool) or value < low:
            raise XLTError(Errors.E283.format(name=name, value=value, options=f"an int >= {low}"))
