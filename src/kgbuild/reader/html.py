"""HTML pages: the main text (the largest <article>, else <main>, else the body minus chrome) and the metadata."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from lxml import etree

from .articles import Result, make_article
from .dates import dateline_in, parse_date
from .normalise import collapse, replace_surrogates

_SKIP_TAGS = {"script", "style", "nav", "header", "footer", "aside", "noscript", "template", "head", "title", "form",
              "button", "select", "svg", "iframe", "figcaption", "object"}
_BLOCK_TAGS = {"p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "dl",
               "dt", "dd", "blockquote", "pre", "table", "tr", "hr", "address", "figure", "details", "summary",
               "body", "html", "center", "tbody", "thead", "tfoot", "caption"} | _SKIP_TAGS
_VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source", "track",
              "wbr"}
_DATE_METAS = ("article:published_time", "og:published_time", "datepublished", "pubdate", "publishdate", "date",
               "dc.date", "dc.date.issued", "dcterms.created", "parsely-pub-date", "sailthru.date")


@dataclass
class _Block:
    text: str
    article: int | None
    main: bool


class _HTMLText:
    """Collects text blocks with the containers (article, main, skipped chrome) they sit in, and the page metadata.

    The events come from libxml2's HTML parser (lxml's parser-target interface), which is linear in its input
    where html.parser is quadratic on unclosed tags (bench/bench_html.py). It already balances the elements; the
    stack below still treats an end tag as closing the innermost open element of its name and anything left open
    inside it, and ignores an end tag with nothing of its name open.
    """

    def __init__(self) -> None:
        self.stack: list[tuple[str, bool, bool, bool]] = []  # tag, skips, is main, is article
        self.open: dict[str, int] = {}
        self.skip = 0
        self.main = 0
        self.articles: list[int] = []  # ids of the open <article> elements
        self.article_count = 0
        self.pieces: list[str | None] = []  # text pieces of the current block; None is a <br>
        self.blocks: list[_Block] = []
        self.h1: list[str] | None = None  # text of the <h1> being read
        self.h1s: list[_Block] = []  # every <h1>, with where it sits: the headline is the main text's own
        self.title: list[str] = []
        self.in_title = False
        self.meta: dict[str, str] = {}
        self.times: list[str] = []
        self.url: str | None = None

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        values = {k.lower(): (v or "") for k, v in attrs.items()}
        if tag == "meta":
            name = (values.get("property") or values.get("name") or values.get("itemprop") or "").lower()
            if name and values.get("content") and name not in self.meta:
                self.meta[name] = values["content"]
        elif tag == "link" and "canonical" in values.get("rel", "").lower().split() and values.get("href"):
            self.url = self.url or values["href"]
        elif tag == "time" and values.get("datetime"):
            if values.get("itemprop", "").lower() == "datepublished":
                self.meta.setdefault("datepublished", values["datetime"])
            self.times.append(values["datetime"])
        elif tag == "title":
            self.in_title = True
        elif tag == "h1" and self.h1 is None:
            self.h1 = []
        if tag == "br":
            self.pieces.append(None)
            return
        if tag in ("td", "th"):
            self.pieces.append(" ")
        if tag in _BLOCK_TAGS:
            self._flush()
        if tag in _VOID_TAGS:
            return
        skips = tag in _SKIP_TAGS
        is_main = tag == "main" or values.get("role", "").lower() == "main"
        is_article = tag == "article"
        self.stack.append((tag, skips, is_main, is_article))
        self.open[tag] = self.open.get(tag, 0) + 1
        self.skip += skips
        self.main += is_main
        if is_article:
            self.articles.append(self.article_count)
            self.article_count += 1

    def end(self, tag: str) -> None:
        if tag == "title":
            self.in_title = False
        if tag == "h1" and self.h1 is not None:
            if text := collapse("".join(self.h1)):
                self.h1s.append(_Block(text, self.articles[0] if self.articles else None, self.main > 0))
            self.h1 = None
        if tag in _BLOCK_TAGS:
            self._flush()
        if not self.open.get(tag):
            return
        while self.stack:
            name, skips, is_main, is_article = self.stack.pop()
            self.open[name] -= 1
            self.skip -= skips
            self.main -= is_main
            if is_article:
                self.articles.pop()
            if name == tag:
                break

    def data(self, data: str) -> None:
        if self.in_title:
            self.title.append(data)
        if self.h1 is not None:
            self.h1.append(data)
        if not self.skip:
            self.pieces.append(data)

    def _flush(self) -> None:
        if not self.pieces:
            return
        lines, current = [], []
        for piece in [*self.pieces, None]:
            if piece is None:
                lines.append(collapse("".join(current)))
                current = []
            else:
                current.append(piece)
        self.pieces = []
        text = "\n".join(line for line in lines if line)
        if text:
            self.blocks.append(_Block(text, self.articles[0] if self.articles else None, self.main > 0))

    def close(self) -> None:
        self._flush()


def _parse(text: str, target: _HTMLText) -> None:
    # no_network: never fetch a DTD; huge_tree: deep nesting is not an error (memory is bounded by the input).
    lx = etree.HTMLParser(target=target, no_network=True, huge_tree=True, remove_comments=True, remove_pis=True)
    try:
        lx.feed(replace_surrogates(text))
        lx.close()
    except etree.ParserError:  # nothing parseable at all ("<"): no text, the article is rejected below
        target.close()


def html_articles(text: str, source: str, max_chars: int, warnings: list[str]) -> Iterator[Result]:
    parser = _HTMLText()
    _parse(text, parser)
    blocks = parser.blocks
    # Main text only: the <article> with the most text, else <main>, else the whole body minus page chrome.
    sizes: dict[int, int] = {}
    best: int | None = None
    for block in blocks:
        if block.article is not None:
            sizes[block.article] = sizes.get(block.article, 0) + len(block.text)
    if sizes:
        best = max(sizes, key=lambda k: (sizes[k], -k))
        blocks = [b for b in blocks if b.article == best]
    elif any(b.main for b in blocks):
        blocks = [b for b in blocks if b.main]
    meta = parser.meta
    h1s = parser.h1s
    own = ([h for h in h1s if h.article == best] if best is not None else [h for h in h1s if h.main]) or h1s
    headline = (own[0].text if own else "") or collapse(meta.get("og:title", "")) or collapse("".join(parser.title))
    # The <h1> usually opens the article text too; the headline already leads Article.text.
    repeat = next((i for i, b in enumerate(blocks[:3]) if b.text == headline), None)
    if repeat is not None:
        del blocks[repeat]
    warnings = list(warnings)
    candidates = [meta[k] for k in _DATE_METAS if k in meta] + parser.times[:1]
    candidates += [meta[k] for k in ("article:modified_time", "og:updated_time") if k in meta]
    published = next((d for d in map(parse_date, candidates) if d is not None), None)
    if published is None and candidates:
        warnings.append(f"{source}: unparseable date {candidates[0][:80]!r}; the article is kept without a date")
    body = "\n\n".join(b.text for b in blocks)
    url = parser.url or meta.get("og:url") or None
    yield make_article(headline, body, source, max_chars, published=published, url=url,
                   dateline=dateline_in(body.split("\n"), published), warnings=warnings)

