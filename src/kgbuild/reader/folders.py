"""Folders: walked recursively in sorted order, hidden files skipped, only the known extensions."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

from ..records import InputError
from .articles import Result
from .files import guard, read_file
from .formats import FOLDER_EXTENSIONS, kind_of


def read_folder(folder: Path, max_chars: int, max_decompressed: int) -> Iterator[Result]:
    errors: list[OSError] = []
    found: list[tuple[tuple[str, ...], Path]] = []
    for root, dirs, files in os.walk(folder, onerror=errors.append):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            path = Path(root, name)
            if not name.startswith(".") and kind_of(path)[0] is not None:
                found.append((path.relative_to(folder).parts, path))
    for error in errors:
        yield InputError(str(error.filename or folder), f"cannot list folder: {error.strerror or error}")
    if not found and not errors:
        yield InputError(str(folder), f"no input files in folder (looked for {', '.join(FOLDER_EXTENSIONS)})")
    for _, path in sorted(found):
        yield from guard(str(path), lambda p=path: read_file(p, max_chars, False, max_decompressed))
