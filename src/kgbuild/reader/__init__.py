"""Read news articles from files, folders and stdin into normalised `Article` records.

Inputs: scraped news pages as plain text (one file may hold several pages), plain text, HTML, JSON (one object or a
list), JSON Lines (optionally gzipped) and stdin ("-"). Bad input never raises: it comes out as an `InputError`
record naming the file (and line) and the batch goes on.

The normalised text (`Article.text`, the base of every character offset later on) is
`headline + "\\n\\n" + body`, see `normalise_text`.

One module per job: formats (which reader), decode (bytes to text), compressed, files, folders, pages (scraped
pages and plain text), html, json_records, dates, normalise, articles (the record itself).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from ..records import Article, InputError
from .articles import DEFAULT_MAX_CHARS
from .compressed import DEFAULT_MAX_DECOMPRESSED
from .dates import parse_date
from .files import STDIN_SOURCE, guard, read_file, read_stdin
from .folders import read_folder
from .formats import FOLDER_EXTENSIONS
from .normalise import normalise_text

__all__ = ["DEFAULT_MAX_CHARS", "DEFAULT_MAX_DECOMPRESSED", "FOLDER_EXTENSIONS", "normalise_text", "parse_date", "read"]


def read(
    inputs: Iterable[str | Path] | str | Path,
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    stdin: TextIO | None = None,
    max_decompressed: int = DEFAULT_MAX_DECOMPRESSED,
) -> Iterator[Article | InputError]:
    """Yield one `Article` per article found in `inputs`, and one `InputError` per bad file, line or record.

    Inputs are files, folders (walked recursively in sorted order, hidden files skipped, only FOLDER_EXTENSIONS)
    or "-" for stdin (JSON Lines when it starts with "{", HTML when it starts with a tag, else text).
    Articles whose normalised text is longer than `max_chars` characters are rejected; a gzipped file is read up
    to `max_decompressed` bytes. A named pipe, device or socket is an error when named, and skipped (a `Skipped`
    record, a warning) when met in a folder.
    """
    if isinstance(inputs, (str, Path)):  # a lone path is a common slip; do not iterate its characters
        inputs = [inputs]
    for item in inputs:
        if str(item) == "-":
            yield from guard(STDIN_SOURCE, lambda: read_stdin(stdin, max_chars))
            continue
        path = Path(item)
        if path.is_dir():
            yield from read_folder(path, max_chars, max_decompressed)
        elif path.exists():
            yield from guard(str(path), lambda p=path: read_file(p, max_chars, True, max_decompressed))
        else:
            yield InputError(str(path), "no such file or folder")
