"""spaCy's tokenizer with long runs of non-space characters cut into pieces first, so its time stays linear.

spaCy strips prefixes and suffixes one at a time from a whitespace-delimited chunk, copying the rest each time: a run
of 4,000 "(" or "$" takes 12 to 26 s, and the time grows with the square of the run. No word in news text is
anywhere near MAX_RUN characters; a run longer than that is tokenized in pieces of MAX_RUN, which the Doc joins
without spaces, so its text, and every character offset, is the input's.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Doc

MAX_RUN = 100  # characters of a run without whitespace tokenized in one go

_LONG_RUN = re.compile(rf"\S{{{MAX_RUN + 1},}}")


class BoundedTokenizer:
    """Wraps a spaCy tokenizer (`nlp.tokenizer = BoundedTokenizer(nlp.tokenizer)`)."""

    def __init__(self, inner: Callable[[str], Doc]) -> None:
        self.inner = inner

    def __call__(self, text: str) -> Doc:
        if _LONG_RUN.search(text) is None:  # the common case: spaCy alone
            return self.inner(text)
        pieces: list[str] = []
        end = 0
        for m in _LONG_RUN.finditer(text):
            if m.start() > end:
                pieces.append(text[end:m.start()])
            pieces.extend(text[i:min(i + MAX_RUN, m.end())] for i in range(m.start(), m.end(), MAX_RUN))
            end = m.end()
        if end < len(text):
            pieces.append(text[end:])
        doc = Doc.from_docs([self.inner(p) for p in pieces], ensure_whitespace=False)
        assert doc.text == text  # offsets count in this text
        return doc

    def __getattr__(self, name: str) -> object:  # rules, prefix_search, ... as spaCy's own tokenizer has them
        return getattr(self.inner, name)
