"""Process-wide memory policy, set once at start-up by `python -m bot` (and by the matcher
benchmark, so that it measures what the bot runs)."""

from __future__ import annotations

import ctypes
import ctypes.util
import sys

_M_MMAP_THRESHOLD = -3  # glibc's mallopt() parameter number
MMAP_THRESHOLD = 4 << 20


def give_back_large_blocks() -> bool:
    """Serve every allocation of 4 MiB or more from its own mapping, returned to the system
    as soon as it is freed. True when the setting took (glibc); elsewhere nothing changes.

    Building the matcher's index makes numpy temporaries of tens of MB. glibc maps such
    blocks at first, but the first time one is freed it raises its threshold (up to 32 MiB)
    and carves later ones from the heap, where freed memory stays resident: at 10,000
    entries the process kept about 100 MB it no longer used, and every reload of the
    knowledge base could add more. A fixed threshold turns that adjustment off. It is not
    lower because a question's score arrays (2 MB at 10,000 entries) would then be mapped
    and faulted in afresh on every question: p99 latency rose by a quarter at 1 MiB.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):  # not glibc (musl has no mallopt)
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD))
