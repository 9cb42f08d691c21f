"""Annotate an article: sentences, states, places, organisations, officials, dates, money and counts.

Built on spaCy's tokenizer and rule-based matchers (no statistical model): gazetteer names are found with
PhraseMatcher, officials with Matcher patterns read from `mappings/rules/officials.yaml`.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import spacy
from spacy.lang.en.stop_words import STOP_WORDS
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from . import gazetteer as gaz
from . import yamlfile
from .normalize import find_dates, find_money, parse_number
from .records import Annotated, Article, Mention, Official, Sentence
from .tokenizer import BoundedTokenizer
from .vocab import slug

# What the gazetteers made of a token (state, adj, capital, city, org, title, honorific, name, or "") is kept in
# spaCy's own token entity type, which Matcher tests in compiled code; the rule files write it `_: {kind: ...}`.
KIND_KEY = "kind"


def compile_pattern(pattern: list[dict]) -> list[dict]:
    """Rewrite `{_: {kind: X}}` of the rule files into spaCy's ENT_TYPE test (much faster than an extension)."""
    out = []
    for token in pattern:
        token = dict(token)
        ext = token.pop("_", None)
        if ext:
            token["ENT_TYPE"] = ext[KIND_KEY]
        out.append(token)
    return out

# Officials are matched in windows of WINDOW tokens either side of a run of at most NAME_RUN name words;
# neighbouring windows merge up to MAX_WINDOW tokens (see Annotator._official_matches).
WINDOW, NAME_RUN, MAX_WINDOW = 24, 8, 160

