"""Process settings for the long model-running commands (``translate``, ``project``,
``predict``, ``translate-test``).

Beam search in PyTorch on a CPU allocates and frees large buffers at every step; with glibc's
default malloc settings each of them is a fresh ``mmap`` that the kernel zero-fills and the
next ``free`` returns, so translation spends much of its time in page faults (measured: 7.3M
faults and 12 s of kernel time per 32 sentences). Raising glibc's mmap and trim thresholds
keeps those buffers in the heap for reuse. :func:`tune_malloc` does that with ``mallopt``
(it applies to allocations made afterwards, so the commands call it first); it changes
nothing on other C libraries. Set ``SPACY_XLT_MALLOC=default`` to keep glibc's defaults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import platform
from typing import Dict

#: mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD, M_TOP_PAD, M_MMAP_THRESHOLD = -1, -2, -3

#: What :func:`tune_malloc` sets: allocations below 1 GiB come from the heap, which is not
#: trimmed below 1 GiB of free memory, and grows 64 MiB at a time.
SETTINGS: Dict[str, int] = {
    "mmap_threshold": 1 << 30,
    "trim_threshold": 1 << 30,
    "top_pad": 64 << 20,
}
ENV = "SPACY_XLT_MALLOC"

_applied: Dict[str, int] = {}


def tune_malloc(settings: Dict[str, int] = SETTINGS) -> Dict[str, int]:
    """Apply ``settings`` with glibc's ``mallopt``; the settings applied (empty where the C
    library is not glibc, where ``$SPACY_XLT_MALLOC`` is ``default``, or if it fails)."""
    if os.environ.get(ENV, "").strip().lower() in ("default", "off", "0", "no"):
        return {}
    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return {}
    if _applied:
        return dict(_applied)
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return {}
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    codes = {"mmap_threshold": M_MMAP_THRESHOLD, "trim_threshold": M_TRIM_THRESHOLD, "top_pad": M_TOP_PAD}
    for name, value in settings.items():
        if mallopt(codes[name], int(value)) == 1:
            _applied[name] = int(value)
    return dict(_applied)
