"""Opening an input file, decompressing it on the fly when its name says it is gzipped, up to a cap.

The cap bounds what a small file can make us read (a gzip bomb: a few kilobytes that inflate to gigabytes).
"""

from __future__ import annotations

import gzip
import io
import os
import stat
from pathlib import Path
from typing import BinaryIO

# Decompressed bytes one gzipped file may give; a corpus dump of a few hundred thousand articles stays below it.
DEFAULT_MAX_DECOMPRESSED = 4 * 2**30


class TooLarge(OSError):
    """The decompressed data passed the cap; the message is one line for the user."""


class NotRegular(OSError):
    """A named pipe, device or socket: reading it could block for ever or never end."""


class _Capped(io.RawIOBase):
    def __init__(self, raw: BinaryIO, cap: int) -> None:
        self._raw, self._cap, self._seen = raw, cap, 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = self._raw.readinto(buffer)  # type: ignore[attr-defined]
        self._seen += n or 0
        if self._seen > self._cap:
            raise TooLarge(f"more than {self._cap:,} bytes once decompressed (the cap, --max-decompressed); "
                           "the rest of the file is not read")
        return n

    def close(self) -> None:
        self._raw.close()
        super().close()


def open_input(path: Path, gz: bool, max_decompressed: int = DEFAULT_MAX_DECOMPRESSED) -> BinaryIO:
    """The file's bytes (decompressed when gz). Raises NotRegular for anything but a regular file: it is opened
    without blocking and checked after opening, so a named pipe cannot hang the build (not even one put in place
    of a file between a folder listing and the open)."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except OSError:
        if _is_socket(path):  # a socket cannot be opened at all (ENXIO): it is not a file, like a named pipe
            raise NotRegular(f"{path}: not a regular file") from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise NotRegular(f"{path}: not a regular file")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        raw = open(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    if not gz:
        return raw
    return io.BufferedReader(_Capped(gzip.GzipFile(fileobj=raw, mode="rb"), max_decompressed))  # type: ignore[arg-type,return-value]


def _is_socket(path: Path) -> bool:
    try:
        return stat.S_ISSOCK(os.stat(path).st_mode)
    except OSError:
        return False
