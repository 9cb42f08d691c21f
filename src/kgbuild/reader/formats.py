"""Which reader a file goes to: by its name, else by a look at its first characters."""

from __future__ import annotations

import os
from pathlib import Path

# What a folder walk picks up; an explicit path with another extension is still read (sniffed, default text).
FOLDER_EXTENSIONS = (".txt", ".text", ".html", ".htm", ".json", ".jsonl", ".ndjson", ".jsonl.gz", ".ndjson.gz")

KINDS = {".txt": "text", ".text": "text", ".html": "html", ".htm": "html", ".json": "json", ".jsonl": "jsonl",
         ".ndjson": "jsonl"}


def kind_of(path: Path) -> tuple[str | None, bool]:
    """(format, gzipped) from the file name; format None for an unknown extension."""
    name = path.name.lower()
    gz = name.endswith(".gz")
    if gz:
        name = name[:-3]
    return KINDS.get(os.path.splitext(name)[1]), gz


def sniff(text: str) -> str:
    head = text.lstrip("\ufeff \t\r\n")[:200].lower()
    if head.startswith("{"):
        return "jsonl"
    if head.startswith(("<!doctype html", "<html", "<head", "<body", "<article")):
        return "html"
    return "text"


def file_byte_limit(max_chars: int) -> int:
    # Whole-file formats are read into memory; HTML markup and multi-page files make a file longer than one article.
    return max(64 * 2**20, 16 * max_chars)
