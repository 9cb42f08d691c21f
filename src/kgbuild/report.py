"""The report of rejected articles, written as the build goes (one JSON object a line), never kept in memory.

It is written to a temporary file beside its destination and moved into place when complete: a build that fails
(a full disk) leaves no half-written report, and a reader never sees one.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import IO


def _json(text: str | None) -> str:
    return "null" if text is None else _string(text)


_string = json.encoder.encode_basestring_ascii  # what json.dumps uses for a string (C)


class RejectionReport:
    """Append rejections with `add`; `commit` moves the file into place, `discard` removes it. No rejection, no
    file (and an older report at the destination is left as it is). Used as a context manager, a report not
    committed when the block ends (an error, an interrupt) is discarded."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.partial = path.with_name(f".{path.name}.partial")
        self.count = 0
        self._fh: IO[str] | None = None

    def add(self, source: str, reason: str | None, report: str | None = None) -> None:
        if self._fh is None:
            self._fh = self.partial.open("w", encoding="utf-8")
        # json.dumps of the three-key object, written out: it was most of the cost of a rejected record
        self._fh.write(f'{{"source": {_json(source)}, "reason": {_json(reason)}, "report": {_json(report)}}}\n')
        self.count += 1

    def commit(self) -> Path | None:
        """Move the report into place; its path, or None when there was nothing to report."""
        if self._fh is None:
            return None
        fh, self._fh = self._fh, None
        try:
            fh.close()  # flushes: a full disk shows here
            os.replace(self.partial, self.path)
        except OSError:
            _unlink(self.partial)
            raise
        return self.path

    def __enter__(self) -> RejectionReport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.discard()

    def discard(self) -> None:
        if self._fh is not None:
            fh, self._fh = self._fh, None
            try:
                fh.close()
            except OSError:
                pass
            _unlink(self.partial)


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass
