"""Opening an input file, decompressing it on the fly when its name says it is gzipped."""

from __future__ import annotations

import gzip
from pathlib import Path
from typing import BinaryIO


def open_input(path: Path, gz: bool) -> BinaryIO:
    return gzip.open(path, "rb") if gz else open(path, "rb")  # type: ignore[return-value]