LOCATIVE = {"in", "at", "to", "from", "near", "into", "outside", "via", "inside", "across", "around"}
COUNT_NOUNS = (
    r"memorand(?:a|um)(?: of understanding)?|mous?|agreements?|accords?|deals?|contracts?|protocols?|"
    r"treaties|treaty|pacts?|documents?|instruments?|conventions?"
)
COUNT_RE = re.compile(
    rf"\b(?:(?:over|more than|some|about|nearly|around|almost|at least)\s+)?"
    rf"(?P<num>\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|fifty)"
    rf"\s+(?:[a-z-]+\s+){{0,2}}?(?P<noun>{COUNT_NOUNS})\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Lexicon:
    titles: dict[str, str]  # surface form (lower case) -> normalised title
    heads: frozenset[str]
    honorifics: tuple[str, ...]
    particles: frozenset[str]
    not_names: frozenset[str]
    office_group: dict[str, str]  # title -> kind of office, to tell counterparts apart
    portfolio_words: frozenset[str] = frozenset()  # words of a portfolio: "Foreign", "Affairs", "Citizenship"
    office_words: frozenset[str] = frozenset()  # heads of a long title: "minister", "secretary"
    modifiers: frozenset[str] = frozenset()  # "deputy", "acting", "first": before a title, part of it
    not_official: frozenset[str] = frozenset()  # "former", "opposition": the person holds no national office now
    shared_titles: frozenset[str] = frozenset()  # "Chairman", "President": titles firms and parties give too
    state_bodies: frozenset[str] = frozenset()  # "Reserve", "Fed": words of a state's body before such a title


def load_lexicon(directory: Path) -> Lexicon:
    data = yamlfile.load(directory / "lexicon" / "titles.yaml")
    titles: dict[str, str] = {}
    heads = set()
    for entry in data["base"]:
        title = entry["title"]
        for form in [title, *entry.get("variants", [])]:
            titles[form.lower()] = title
        if entry.get("head"):
            heads.add(title)
    for base, portfolios in data["portfolios"].items():
        for p in portfolios:
            titles[f"{p} {base}".lower()] = f"{p} {base}"
            if base == "Minister":
                titles[f"minister of {p}".lower()] = f"{p} Minister"
                titles[f"minister for {p}".lower()] = f"{p} Minister"
    groups = {title: group for group, members in data.get("offices", {}).items() for title in members}
    grammar = data.get("title_grammar", {})
    return Lexicon(titles, frozenset(heads), tuple(data["honorifics"]), frozenset(data["name_particles"]),
                   frozenset(data.get("not_names", [])), groups,
                   frozenset(w.lower() for w in grammar.get("portfolio_words", [])),
                   frozenset(w.lower() for w in grammar.get("office_words", [])),
                   frozenset(w.lower() for w in grammar.get("modifiers", [])),
                   frozenset(w.lower() for w in grammar.get("not_official", [])),
                   frozenset(t.lower() for t in data.get("shared_titles", [])),
                   frozenset(w.lower() for w in data.get("state_bodies", [])))


def _expand(pattern: list[Any], macros: dict[str, dict]) -> list[dict]:
    out = []
    for element in pattern:
        if isinstance(element, str) and element.startswith("$"):
            name, op = element[1:], None
            if name[-1] in "?*+":
                name, op = name[:-1], name[-1]
            token = dict(macros[name])
            if op:
                token["OP"] = op
            out.append(token)
        else:
            out.append(element)
    return out


class Annotator:
    """Compiled once (gazetteers, lexicon, patterns), then applied to many articles."""

    def __init__(self, directory: Path | None = None) -> None:
        self.dir = directory or gaz.mappings_dir()
        self.gaz = gaz.load(self.dir / "gazetteers" if directory else None)
        self.lex = load_lexicon(self.dir)
        self._by_state: dict[str, list[gaz.HolderEntry]] | None = None  # terms of office by state, on first use
        self.nlp = spacy.blank("en")
        self.nlp.tokenizer = BoundedTokenizer(self.nlp.tokenizer)  # linear on long runs of punctuation (issue 14)
        vocab = self.nlp.vocab
        self.phrases = PhraseMatcher(vocab, attr="ORTH")
        self.labels: dict[str, tuple[str, str]] = {}  # matcher label -> (kind, key)

        def add(kind: str, key: str, forms: list[str], matcher: PhraseMatcher | None = None) -> None:
            label = f"{kind}:{key}"
            self.labels[label] = (kind, key)
            docs = [self.nlp.make_doc(f) for f in dict.fromkeys(forms) if f]
            (self.phrases if matcher is None else matcher).add(label, docs)

        self.capital_of: dict[str, str] = {}
        for s in self.gaz.states.values():
            names = [s.name, *s.names]
            add("state", s.id, [*names, *s.abbreviations])
            add("adj", s.id, list(s.adjectives))
            for c in s.capitals:
                self.capital_of[c] = s.id
        places_by_name: dict[str, str] = {}
        for p in self.gaz.places.values():
            for form in [p.name, *p.aliases]:
                places_by_name.setdefault(form, p.id)
            add("city", p.id, [p.name, *p.aliases])
        self.place_by_name = places_by_name
        self.capital_key: dict[str, str] = {}  # place id of a seat of government -> its state
        for cap, state_id in self.capital_of.items():
            if cap not in places_by_name:
                add("city", f"{slug(cap)}", [cap])
            self.capital_key[places_by_name.get(cap, slug(cap))] = state_id
        for o in self.gaz.organizations.values():
            add("org", o.id, [o.name, *o.aliases])
        add("honorific", "-", list(self.lex.honorifics))
        self.titles = PhraseMatcher(vocab, attr="LOWER")
        by_title: dict[str, list[str]] = {}
        for form, title in self.lex.titles.items():
            by_title.setdefault(title, []).append(form)
        for title, forms in by_title.items():
            add("title", title, forms, self.titles)
        by_qid = {st.qid: st.id for st in self.gaz.states.values() if st.qid}
        self.successions: dict[str, tuple[dt.date, str]] = {}
        for entry in yamlfile.load(self.dir / "lexicon" / "successions.yaml"):
            if entry["qid"] in by_qid and entry["meant"] in by_qid:
                until = entry["until"] if isinstance(entry["until"], dt.date) else dt.date.fromisoformat(entry["until"])
                self.successions[by_qid[entry["qid"]]] = (until, by_qid[entry["meant"]])
        publishers = yamlfile.load(self.dir / "lexicon" / "publishers.yaml")
        self.domain_suffixes = {str(k).lower(): v for k, v in publishers["suffixes"].items()}
        self.not_domain_states = set(publishers.get("not_states", []))
        rules = yamlfile.load(self.dir / "rules" / "officials.yaml")
        self.official_rules = {r["id"]: r for r in rules["rules"]}
        self.matcher = Matcher(vocab)
        for r in rules["rules"]:
            self.matcher.add(r["id"], [compile_pattern(_expand(r["pattern"], rules["macros"]))], greedy="LONGEST")

    # ------------------------------------------------------------------------------------------
    def annotate(self, article: Article) -> Annotated:
        text = article.text
        doc = self.nlp.make_doc(text)
        sentences = self._sentences(doc)
        ref = article.reference_date
        doc.user_data["ref"] = ref  # the day this article's names are read as of
        spans = self._entities(doc, ref)
        mentions: list[Mention] = []
        for span, (kind, key) in spans:
            mentions.extend(self._entity_mentions(doc, span, kind, key, ref))
        home = self._dateline_state(article) or self.publisher_state(article)
        officials = self._officials(doc, spans, article, sentences, home)
        for d in find_dates(text, ref):
            mentions.append(Mention("date", d.start, d.end, d.text, None, d, d.kind))
        for m in find_money(text):
            mentions.append(Mention("money", m.start, m.end, text[m.start:m.end], None, (m.amount, m.currency)))
        for m in COUNT_RE.finditer(text):
            n = parse_number(m.group("num"))
            if n is not None:
                mentions.append(Mention("count", m.start(), m.end(), m.group(0), m.group("noun").lower(), int(n)))
        for o in officials:
            for start, end in o.mentions:
                mentions.append(Mention("person", start, end, text[start:end], o.key, o, None))
        mentions.sort(key=lambda m: (m.start, m.end))
        return Annotated(article, sentences, mentions, officials, home)

    def _sentences(self, doc: Doc) -> list[Sentence]:
        """Sentences end at . ! ? (and closing quotes after them) or at a line break."""
        out, start = [], None
        text = doc.text
        n = len(doc)
        for i, tok in enumerate(doc):
            if tok.is_space:
                if "\n" in tok.text and start is not None:
                    out.append((start, doc[i - 1].idx + len(doc[i - 1])))
                    start = None
                continue
            if start is None:
                start = tok.idx
            end_here = tok.text in (".", "!", "?") or (tok.text.endswith(".") and tok.text[:-1].isalpha()
                                                        and i + 1 < n and doc[i + 1].is_title
                                                        and not tok.text[:-1].isupper()
                                                        and len(tok.text) > 3)
            if end_here:
                j = i + 1
                while j < n and doc[j].text in ('"', "”", "’", "'", ")"):
                    j += 1
                if j >= n or doc[j].is_space or doc[j].text[:1].isupper() or doc[j].text[:1] in "“\"(":
                    last = doc[j - 1]
                    out.append((start, last.idx + len(last)))
                    start = None
        if start is not None:
            out.append((start, len(text.rstrip())))
        merged: list[tuple[int, int]] = []
        for s, e in out:  # quotes closing a sentence come out as their own tiny piece: glue them back
            if merged and not text[s:e].strip("\"”’' )"):
                merged[-1] = (merged[-1][0], e)
            elif s < e:
                merged.append((s, e))
        return [Sentence(s, e, text[s:e]) for s, e in merged]

    def _entities(self, doc: Doc, ref: dt.date | None = None) -> list[tuple[Span, tuple[str, str]]]:
        spans = []
        for match_id, start, end in self.phrases(doc):
            label = self.nlp.vocab.strings[match_id]
            spans.append(Span(doc, start, end, label=label))
        for match_id, start, end in self.titles(doc):
            label = self.nlp.vocab.strings[match_id]
            span = Span(doc, start, end, label=label)
            # Lower-case common words ("minister", "president") are titles only next to a name or a state.
            spans.append(span)
        kept = filter_spans(spans)
        keys = doc.user_data.setdefault("keys", {})  # token index -> gazetteer id of its entity
        # Ambiguous names (Georgia) are judged once every unambiguous state of the text is known.
        unambiguous = [sp for sp in kept if self._unambiguous_state(sp)]
        result = []
        covered = {i for sp in kept for i in range(sp.start, sp.end)}
        for span in kept:
            kind, key = self.labels[span.label_]
            if kind == "state" and self.gaz.states[key].ambiguous and not self._state_context(doc, span, unambiguous):
                continue
            if kind in ("state", "city") and self._ends_a_name(doc, span, covered):
                continue  # "Miguel de la Madrid" is a president, not Spain's capital
            if kind in ("state", "adj"):
                key = self.as_of(key, ref)
            for tok in span:
                tok.ent_type_ = "capital" if kind == "city" and span.text in self.capital_of else kind
                keys[tok.i] = key
            result.append((span, (kind, key)))
        self._extend_titles(doc)
        particles = self.lex.particles
        for tok in doc:
            if tok.ent_type_:
                continue
            t = tok.text
            if t in self.lex.not_names:
                continue
            # A capitalised stop word goes on a name only right after a name word: "Theresa May held talks".
            after_name = tok.i > 0 and doc[tok.i - 1].ent_type_ == "name"
            if (t[:1].isupper() and (t.lower() not in STOP_WORDS or after_name and t[1:].islower())
                    and re.fullmatch(r"[A-Z][\w'’.-]*", t)
                    and not t.isupper() or (len(t) == 2 and t.endswith(".") and t[0].isupper())) or (
                    t in particles and 0 < tok.i < len(doc) - 1 and (doc[tok.i + 1].text[:1].isupper() or (
                        doc[tok.i + 1].text in particles and tok.i + 2 < len(doc)  # "de la Madrid"
                        and doc[tok.i + 2].text[:1].isupper()))):
                tok.ent_type_ = "name"
            elif t == "-" and 0 < tok.i < len(doc) - 1 and doc[tok.i - 1].ent_type_ == "name" \
                    and doc[tok.i + 1].is_alpha and not doc[tok.i + 1].ent_type_ \
                    and tok.idx == doc[tok.i - 1].idx + len(doc[tok.i - 1]):
                tok.ent_type_ = "name"  # inside a hyphenated name: "Kassym-Jomart", "Shin-yong"
                doc[tok.i + 1].ent_type_ = "name"
            elif t in ("’", "'") and 0 < tok.i < len(doc) - 1 and doc[tok.i - 1].ent_type_ == "name" \
                    and not doc[tok.i - 1].whitespace_ and doc[tok.i + 1].text[:1].isupper() \
                    and not doc[tok.i + 1].ent_type_:
                tok.ent_type_ = "name"  # an ayn or hamza ending a name word: "Mohammed Shia’ Al-Sudani"
        return result

    def _ends_a_name(self, doc: Doc, span: Span, covered: set[int]) -> bool:
        """Whether a place's name follows a name word and lower-case particles: "Miguel de la Madrid"."""
        i = span.start - 1
        while i >= 0 and doc[i].text in self.lex.particles and doc[i].text.islower():
            i -= 1
        if i == span.start - 1 or i < 0:
            return False
        word = doc[i]
        return word.is_alpha and word.text[:1].isupper() and i not in covered and not word.is_sent_start

    def _extend_titles(self, doc: Doc) -> None:
        """Grow each run of title words into the long title it heads or ends.

        "Minister for Foreign Affairs and Minister for Women", "Secretary of State for Foreign, Commonwealth and
        Development Affairs", "Foreign Office Minister", "Acting Deputy Spokesman": portfolio words (capitalised,
        from the lexicon) joined by commas, "and" or "&" after "for"/"of", or before the office word; modifiers
        such as "Acting" or "Deputy" before it.
        """
        lex = self.lex
        n = len(doc)

        def portfolio(i: int) -> bool:
            tok = doc[i]
            return (not tok.ent_type_ or tok.ent_type_ == "title") and tok.text[:1].isupper() \
                and tok.lower_ in lex.portfolio_words

        i = 0
        while i < n:
            if doc[i].ent_type_ != "title":
                i += 1
                continue
            start = i
            while i < n and doc[i].ent_type_ == "title":
                i += 1
            end = i  # the run is doc[start:end]
            # backwards: "Education, Sports and Culture Minister", "Acting Deputy Spokesman"
            j = start - 1
            while j >= 0:
                if portfolio(j) or (not doc[j].ent_type_ and doc[j].lower_ in lex.modifiers
                                    and doc[j].text[:1].isupper()):
                    j -= 1
                elif doc[j].text in (",", "and", "&") and j > 0 and portfolio(j - 1) and portfolio(j + 1):
                    j -= 1
                else:
                    break
            # forwards: "... for Foreign, Commonwealth and Development Affairs (and Minister for Women)"
            k = end
            while k < n and doc[k - 1].lower_ in lex.office_words | lex.portfolio_words:
                m = k
                if doc[m].lower_ in ("for", "of"):
                    m += 1
                    if m < n and doc[m].lower_ == "the":
                        m += 1
                    if not (m < n and portfolio(m)):
                        break
                    while m < n and (portfolio(m) or (doc[m].text in (",", "and", "&") and m + 1 < n
                                                      and portfolio(m + 1))):
                        m += 1
                elif doc[m].lower_ in ("and", "&") and m + 1 < n and doc[m + 1].ent_type_ == "title":
                    # a second office joined to the first only when it has a portfolio of its own
                    m += 1
                    while m < n and doc[m].ent_type_ == "title":
                        m += 1
                    p = m + 1 + (m + 1 < n and doc[m + 1].lower_ == "the")
                    if not (m < n and doc[m].lower_ in ("for", "of") and p < n and portfolio(p)):
                        break
                else:
                    break
                k = m
            for t in doc[j + 1:k]:
                t.ent_type_ = "title"
            i = max(k, i)

    def as_of(self, state: str | None, day: dt.date | None) -> str | None:
        """The state a name meant on that day: "Germany" in 1987 is West Germany, "Moscow" the Soviet Union."""
        if state in self.successions and day and day < self.successions[state][0]:
            return self.successions[state][1]
        return state

    def _after_located_city(self, doc: Doc, comma: int) -> bool:
        """"in Lima, Peru": the state after a city named as where something is, is where it is too."""
        i = comma - 1
        if i < 0 or doc[i].ent_type_ not in ("city", "capital"):
            return False
        while i > 0 and doc[i - 1].ent_type_ in ("city", "capital"):
            i -= 1
        return i > 0 and doc[i - 1].lower_ in LOCATIVE

    def _unambiguous_state(self, span: Span) -> bool:
        kind, key = self.labels[span.label_]
        return kind == "adj" or (kind == "state" and not self.gaz.states[key].ambiguous)

    def _state_context(self, doc: Doc, span: Span, states: list[Span]) -> bool:
        """An ambiguous state name (Georgia) counts only beside another state, and never as "the state of X"."""
        before = " ".join(t.lower_ for t in doc[max(0, span.start - 3): span.start])
        if before.endswith(("state of", "city of", "county of", "governor of")):
            return False
        return any(abs(other.start - span.start) <= 30 for other in states)

    def _entity_mentions(self, doc: Doc, span: Span, kind: str, key: str, ref: dt.date | None) -> list[Mention]:
        start, end = span.start_char, span.end_char
        prev = doc[span.start - 1].lower_ if span.start > 0 else ""
        # "Ambassador to Washington" names a post, not where something happens.
        after_title = span.start > 1 and doc[span.start - 2].ent_type_ == "title"
        located = prev in LOCATIVE and not after_title or prev == "," and self._after_located_city(doc, span.start - 1)
        if kind == "state":
            return [Mention("state", start, end, span.text, key, None, "place" if located else "name")]
        if kind == "adj":
            return [Mention("state", start, end, span.text, key, None, "adjective")]
        if kind == "org":
            org = self.gaz.organizations[key]
            out = [Mention("org", start, end, span.text, key)]
            if org.state:
                out.append(Mention("state", start, end, span.text, org.state, None, "organization"))
            return out
        if kind == "city":
            place_id = self.place_by_name.get(span.text, key)
            place = self.gaz.places.get(place_id)
            state = self.as_of(self.capital_of.get(span.text), ref)
            if after_title:
                return [Mention("state", start, end, span.text, state, None, "title")] if state else []
            out = [Mention("city", start, end, span.text, place_id, self.as_of(place.state, ref) if place else state)]
            if state:
                out.append(Mention("state", start, end, span.text, state, None, "place" if located else "capital"))
            return out
        if kind == "title":
            return [Mention("title", start, end, span.text, key)]
        return []

    # ------------------------------------------------------------------------------------------
    def publisher_state(self, article: Article) -> str | None:
        """The state of the site that published the article, from its address ("www.gov.uk" -> United Kingdom,
        "pm.gc.ca" -> Canada); an archived copy's address holds the original one."""
        hosts = re.findall(r"https?://([^/:?#\s]+)", article.url or "")
        if not hosts:
            return None
        host = hosts[-1].lower().rstrip(".")
        for suffix, state in self.domain_suffixes.items():
            if host == suffix or host.endswith("." + suffix):
                return state
        tld = host.rsplit(".", 1)[-1]
        if tld in self.not_domain_states or tld not in self.gaz.states:
            return None
        return self.as_of(tld, article.reference_date)

    def _officials(self, doc: Doc, spans: list, article: Article, sentences: list[Sentence],
                   home: str | None = None) -> list[Official]:
        found: dict[str, dict] = {}
        order: list[str] = []
        # Across rules the longest match wins ("King Fahd of Saudi Arabia" over "King Fahd").
        taken: set[int] = set()
        matches = []
        for m in sorted(self._official_matches(doc), key=lambda m: (m[1] - m[2], m[1])):
            if doc[m[2] - 1].ent_type_ == "title" and m[2] < len(doc) and doc[m[2]].ent_type_ in ("title", "name"):
                continue  # "George Bush, Secretary of State George Shultz": the title belongs to the next name
            if not taken & set(range(m[1], m[2])):
                taken.update(range(m[1], m[2]))
                matches.append(m)
        matches.sort(key=lambda m: m[1])
        previous: dict | None = None
        prev_sentence, prev_end = -1, -1
        for match_id, start, end in matches:
            rule_id = self.nlp.vocab.strings[match_id]
            rule = self.official_rules[rule_id]
            span = doc[start:end]
            sent_index = _sentence_index(sentences, span.start_char)
            if sent_index != prev_sentence or (rule.get("adjacent") and prev_end != start):
                previous = None  # "his counterpart", "and Minister X" refer within the sentence only
            name_tokens = [t for t in span if t.ent_type_ == "name"]
            while name_tokens and name_tokens[-1].text in self.lex.particles:
                name_tokens.pop()
            while name_tokens and name_tokens[0].text in self.lex.particles:
                name_tokens.pop(0)
            if not name_tokens:
                continue
            name = doc[name_tokens[0].i: name_tokens[-1].i + 1].text
            if not re.search(r"[A-Za-z]{2}", name) or len(name_tokens) > 6:
                continue
            before = {t.lower_ for t in doc[max(0, start - 2): start]}
            if before & self.lex.not_official:
                continue  # "former Prime Minister X", "opposition leader Y": no national office now
            title = self._title_of(span)
            state = self._state_of(span)
            if rule.get("title_from") == "previous" and previous:
                title = previous["title"]
            if not title:
                continue
            if not state:
                holder = self._holder_by_name(name, article.reference_date, title)
                state = holder.state if holder else None
            if rule.get("state_from") == "previous" and previous and not state:
                if rule.get("adjacent") and self._counterparts(previous["title"], title):
                    # "Secretary of State Shultz and Foreign Minister Halefoglu": two sides of a bilateral story.
                    others = [s for s in self._main_states(spans, article) if s != previous["state"]]
                    state = others[0] if others else None
                else:
                    state = previous["state"]
            known = None if state else self._same_person(found, name, None)
            if known and known["state"]:
                state = known["state"]  # "Minister Le Drian" after "Jean-Yves Le Drian, Minister for Europe ..."
            if not state and rule_id != "official.counterpart" and not self._owned_by_a_body(span) \
                    and not self._office_taken(home, title, name, article.reference_date):
                # Wire copy and government releases name a home official without the state: "Prime Minister X"
                # datelined from X's capital, "Minister Joly" on Canada's site. Not when the office-holder
                # table knows who held that office of the home state that day and it is someone else
                # ("President Kagame" on the UK's site).
                state = home
            key = slug(name)
            entry = found.get(key) or self._same_person(found, name, state)
            if entry is None:
                entry = {"key": key, "name": name, "title": title, "state": state, "mentions": [], "rule": rule_id}
                found[key] = entry
                order.append(key)
            elif len(name) > len(entry["name"]):
                entry["name"] = name
            entry["state"] = entry["state"] or state
            entry["mentions"].append((span.start_char, span.end_char))
            previous = entry
            prev_sentence, prev_end = sent_index, end
        # Later mentions by surname alone ("Sharif said") resolve to the person named in full before.
        by_surname: dict[str, list[Token]] = {}
        for tok in doc:
            if tok.ent_type_ == "name":
                by_surname.setdefault(tok.text, []).append(tok)
        for entry in found.values():
            surname = entry["name"].split()[-1]
            first = min(s for s, _ in entry["mentions"])
            spans = sorted(entry["mentions"])
            starts = [s for s, _ in spans]
            for tok in by_surname.get(surname, ()):
                i = bisect.bisect_right(starts, tok.idx) - 1
                if tok.idx > first and not (i >= 0 and spans[i][0] <= tok.idx < spans[i][1]):
                    entry["mentions"].append((tok.idx, tok.idx + len(tok)))
        # The guidelines' officials serve a state: a person whose state nothing in the text or the office-holder
        # table gives (an EU commissioner, a UN envoy, a name the data does not know) is not recorded as one.
        return [
            Official(slug(e["name"]), e["name"], e["title"], e["state"], tuple(sorted(e["mentions"])), e["rule"])
            for e in (found[k] for k in order) if e["state"]
        ]

    def _official_matches(self, doc: Doc) -> list[tuple[int, int, int]]:
        """The officials patterns' matches, found in windows around runs of name words.

        Every pattern holds a name, so nothing is lost; and a text of repeated titles ("Prime Minister Prime
        Minister ...") keeps no partial match alive across the whole text, which made matching quadratic.
        """
        n = len(doc)
        windows: list[list[int]] = []
        i = 0
        while i < n:
            if doc[i].ent_type_ != "name":
                i += 1
                continue
            j = i
            while j < n and doc[j].ent_type_ == "name" and j - i < NAME_RUN:
                j += 1
            a, b = max(0, i - WINDOW), min(n, j + WINDOW)
            if windows and a <= windows[-1][1] and b - windows[-1][0] <= MAX_WINDOW:
                windows[-1][1] = b
            else:
                windows.append([a, b])
            i = j
        found: set[tuple[int, int, int]] = set()
        for a, b in windows:
            found.update((match_id, a + s, a + e) for match_id, s, e in self.matcher(doc[a:b]))
        return list(found)

    def _dateline_state(self, article: Article) -> str | None:
        if not article.dateline:
            return None
        name = article.dateline.split(",")[0].strip().title()
        place = self.gaz.places.get(self.place_by_name.get(name, ""))
        return self.as_of(self.capital_of.get(name) or (place.state if place else None), article.reference_date)

    def _counterparts(self, a: str | None, b: str | None) -> bool:
        group = self.lex.office_group
        return bool(a and b and group.get(a) and group.get(a) == group.get(b))

    def _main_states(self, spans: list, article: Article) -> list[str]:
        counts: dict[str, int] = {}
        for _span, (kind, key) in spans:
            if kind in ("state", "adj"):
                k = self.as_of(key, article.reference_date)
                counts[k] = counts.get(k, 0) + 1
        return sorted(counts, key=lambda k: -counts[k])[:2]

    def _same_person(self, found: dict[str, dict], name: str, state: str | None) -> dict | None:
        surname = name.split()[-1]
        for entry in found.values():
            if entry["name"].split()[-1] == surname and (state is None or entry["state"] in (None, state)):
                return entry
        return None

    def _title_of(self, span: Span) -> str | None:
        titles = [t for t in span if t.ent_type_ == "title"]
        if not titles:
            return None
        # The title is the last run of title tokens: "Navy chief", "Secretary of State".
        doc = span.doc
        ents = [s for s in _title_spans(doc, titles)]
        text = " ".join(ents)
        return self.lex.titles.get(text.lower(), _title_case(text))

    def _owned_by_a_body(self, span: Span) -> bool:
        """Whether the title is a body's the gazetteers do not know: a title that firms, parties and committees
        give too, right after a capitalised word that is no state's or title's ("Leucadia Chairman Ian Cumming",
        "Banking Committee Chairman X"). Such an official's state is not assumed from the dateline or publisher."""
        first = next((t for t in span if t.ent_type_ == "title"), None)
        if first is None or first.i == 0 or first.i != span.start:
            return False
        last = first
        while last.i + 1 < len(first.doc) and first.doc[last.i + 1].ent_type_ == "title":
            last = first.doc[last.i + 1]
        if first.doc[first.i: last.i + 1].text.lower() not in self.lex.shared_titles:
            return False  # "Primary Industries Minister", "House Speaker": no firm's titles
        prev = first.doc[first.i - 1]
        body = {t.lower_ for t in first.doc[max(0, first.i - 3): first.i]}
        return prev.text[:1].isupper() and prev.is_alpha and not prev.is_sent_start \
            and prev.ent_type_ in ("", "name") and not body & self.lex.state_bodies

    def _state_of(self, span: Span) -> str | None:
        for tok in span:
            if tok.ent_type_ in ("state", "adj", "capital", "org"):
                key = self._state_key_at(tok)
                if key:
                    return key
        return None

    def _state_key_at(self, tok: Token) -> str | None:
        kind, key = tok.ent_type_, tok.doc.user_data.get("keys", {}).get(tok.i)
        if kind in ("state", "adj"):
            return key
        if kind == "org":
            return self.gaz.organizations[key].state
        if kind == "capital":
            return self.as_of(self.capital_key.get(key), tok.doc.user_data.get("ref"))
        return None

    def _office_taken(self, state: str | None, title: str | None, name: str, day: dt.date | None) -> bool:
        """Whether the office-holder table has someone else, of another surname, in an office of this title's
        kind of the state on that day."""
        if not state or not day:
            return False
        kinds = self.gaz.offices.kinds_of(title) - {"lesser"}
        if not kinds:
            return False
        surname = gaz.name_tokens(name)[-1:]
        until = self.gaz.offices.known_until
        # A term of this very title that the table had open when it was made says nothing of a later day: "Defence
        # Secretary Shapps" in late 2023 is not refused because the table ends with Wallace in office. Other held
        # offices of the kind still refuse the name: a king reigns in the UK, whoever its prime minister is.
        holders = [t for t in self._terms_by_state().get(state, ()) if kinds & t.kinds and t.in_office(day)
                   and not (t.end is None and until and (t.start is None or t.start <= until) and day > until
                            and t.title.lower() == (title or "").lower())]
        # any word of the holder's name: "King Fahd" is "Fahd bin Abdulaziz Al Saud"
        return bool(holders) and not any(set(surname) & set(gaz.name_tokens(t.name)) for t in holders)

    def _terms_by_state(self) -> dict[str, list[gaz.HolderEntry]]:
        if self._by_state is None:
            by_state: dict[str, list[gaz.HolderEntry]] = {}
            for t in self.gaz.holders:
                by_state.setdefault(t.state, []).append(t)
            self._by_state = by_state
        return self._by_state

    def _holder_by_name(self, name: str, day: dt.date | None = None,
                        title: str | None = None) -> gaz.HolderEntry | None:
        # The term of the one state whose office a person of this name holds on the article's day (the table's
        # name matching: accents, honorifics, "Hillary Rodham Clinton"); None when no state or several. With the
        # title, a surname alone is looked up too: "President Reagan" in a story datelined Tokyo is American.
        matches = {h.state: h for h in self.gaz.terms(name, day, title=title)}
        return next(iter(matches.values())) if len(matches) == 1 else None


def _title_spans(doc: Doc, titles: list[Token]) -> list[str]:
    """Group title tokens into contiguous runs and return the text of the last run."""
    runs: list[list[Token]] = []
    for t in titles:
        if runs and runs[-1][-1].i == t.i - 1:
            runs[-1].append(t)
        else:
            runs.append([t])
    last = runs[-1]
    return [doc[last[0].i: last[-1].i + 1].text]  # a span's text: Doc.text would join the whole text each time


def _title_case(text: str) -> str:
    small = {"of", "the", "for", "in", "and"}
    return " ".join(w if w.lower() in small else w[:1].upper() + w[1:] for w in text.split())


def _sentence_index(sentences: list[Sentence], offset: int) -> int:
    i = bisect.bisect_right([s.start for s in sentences], offset) - 1  # the sentences' starts: short beside the text
    return i if i >= 0 and offset < sentences[i].end else -1


@lru_cache(maxsize=1)
def default_annotator() -> Annotator:
    return Annotator()


def annotate(article: Article) -> Annotated:
    return default_annotator().annotate(article)

