"""HTML parsers for the reader, side by side: html.parser (the old reader), lxml (libxml2) and selectolax (lexbor).

Each parser drives the same event handler the reader uses (kgbuild.reader.html._HTMLText), so the figures are what
the reader would cost with it: normal news pages, and hostile ones (unclosed tags, deep nesting).

    python bench/bench_html.py            # medians of 5 runs; html.parser is skipped where it would take minutes
    python bench/bench_html.py --runs 3 --slow   # include the slow html.parser cases

Prints one line per (input, parser): median seconds and the ratio to lxml.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from html.parser import HTMLParser

from kgbuild.reader.html import _HTMLText, _parse


def normal_page(paragraphs: int) -> str:
    """A news page as sites serve it: head with metadata and scripts, navigation, the article, asides, footer."""
    para = ("<p>The foreign minister of Osterlich met her counterpart from Latveria in Doomstadt on Thursday, "
            "and the two sides agreed to expand rail links &amp; cut tariffs by <b>2027</b>, officials said.</p>\n")
    nav = "".join(f'<li><a href="/section/{i}">Section {i}</a></li>' for i in range(60))
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>Talks | The Daily Fake</title>"
            "<meta property='article:published_time' content='2026-01-15T09:30:00+01:00'>"
            + "<script>var x = {a: 1, b: [1, 2, 3]};</script>" * 20
            + f"</head><body><header><nav><ul>{nav}</ul></nav></header><main><article><h1>Talks held</h1>"
            + para * paragraphs
            + "<aside><ul>" + "<li><a href='/x'>Related story</a></li>" * 20 + "</ul></aside>"
            + "</article></main><footer>&copy; The Daily Fake</footer></body></html>")


INPUTS: dict[str, tuple[str, bool]] = {  # name: (html, slow for html.parser)
    "normal page 10 KB": (normal_page(15), False),
    "normal page 100 KB": (normal_page(400), False),
    "16,000 unclosed '<a ' (48 KB)": ("<a " * 16_000, True),
    "4,000 unclosed '<a ' (12 KB)": ("<a " * 4_000, False),
    "20,000 nested <div> (100 KB)": ("<div>" * 20_000 + "text", False),
    "50,000 <b><i> (350 KB)": ("<b><i>" * 50_000 + "text", False),
}


class _Stdlib(HTMLParser):
    """html.parser feeding the reader's handler, as the reader did before it moved to lxml."""

    def __init__(self, target: _HTMLText) -> None:
        super().__init__(convert_charrefs=True)
        self.target = target

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.target.start(tag, {k: v or "" for k, v in attrs})

    def handle_endtag(self, tag: str) -> None:
        self.target.end(tag)

    def handle_data(self, data: str) -> None:
        self.target.data(data)


def run_stdlib(text: str) -> _HTMLText:
    target = _HTMLText()
    parser = _Stdlib(target)
    parser.feed(text)
    parser.close()
    target.close()
    return target


def run_lxml(text: str) -> _HTMLText:
    target = _HTMLText()
    _parse(text, target)
    return target


def run_selectolax(text: str) -> _HTMLText:
    from selectolax.lexbor import LexborHTMLParser

    target = _HTMLText()
    root = LexborHTMLParser(text).root
    # Depth-first walk without recursion (nesting may be deep), emitting start/data/end events.
    node = root
    while node is not None:
        if node.tag == "-text":
            target.data(node.text_content or "")
        elif not node.tag.startswith(("-", "!")):
            target.start(node.tag, {k: v or "" for k, v in node.attributes.items()})
        if node.child is not None and not node.tag.startswith("-"):
            node = node.child
            continue
        while node is not None:
            if not node.tag.startswith(("-", "!")):
                target.end(node.tag)
            if node is root:
                node = None
                break
            if node.next is not None:
                node = node.next
                break
            node = node.parent
    target.close()
    return target


PARSERS: dict[str, Callable[[str], _HTMLText]] = {"lxml": run_lxml, "selectolax": run_selectolax,
                                                   "html.parser": run_stdlib}


def median_seconds(fn: Callable[[str], object], text: str, runs: int, cap: float) -> tuple[float, int]:
    times: list[float] = []
    for _ in range(runs):
        start = time.perf_counter()
        fn(text)
        times.append(time.perf_counter() - start)
        if times[-1] > cap:  # one run says enough
            break
    return statistics.median(times), len(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--slow", action="store_true", help="also run html.parser on the inputs it is quadratic on")
    args = ap.parse_args()
    try:
        import selectolax  # noqa: F401
    except ImportError:
        PARSERS.pop("selectolax")
        print("selectolax not installed (pip install selectolax): skipped")
    for name, (text, slow) in INPUTS.items():
        base = None
        for pname, fn in PARSERS.items():
            if pname == "html.parser" and slow and not args.slow:
                print(f"{name:34} {pname:12} skipped (minutes; --slow to run)")
                continue
            seconds, n = median_seconds(fn, text, args.runs, cap=5.0)
            base = base or seconds
            print(f"{name:34} {pname:12} {seconds * 1000:10.1f} ms  x{seconds / base:8.1f} vs lxml  ({n} runs)",
                  flush=True)


if __name__ == "__main__":
    main()
