"""An `Article` record from a headline, a body and what the source said about them."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterable

from ..records import Article, InputError
from .dates import Dateline
from .normalise import collapse, normalise_text, strip_controls

Result = Article | InputError

# An article longer than this (in characters of normalised text) is rejected: real news stories are far below it,
# and later stages (NLP, SHACL) cost memory in proportion to the text.
DEFAULT_MAX_CHARS = 1_000_000

_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


def make_article(
    headline: str,
    body: str,
    source: str,
    max_chars: int,
    *,
    published: dt.date | dt.datetime | None = None,
    identifier: str | None = None,
    url: str | None = None,
    dateline: Dateline = (None, None),
    warnings: Iterable[str] = (),
) -> Result:
    (headline, a), (body, b) = strip_controls(headline), strip_controls(body)
    removed = a + b
    if url is not None:
        url, c = strip_controls(url)
        removed += c
    place = dateline[0]
    if place is not None:
        place, c = strip_controls(place)
        removed += c
    if removed:
        warnings = [*warnings, f"{source}: removed {removed} control characters that XML cannot carry"]
    headline = collapse(headline)
    body = normalise_text(body)
    if not headline:  # no headline given: the first line of the body stands in
        first, _, rest = body.partition("\n")
        headline, body = collapse(first), normalise_text(rest)
    if not headline or not body:
        return InputError(source, "no article text" if not headline else "no body text after the headline")
    text = normalise_text(f"{headline}\n\n{body}")
    if len(text) > max_chars:
        return InputError(source, f"article too large: {len(text)} characters, the limit is {max_chars}")
    if identifier is not None and _ID.fullmatch(identifier):
        key = identifier.lower()  # ids are used as given so graphs stay findable by id; [a-z0-9._-] is IRI-safe
    else:
        key = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return Article(key=key, headline=headline, text=text, published=published, identifier=identifier, url=url,
                   dateline=place or None, dateline_date=dateline[1], source=source, warnings=tuple(warnings),
                   controls_removed=removed)

