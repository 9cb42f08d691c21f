"""Apply the declarative event rules (`mappings/rules/events.yaml`) to annotated articles.

A rule fires in a sentence when one of its spaCy Matcher triggers matches; the slots of the fact (states,
people, host, place, date, money, count, status) are then filled from the sentence's annotations by the
generic procedure below, and facts describing the same event are merged.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import spacy
from spacy.matcher import Matcher

from . import gazetteer as gaz
from . import yamlfile
from .annotate import compile_pattern
from .records import Agreement, Annotated, Evidence, Facts, Meeting, Mention, Sentence

COUNT_KIND = {  # which kind of agreement a counted noun stands for
    "memoranda": "mou", "memorandum": "mou", "memoranda of understanding": "mou", "memorandum of understanding": "mou",
    "mou": "mou", "mous": "mou",
}


# A topic cue may stand this many words before the state; these words between them name a side instead.
TOPIC_REACH = 4
SIDE_WORDS = frozenset({"with", "and", "between", "by", "to", "from", "among", "met", "meet", "said", "says"})
# How far (in words) a concluding word may stand from the agreement it concludes.
CONCLUDE_BEFORE, CONCLUDE_AFTER = 8, 5
# A day and month more than this many days back, with the same day this year at most this far ahead, is this year's
HALF_YEAR = 183
# Words that say an agreement was signed or otherwise formally made: "the agreement" after them is no mere echo.
SIGNED = frozenset({"signed", "initialled", "initialed", "ratified", "signature", "signing", "issued", "adopted"})
AGREE = frozenset({"agree", "agreed", "agrees", "agreeing"})
PLEDGE_AFTER = frozenset({"that", "to", "on", "it", "with", "upon", "how", "what", "the"})
MODALS = frozenset({"may", "will", "might", "can", "shall", "would", "could", "must"})
WORD = re.compile(r"[a-z0-9']+|[^\sa-z0-9']")


def _required_words(pattern: list[dict]) -> set[str]:
    """The lower-case words a trigger pattern can match on its first mandatory word test."""
    for token in pattern:
        if token.get("OP") in ("?", "*"):
            continue
        lower = token.get("LOWER")
        if isinstance(lower, str):
            return {lower}
        if isinstance(lower, dict) and "IN" in lower:
            return set(lower["IN"])
    raise ValueError(f"trigger {pattern} has no mandatory LOWER word test")


# How a mention shows in trigger patterns: the token kinds of annotate.py.
MENTION_KIND = {
    ("state", "adjective"): "adj", ("state", "capital"): "capital", ("state", None): "state",
    ("city", None): "city", ("title", None): "title", ("person", None): "name", ("org", None): "org",
}


@dataclass
class _Hit:
    rule: str
    kind: str
    family: str  # meeting or agreement
    date_group: str  # triggers of one group share the dates nearest to them
    start: int  # char offsets of the trigger
    end: int
    lower_tokens: list[str]  # the sentence's tokens, lower-cased
    trigger_index: int  # index of the trigger's first token in the sentence
    length: int  # tokens in the trigger
    definite: bool  # "the agreement", "this accord": may refer to one named before
    plural: bool = False  # "agreements", "visits": may be one per state listed after it


def _near_concluded(hit: _Hit, done: list[_Hit], treaties: list[_Hit]) -> bool:
    """Whether a trigger is within 6 words of one concluded (`done`; itself included), or a specific kind told up
    to 25 words after a generic agreement concluded (`treaties`); both sorted by trigger_index. Binary searches:
    a scan of `done` for each trigger was quadratic in a long sentence full of triggers."""
    t = hit.trigger_index
    i = bisect.bisect_left(done, t - 6, key=_index)
    if i < len(done) and done[i].trigger_index <= t + 6:
        return True
    j = bisect.bisect_left(treaties, t - 25, key=_index)
    return hit.kind != "treaty" and j < len(treaties) and treaties[j].trigger_index < t


def _index(hit: _Hit) -> int:
    return hit.trigger_index


class RuleSet:
    def __init__(self, path: Path | None = None) -> None:
        path = path or gaz.mappings_dir() / "rules" / "events.yaml"
        data = yamlfile.load(path)
        self.nlp = spacy.blank("en")
        self.matcher = Matcher(self.nlp.vocab)
        self.rules: dict[str, dict] = {}
        self.keywords: set[str] = set()  # a sentence without any of these words fires no trigger
        for family in ("meetings", "agreements"):
            for rule in data[family]:
                rule = dict(rule, family=family[:-1])
                self.rules[rule["id"]] = rule
                self.matcher.add(rule["id"], [compile_pattern(t) for t in rule["triggers"]], greedy="LONGEST")
                self.keywords.update(w for t in rule["triggers"] for w in _required_words(t))
        cues = data["cues"]
        self.not_event = set(cues["not_an_event"])
        self.conclude = set(cues["conclude"])
        self.not_concluded = set(cues["not_concluded"])
        self.planned = [tuple(c.split()) for c in cues["planned"]]
        self.planned_meeting = self.planned + [tuple(c.split()) for c in cues["planned_meeting"]]
        self.anaphoric = set(cues["anaphoric"])
        self.ongoing = [tuple(c.split()) for c in cues["ongoing"]]
        self.mediation = set(cues["mediation"])
        self.anaphora = set(cues["anaphora"])
        self.business = set(cues["business"])
        self.government = set(cues["government"])
        self.negotiation = set(cues.get("negotiation", []))
        self.not_after = set(cues.get("not_after", []))
        self.not_in_a_name = set(cues.get("not_in_a_name", []))
        self.not_before_meeting = set(cues.get("not_before_meeting", []))
        self.not_after_meeting = set(cues.get("not_after_meeting", []))
        verbs = "|".join(re.escape(v) for v in cues.get("briefing", [])) or "(?!)"
        self.briefing = re.compile(rf"\b({verbs})\b(.{{1,80}}?)\b(?:on|about|of)\b", re.IGNORECASE)
        self.background = [tuple(c.replace("'", " '").replace("’", " ’").split()) for c in cues.get("background", [])]
        self.needs_detail = {r["id"] for r in data["meetings"] if r.get("needs_detail")}
        self.topic_before = [tuple(c.split()) for c in cues.get("topic_before", [])]
        self.topic_after = set(cues.get("topic_after", []))
        self.home_titles = {t.lower() for t in cues.get("home_titles", [])}

    def apply(self, annotated: Annotated) -> Facts:
        article = annotated.article
        ref = article.reference_date
        by_sentence = _mentions_by_sentence(annotated)
        officials = {o.key: o for o in annotated.officials}
        main = _main_states(annotated)
        home = annotated.home
        meetings: list[Meeting] = []
        agreements: list[Agreement] = []
        previous_states: list[str] = []
        for index, sentence in enumerate(annotated.sentences):
            mentions = by_sentence[index]
            # "Israel's Ambassador to Washington": a state named in a title takes no part in the events.
            # "on the war in Ukraine", "Russia's invasion": a state the sentence talks about takes no part.
            topics = self._topics(sentence, mentions)
            states = _ordered_unique(m.key for m in mentions if m.kind == "state" and m.key and m.role != "title"
                                     and m.start not in topics)
            # "The Prime Minister updated President X on his visit to Y": who is told of an event is not in it.
            audience = self._audience(sentence, mentions)
            states = [s for s in states if s not in audience]
            people = _ordered_unique(m.key for m in mentions if m.kind == "person" and m.start not in audience)
            person_states = _ordered_unique(officials[p].state for p in people if officials[p].state)
            if home and self._home_title(sentence, mentions):
                # "The Prime Minister met ...": a bare title in a readout is the publisher's (or dateline's) own.
                person_states = _ordered_unique([*person_states, home])
            # An all-capitals line is a wire headline: it repeats the story's first sentence and hides names.
            shouting = not any(c.islower() for c in sentence.text)
            hits = [] if shouting else self._hits(sentence, mentions)
            if hits:  # (the hits of a sentence share its tokens: each look at them is one pass, not one a hit)
                negated = self._negated(hits[0].lower_tokens)
                hits = [h for h in hits if not negated[h.trigger_index]]
            if hits and not people:
                business = self._business(hits[0].lower_tokens)
                hits = [h for h in hits if h.trigger_index + h.length <= business]
            if hits:
                if True:
                    meeting_hits = [h for h in hits if h.family == "meeting"]
                    if meeting_hits:
                        m = self._meeting(meeting_hits, hits, sentence, mentions, states, people, person_states,
                                          previous_states, main, home, ref)
                        if m:
                            meetings.extend(_split_visit(m, sentence, mentions, meeting_hits, home))
                    agreements.extend(self._agreements(hits, sentence, mentions, states, person_states,
                                                       previous_states, main, ref, home))
            if states or person_states:
                previous_states = _ordered_unique([*states, *person_states])
        all_states = _ordered_unique(m.key for m in annotated.mentions if m.kind == "state" and m.key)
        all_states = _ordered_unique([*all_states, *(o.state for o in annotated.officials if o.state)])
        return Facts(annotated, all_states, _merge_meetings(meetings), _merge_agreements(agreements))

    # -----------------------------------------------------------------------------------------
    def _hits(self, sentence: Sentence, mentions: list[Mention]) -> list[_Hit]:
        if not self.keywords.intersection(WORD.findall(sentence.text.lower())):
            return []  # most sentences of a story trigger nothing: skip tokenising and matching them
        doc = self.nlp.make_doc(sentence.text)
        # Triggers may test what a token is (`_: {kind: ...}`), as the annotator found it.
        for m in mentions:
            kind = MENTION_KIND.get((m.kind, m.role), MENTION_KIND.get((m.kind, None)))
            span = doc.char_span(m.start - sentence.start, m.end - sentence.start, alignment_mode="expand")
            if kind and span is not None:
                for tok in span:
                    tok.ent_type_ = kind
        # A capitalised modal inside a sentence is a name, not a tense ("Theresa May held talks").
        lower = [f"{t.lower_}:name" if t.i and t.lower_ in MODALS and t.text[:1].isupper() else t.lower_ for t in doc]
        hits = []
        for match_id, start, end in self.matcher(doc):
            rule = self.rules[self.nlp.vocab.strings[match_id]]
            span = doc[start:end]
            if span[-1].ent_type_ == "org":
                continue  # a trigger word inside an organisation's name: "the Eastern Partnership summit"
            if rule["family"] == "meeting" and (start and lower[start - 1] in self.not_before_meeting
                                                or end < len(lower) and lower[end] in self.not_after_meeting):
                continue  # "told a news conference", "to meet U.S. demands": no encounter of states
            hits.append(_Hit(rule["id"], rule["kind"], rule["family"], rule.get("date_group", rule["family"]),
                             sentence.start + span.start_char,
                             sentence.start + span.end_char, lower, start, end - start,
                             # "the agreement" may echo one named before; "the Atlantic Declaration" is a name
                             any(t in self.anaphoric for t in lower[max(0, start - 2): start])
                             and not (start > 1 and doc[start - 1].text[:1].isupper()
                                      and doc[start - 1].lower_ not in self.anaphoric),
                             plural=lower[end - 1].endswith("s") and lower[end - 1] not in ("talks", "mous", "news")))
        hits.sort(key=lambda h: h.start)
        return hits

    def _audience(self, sentence: Sentence, mentions: list[Mention]) -> set[int | str]:
        """The people (by the start of their mention) and states (by key) told of something: named between a
        briefing verb and the "on" or "about" after it ("briefed Minister X on ..."), and nowhere else."""
        match = self.briefing.search(sentence.text)
        if not match:
            return set()
        a, b = sentence.start + match.start(2), sentence.start + match.end(2)
        told = [m for m in mentions if m.kind in ("person", "state") and a <= m.start < b]
        elsewhere = {m.key for m in mentions if m.kind == "state" and not a <= m.start < b}
        return {m.start for m in told if m.kind == "person"} | {m.key for m in told
                                                               if m.kind == "state" and m.key not in elsewhere}

    def _topics(self, sentence: Sentence, mentions: list[Mention]) -> set[int]:
        """Starts of the state mentions that the sentence talks about rather than names as a side: after a
        topic cue ("on", "about", "the war in", "support for"), through a list of states, or before a possessive
        topic noun ("Russia's invasion")."""
        text = sentence.text
        out: set[int] = set()
        states = [m for m in mentions if m.kind == "state"]
        by_end: dict[int, list[Mention]] = {}
        for m in states:
            by_end.setdefault(m.end, []).append(m)
        # words needed before a state: the last TOPIC_REACH of them, and a cue's length more
        need = TOPIC_REACH + max((len(c) for c in self.topic_before), default=0)
        for m in states:
            words = self._words_before(text, m.start - sentence.start, need)
            # the cue may stand a few words before: "on the buildup of Russian troops", not across a word
            # that names a side ("on Monday with Russian officials")
            near = [words[:len(words) - k] for k in range(TOPIC_REACH)
                    if k < len(words) and not set(words[len(words) - k:]) & SIDE_WORDS]
            # (states ending at most 6 characters before this one: looked up by their end, not all scanned)
            if any(_ends_with_cue(w, self.topic_before) for w in near) or any(
                    o.start in out for end in range(m.start - 6, m.start + 1) for o in by_end.get(end, ())
                    if o is not m):
                out.add(m.start)
                continue
            after = WORD.findall(text[m.end - sentence.start: m.end - sentence.start + 40].lower())
            if len(after) >= 2 and after[0] in ("'s", "’s", "'", "’") and after[1] in self.topic_after \
                    or len(after) >= 3 and after[0] in ("'", "’") and after[1] == "s" and after[2] in self.topic_after:
                out.add(m.start)
        return out

    @staticmethod
    def _words_before(text: str, pos: int, need: int) -> list[str]:
        """The lower-cased words of text[:pos], less a list's trailing "the", ",", "and", "or", "'s" (walking back
        over a list of states: "on Syria, Ukraine and Libya"). Only the last `need` words count, so only as much
        text before `pos` is read as gives more than that many (all of it, for each state, was quadratic in a long
        sentence naming many states); the first word of a window may be cut, so one more is always read."""
        width = 256
        while True:
            start = max(0, pos - width)
            words = WORD.findall(text[start:pos].lower())
            while words and words[-1] in ("the", ",", "and", "or") or (words and words[-1] in ("'s", "’s")):
                words.pop()
            if start == 0 or len(words) > need:
                return words
            width *= 4

    def _home_title(self, sentence: Sentence, mentions: list[Mention]) -> bool:
        """Whether the sentence names an office by its bare title ("the Prime Minister", "The PM") as someone
        acting, with no name and no state of its own."""
        # a coordinated official's span starts with its "and" ("the Prime Minister and Prime Minister Michel")
        named = [(m.start + len(m.text) - len(m.text.lstrip(",& ").removeprefix("and ")), m.end)
                 for m in mentions if m.kind in ("person", "state")]
        text = sentence.text
        for m in mentions:
            if m.kind != "title" or m.text.lower() not in self.home_titles:
                continue
            if any(s <= m.start < e or 0 <= s - m.end <= 4 for s, e in named):
                continue  # "Prime Minister Theresa May", "the Prime Minister of Iraq"
            before = text[max(0, m.start - sentence.start - 5): m.start - sentence.start].lower()
            after = text[m.end - sentence.start: m.end - sentence.start + 4].lower()
            # "the Prime Minister", or a headline's "PM meeting with ..."
            if (before.rstrip().endswith("the") or m.start == sentence.start) \
                    and not after.startswith((" of", "’s", "'s")):
                return True
        return False

    def _business(self, words: list[str]) -> int:
        """Firms, not states: a trigger is a firm's when a business word comes before its end ("X Corp said it
        signed a contract") and no word of government is in the sentence. The index a trigger must end by to be
        no firm's: the first business word's, or past the end."""
        stripped = [w.strip(".,") for w in words]
        if any(w in self.government for w in stripped):
            return len(words) + 1
        return next((i for i, w in enumerate(stripped) if w in self.business), len(words) + 1)

    def _not_concluded(self, hit: _Hit, first_cue: int) -> bool:
        """`first_cue`: the index of the sentence's first not-concluding word (a look at all the words before each
        trigger was quadratic in a long sentence full of triggers)."""
        end = hit.trigger_index + hit.length
        after = hit.lower_tokens[end: end + 4]
        hedged = any(t in ("could", "not", "n't", "never", "yet", "might") for t in after)
        if hedged or first_cue < hit.trigger_index:
            after = hit.lower_tokens[hit.trigger_index: hit.trigger_index + 6]
            return not any(t in ("signed", "initialled", "initialed", "reached", "concluded") for t in after)
        return False

    def _concluded_here(self, hit: _Hit) -> bool:
        """A concluding word in the trigger's clause, at most CONCLUDE_BEFORE words before it or CONCLUDE_AFTER
        after it; "agreed" followed by "that", "to" or "on" is a statement or a pledge, not an agreement made."""
        words = hit.lower_tokens
        end = hit.trigger_index + hit.length
        for i in range(hit.trigger_index - 1, max(-1, hit.trigger_index - CONCLUDE_BEFORE - 1), -1):
            if words[i] in (";", ":"):
                break
            if self._concludes(words, i):
                return True
        for i in range(end, min(len(words), end + CONCLUDE_AFTER)):
            if words[i] in (";", ":", ","):
                break
            if self._concludes(words, i):
                return True
        return False

    def _concludes(self, words: list[str], i: int) -> bool:
        if words[i] == "agreement" and i + 1 < len(words) and words[i + 1] == "of":
            return True  # "welcomed the agreement of the Atlantic Declaration"
        if words[i] not in self.conclude:
            return False
        return not (words[i] in AGREE and i + 1 < len(words) and words[i + 1] in PLEDGE_AFTER)

    def _negotiated(self, hit: _Hit) -> bool:
        """"Talks on a new treaty", "work towards a returns agreement": a negotiating word shortly before the
        trigger with no concluding word between them."""
        words = hit.lower_tokens
        for i in range(hit.trigger_index - 1, max(-1, hit.trigger_index - CONCLUDE_BEFORE - 1), -1):
            if words[i] in self.conclude:
                return False
            if words[i] in self.negotiation:
                return True
        return False

    def _negated(self, words: list[str]) -> list[bool]:
        """Proposals, hopes, calls, phone calls and letters before the trigger, in its clause: not an event.
        ("reaffirmed their support for the negotiations, and looked forward to the trade mission" is one.)
        For each token of the sentence, whether a trigger there is negated: the nearest of a clause boundary and a
        negating word before it decides (one pass over the sentence, where a look back from each trigger was
        quadratic in a long sentence full of triggers)."""
        negated = [False]
        for i, w in enumerate(words):
            if w in (";", ":") or w == "and" and i > 0 and words[i - 1] == ",":
                negated.append(False)
            else:
                negated.append(w in self.not_event or negated[-1])
        return negated

    def _status(self, hit: _Hit, family: str) -> str:
        words = hit.lower_tokens
        end = hit.trigger_index + hit.length
        start = max(0, hit.trigger_index - 20)
        for i in range(hit.trigger_index - 1, start - 1, -1):  # the clause the trigger is in
            if words[i] in (",", ";", ":", "--"):
                start = i + 1
                break
        before = words[start:end]
        planned = _has_cue(before, self.planned if family == "agreement" else self.planned_meeting)
        if family == "agreement":
            after = words[end: end + 4]
            # "signed a treaty", and "under an agreement reached in Tehran today" though "will import" comes first
            if any(t in ("signed", "initialled", "initialed", "reached") for t in [*before, *after[:1]]):
                return "concluded"
            return "planned" if planned or _has_cue(after, [("will",), ("to", "be"), ("would",)]) else "concluded"
        if planned:
            return "planned"
        if _has_cue(words[max(0, hit.trigger_index - 6): end + 3], self.ongoing):
            return "ongoing"
        return "held"

    def _meeting(self, hits: list[_Hit], all_hits: list[_Hit], sentence: Sentence, mentions: list[Mention],
                 states: list[str], people: list[str], person_states: list[str], previous_states: list[str],
                 main: list[str], dateline_state: str | None, ref: dt.date | None) -> Meeting | None:
        hit = next((h for h in hits if h.kind == "visit"), hits[0])
        kind = hit.kind
        host, place = _host_and_place(mentions, hit)
        if kind == "meeting":
            # A city or state named as the venue ("at the G7 Summit in Italy", "in Vilnius") is where the
            # encounter is, not a side of it, unless the sentence names it otherwise too.
            acting = {m.key for m in mentions if m.kind == "state" and m.role != "place"}
            venue = {m.key for m in mentions if m.kind == "state" and m.role == "place"} - acting
            states = [s for s in states if s not in venue]
            if host in venue and host not in person_states:
                host = None
        named = _ordered_unique([*states, *person_states])
        parts = list(named)
        if host and host not in parts:
            parts.append(host)
        lower = set(hit.lower_tokens)
        if len(parts) < 2 and (lower & self.anaphora) and len(previous_states) >= 2:
            parts = _ordered_unique([*parts, *previous_states])
        if len(parts) < 2 and ("here" in lower or not parts) and dateline_state and dateline_state not in parts:
            parts.append(dateline_state)
            if "here" in lower:
                host = host or dateline_state
        if len(parts) < 2:  # the story's main states complete a pair, no more
            parts = _ordered_unique([*parts, *main])[:2]
        if hit.rule in self.needs_detail and not (people or place or _event_dates(mentions, sentence)):
            return None  # "after the two governments signed a memorandum": no signatories, place or day
        if len(parts) < 2:
            return None
        date_mention = _owned(_event_dates(mentions, sentence), hit, all_hits, by_family=True)
        status = self._status(hit, "meeting")
        date = _date_value(date_mention, status, ref)
        value = date_mention.value if date_mention is not None else None
        if status == "held" and date and ref and getattr(value, "kind", None) == "absolute" and value.future \
                and (ref - date).days > HALF_YEAR >= (value.future - ref).days:
            # A day and month with no year and no tense of its own ("when he visits Washington on April 29", "is
            # due here May 2"): news tells an encounter of another year with its year, so it is the coming one.
            date = value.future
        if date_mention is not None and status in ("held", "ongoing") and date and ref and date > ref:
            status = "planned"
        if kind == "visit" and host is None:
            host = _visit_host(mentions, hit, parts)
            if host is None and len(named) < 2 and not people:
                return None  # "from visiting friends and family": no one goes anywhere we can name
        before = hit.lower_tokens[max(0, hit.trigger_index - 4): hit.trigger_index]
        return Meeting(kind=kind, status=status, states=parts, people=people, host=host, place=place, date=date,
                       evidence=[Evidence(sentence.start, sentence.end, hit.rule)],
                       # "during the visit" names an encounter told of elsewhere; so does a sentence naming no side
                       reference="during" in before, contextual=not named)

    def _agreements(self, hits: list[_Hit], sentence: Sentence, mentions: list[Mention], states: list[str],
                    person_states: list[str], previous_states: list[str], main: list[str],
                    ref: dt.date | None, home: str | None = None) -> list[Agreement]:
        all_hits = hits
        hits = [h for h in hits if h.family == "agreement"]
        if not hits:
            return []
        lower = hits[0].lower_tokens
        if not any(self._concludes(lower, i) for i in range(len(lower))):
            return []
        # The act must be the agreement's: a concluding word near it in its clause ("signed a new ...",
        # "the agreement reached last night"), not anywhere in the sentence ("they agreed it was important to
        # build ... a modern partnership"); and not one still being negotiated ("talks on a new treaty").
        # A specific kind told after a generic agreement concluded ("an agreement reached ... to reschedule
        # debt") is that agreement.
        done = sorted((o for o in hits if self._concluded_here(o)), key=_index)
        treaties = [o for o in done if o.kind == "treaty"]
        hits = [h for h in hits if _near_concluded(h, done, treaties)]
        # Background ("under the pact"), hypotheses ("an accord could be reached") and negations are not news;
        # "working group meetings" are meetings.
        not_concluded = next((i for i, t in enumerate(lower) if t in self.not_concluded), len(lower))
        hits = [h for h in hits if not self._not_concluded(h, not_concluded) and not self._negotiated(h)
                and not _has_cue(h.lower_tokens[max(0, h.trigger_index - 6): h.trigger_index], self.background)
                and h.lower_tokens[h.trigger_index + h.length: h.trigger_index + h.length + 1] not in
                [[w] for w in self.not_after]]
        if not hits:
            return []
        # A sentence naming a specific kind ("commercial agreements") is not also a generic treaty.
        kinds = {h.kind for h in hits}
        if len(kinds) > 1:
            hits = [h for h in hits if h.kind != "treaty"]
        mediators = self._mediators(mentions, hits[0].lower_tokens, sentence)
        named_after = self._named_after(sentence, mentions, hits)
        parties = [s for s in _ordered_unique([*states, *person_states]) if s not in mediators and s not in named_after]
        if len(parties) < 2 and (set(lower) & self.anaphora) and len(previous_states) >= 2:
            parties = _ordered_unique([*parties, *(s for s in previous_states if s not in mediators)])
        # "Signature of a visa facilitation agreement with Azerbaijan" in an organisation's release (no home
        # state), or beside an organisation named here: the state is the one party (guidelines: EU+1 state).
        has_org = any(m.kind == "org" for m in mentions)
        with_org = len(parties) == 1 and (home is None or has_org) \
            and parties[0] in _with_parties(sentence, mentions, hits[0])
        if len(parties) == 1 and not with_org and not has_org:
            # "Under the deal signed last year, Saudi Arabia has agreed to buy ...": the other side was named
            # in the sentence before; an organisation named here (the Paris Club) is the other side instead.
            parties = _ordered_unique([*parties, *(s for s in previous_states if s not in mediators)])
        if not parties:
            parties = [s for s in main if s not in mediators]
        if not parties:
            return []
        money = [m for m in mentions if m.kind == "money"]
        counts = [m for m in mentions if m.kind == "count"]
        dates = [m for m in mentions if m.kind == "date"]
        out = []
        seen_kinds = set()
        # one agreement per kind: told by its name where the sentence names it ("the agreement of the Atlantic
        # Declaration"), not by its echo
        for hit in sorted(hits, key=lambda h: h.definite):
            if hit.kind in seen_kinds:
                continue
            seen_kinds.add(hit.kind)
            status = self._status(hit, "agreement")
            # Each value goes to the agreement whose trigger is nearest to it.
            value = _owned(money, hit, hits)
            count = next((c for c in counts if COUNT_KIND.get(c.key or "", "x") == hit.kind), None) \
                if hit.kind == "mou" else _owned(counts, hit, hits)
            deadline = next((d for d in dates if d.role == "deadline"), None) if hit.kind == "target" else None
            if hit.kind == "target" and value is None:
                continue  # a target is a numeric goal: "a target of $1 billion"
            if len(parties) < 2 and not with_org and (hit.kind != "commercial" or not has_org):
                # memoranda, partnerships, treaties, joint bodies bind two sides or more; one state's deal needs a
                # named other side, such as the Paris Club ("struck a deal with ITT Corp" is a firm's)
                continue
            when = _owned(_event_dates(mentions, sentence), hit, all_hits, by_family=True)
            # "concluded air transport agreements with Ecuador, Tunisia and Grenada": one agreement each
            listed = _listed_after(sentence, mentions, hit, ("with",)) if hit.plural else []
            others = [p for p in parties if p not in listed]
            groups = [[*others, s] for s in listed] if len(listed) >= 2 and others else [parties]
            for group in groups:
                out.append(Agreement(
                    kind=hit.kind, generic=hit.kind == "treaty" and hit.definite, status=status, parties=group,
                    signed=any(t in SIGNED for t in lower),
                    mediators=mediators,
                    count=count.value if count is not None and hit.kind != "target" else None,
                    date=_date_value(when, "planned" if status == "planned" else "held", ref),
                    amount=float(value.value[0]) if value is not None else None,
                    currency=value.value[1] if value is not None else None,
                    target_date=deadline.value.future if deadline is not None else None,
                    evidence=[Evidence(sentence.start, sentence.end, hit.rule)],
                ))
        return out

    def _named_after(self, sentence: Sentence, mentions: list[Mention], hits: list[_Hit]) -> set[str]:
        """States named in the sentence only by a city that names an agreement: "last month's Paris currency
        accord", "the Geneva convention" (where it was made, not who is bound). A verb or a function word between
        the city and the trigger makes the city a side again: "Washington signed an accord", "Paris and Bonn ..."."""
        text, found, other = sentence.text, set(), set()
        for m in mentions:
            if m.kind != "state":
                continue
            gap = next((text[m.end - sentence.start: h.start - sentence.start] for h in hits
                        if 0 <= h.start - m.end <= 40), None)
            words = gap.split() if gap is not None else None
            if m.role == "capital" and words is not None and len(words) <= 3 and gap[:1].isspace() and all(
                    w.isalpha() and w.islower() and w not in self.conclude and w not in self.not_in_a_name
                    for w in words):
                found.add(m.key)
            else:
                other.add(m.key)
        return found - other

    def _mediators(self, mentions: list[Mention], lower: list[str], sentence: Sentence) -> list[str]:
        text = sentence.text.lower()
        out = []
        for word in self.mediation:
            pos = text.find(word)
            if pos < 0:
                continue
            before = [m for m in mentions if m.kind == "state" and m.start - sentence.start < pos]
            if before:
                out.append(before[-1].key)
        return _ordered_unique(out)


# -- slot filling helpers ---------------------------------------------------------------------------
def _ordered_unique(items: Iterable[str | None]) -> list[str]:
    return list(dict.fromkeys(i for i in items if i))


def _mentions_by_sentence(annotated: Annotated) -> list[list[Mention]]:
    out: list[list[Mention]] = [[] for _ in annotated.sentences]
    starts = [s.start for s in annotated.sentences]
    for m in annotated.mentions:
        i = bisect.bisect_right(starts, m.start) - 1
        if 0 <= i < len(out) and m.start < annotated.sentences[i].end:
            out[i].append(m)
    return out


def _main_states(annotated: Annotated) -> list[str]:
    """The two states the article is most about: most mentioned, the headline counting double."""
    counts: Counter[str] = Counter()
    headline_end = len(annotated.article.headline)
    for m in annotated.mentions:
        if m.kind == "state" and m.key:
            counts[m.key] += 2 if m.start < headline_end else 1
    for o in annotated.officials:
        if o.state:
            counts[o.state] += len(o.mentions)
    return [s for s, _ in counts.most_common(2)]


def _host_and_place(mentions: list[Mention], hit: _Hit) -> tuple[str | None, str | None]:
    """A city named after 'in'/'to' makes the place and its state the host; a state named so makes the host."""
    place = host = None
    for m in mentions:
        if m.kind == "city" and m.value:
            place, host = m.key, m.value
            break
    if host is None:
        for m in mentions:
            if m.kind == "state" and m.role == "place":
                host = m.key
                break
    return host, place


def _visit_host(mentions: list[Mention], hit: _Hit, parts: list[str]) -> str | None:
    """The state a visit goes to: the first state named after the trigger ('visit to China', 'is in Malaysia')."""
    placed = [m for m in mentions if m.kind == "state" and m.start >= hit.start
              and (m.role == "place" or (m.role != "adjective" and 0 <= m.start - hit.end <= 1))]
    return placed[0].key if placed else None  # "is in Malaysia", "a visit to China", "will visit Japan"


def _nearest(mentions: list[Mention], kind: str, hit: _Hit) -> Mention | None:
    candidates = [m for m in mentions if m.kind == kind and m.role != "deadline"]
    if not candidates:
        return None
    return min(candidates, key=lambda m: abs(m.start - hit.start))


def _owned(values: list[Mention], hit: _Hit, hits: list[_Hit], by_family: bool = False) -> Mention | None:
    """The value nearest to this trigger, if no other trigger of the sentence is nearer to it.

    With by_family, triggers of the same family (meeting or agreement) share their values: a date between
    "signed 37 memoranda" and "set a target" belongs to both, but not to "arrived ... on a visit".
    """
    best = None
    for v in values:
        nearest = min(hits, key=lambda h: abs(h.start - v.start))
        same = nearest.date_group == hit.date_group if by_family else nearest.kind == hit.kind
        if same and (best is None or abs(v.start - hit.start) < abs(best.start - hit.start)):
            best = v
    return best


REPORTING = ("said", "says", "told", "announced", "reported", "added", "stated")


def _event_dates(mentions: list[Mention], sentence: Sentence) -> list[Mention]:
    """Day-precise dates of the sentence, leaving out deadlines and when something was said ("said on Sunday")."""
    out = []
    for m in mentions:
        if m.kind != "date" or m.role == "deadline" or getattr(m.value, "precision", "day") != "day":
            continue
        before = sentence.text[max(0, m.start - sentence.start - 16): m.start - sentence.start].lower().split()
        if any(w in REPORTING for w in before[-3:]):
            continue
        out.append(m)
    return out


def _date_value(mention: Mention | None, status: str, ref: dt.date | None = None) -> dt.date | None:
    """The day a date mention gives: the past reading for held events, the future one for planned events,
    and for ongoing ones ("begins a visit on Tuesday") the reading nearest the article's day."""
    if mention is None or mention.value is None:
        return None
    d = mention.value
    if getattr(d, "precision", "day") != "day":
        return None
    if status == "ongoing" and ref and d.past and d.future:
        return min((d.past, d.future), key=lambda day: abs((day - ref).days))
    return d.future if status == "planned" else d.past


def _split_visit(meeting: Meeting, sentence: Sentence, mentions: list[Mention], hits: list[_Hit],
                 home: str | None) -> list[Meeting]:
    """A trip to several states ("will travel to Berlin, Seoul and Tokyo", "visited Japan and Korea") is one
    visit to each; the travellers are the other sides, else the article's home state."""
    if meeting.kind != "visit":
        return [meeting]
    listed: list[str] = []
    for hit in (h for h in hits if h.kind == "visit"):
        listed = _listed_after(sentence, mentions, hit, ("to", "in"))
        if len(listed) < 2:  # "will travel to Berlin, Seoul and Tokyo", "visiting Thailand, Indonesia and ..."
            listed = _listed_after(sentence, mentions, hit, ("",))
        if len(listed) >= 2:
            break
    travellers = [s for s in meeting.states if s not in listed] or ([home] if home and home not in listed else [])
    if len(listed) < 2 or not travellers:
        return [meeting]
    return [dataclasses.replace(meeting, states=[*travellers, host], host=host,
                                place=meeting.place if host == meeting.host else None,
                                evidence=list(meeting.evidence), people=list(meeting.people))
            for host in listed]


def _with_parties(sentence: Sentence, mentions: list[Mention], hit: _Hit) -> list[str]:
    """States named after "with" later in the trigger's sentence: "an Association Agreement ... with Georgia"."""
    text = sentence.text
    out = []
    for m in mentions:
        if m.kind == "state" and m.start >= hit.end:
            before = text[max(0, m.start - sentence.start - 20): m.start - sentence.start].lower().split()
            if "with" in before[-4:]:
                out.append(m.key)
    return out


def _listed_after(sentence: Sentence, mentions: list[Mention], hit: _Hit, preps: tuple[str, ...]) -> list[str]:
    """The states listed right after the trigger and one of `preps`: "with Ecuador, Tunisia and Grenada",
    "to Berlin, Seoul and Tokyo" (a city stands for its state)."""
    text = sentence.text
    pos = hit.end - sentence.start
    gap = text[pos: pos + 24].lower()
    prep = next((p for p in preps if re.match(rf"\s*{p}\s", gap)), None) if any(preps) else ""
    if prep is None:
        return []
    pos += gap.index(prep) + len(prep) if prep else 0
    out: list[str] = []
    for m in sorted((m for m in mentions if m.kind == "state" and m.start - sentence.start >= pos),
                    key=lambda m: m.start):
        between = text[pos: m.start - sentence.start].strip().lower()
        if between not in ("", ",", "and", ", and", "the", ", the", "and the", ", and the", "or", ", or"):
            if between.startswith(",") and re.fullmatch(r",[\w .'’-]{0,20}", between) and out:
                between = ""  # "Berlin, Germany": the state after a city names the same place
            else:
                break
        if m.key not in out:
            out.append(m.key)
        pos = m.end - sentence.start
    return out


def _ends_with_cue(words: list[str], cues: list[tuple[str, ...]]) -> bool:
    return any(len(words) >= len(c) and tuple(words[-len(c):]) == c for c in cues)


def _has_cue(words: list[str], cues: list[tuple[str, ...]]) -> bool:
    return any(tuple(words[i:i + len(c)]) == c for c in cues for i in range(len(words) - len(c) + 1))


# -- merging: the same event mentioned several times is one fact ------------------------------------
def _compatible(a: object, b: object) -> bool:
    return a is None or b is None or a == b


def _merge_meetings(meetings: list[Meeting]) -> list[Meeting]:
    """Merge mentions of one encounter: same states, no conflicting day, host, status or people.

    A reference ("during the visit") joins the encounter whatever its tense; a mention that names no side itself
    only adds evidence to an encounter named elsewhere, and is dropped when there is none.
    """
    out: list[Meeting] = []
    for m in sorted(meetings, key=lambda m: m.reference or m.contextual):
        for o in out:
            if set(o.states) != set(m.states):
                continue
            if not (_compatible(o.date, m.date) and _compatible(o.host, m.host)):
                continue
            if {o.status, m.status} == {"held", "planned"} and not m.reference:
                continue
            if o.people and m.people and not set(o.people) & set(m.people):
                continue
            if o.kind != m.kind and o.date and m.date and o.date != m.date:
                continue  # a visit and the talks held during it are one encounter, unless their days differ
            o.kind = "visit" if "visit" in (o.kind, m.kind) else o.kind
            o.status = o.status if o.status != "held" else m.status
            o.people = _ordered_unique([*o.people, *m.people])
            o.host, o.place, o.date = o.host or m.host, o.place or m.place, o.date or m.date
            o.evidence.extend(m.evidence)
            break
        else:
            # a mention naming no side is kept on its own only as a plan the sides are said to share
            # ("the leaders looked forward to seeing one another at the summit")
            if not m.contextual or m.status == "planned":
                out.append(m)
    out.sort(key=lambda m: min(e.start for e in m.evidence))
    return out


def _merge_agreements(agreements: list[Agreement]) -> list[Agreement]:
    """Merge mentions of one agreement: same kind and parties (one side named is enough), no conflicting values.

    A generic mention ("the agreement", kind treaty) of parties that have a more specific agreement in the
    article refers back to it.
    """
    specific = {frozenset(a.parties) for a in agreements if a.kind != "treaty"}
    agreements = sorted(agreements, key=lambda a: -len(a.parties))
    out: list[Agreement] = []
    for a in agreements:
        if a.generic and frozenset(a.parties) not in specific and not a.signed:
            continue  # "the agreement had been reached": refers to something not named as an agreement here
        if a.generic and frozenset(a.parties) in specific:
            a.kind = next(o.kind for o in agreements if o.kind != "treaty" and set(o.parties) == set(a.parties))
        for o in out:
            if o.kind != a.kind or not set(a.parties) <= set(o.parties):
                continue
            if not (_compatible(o.date, a.date) and _compatible(o.count, a.count)
                    and _compatible(o.amount, a.amount) and o.status == a.status):
                continue
            o.date, o.count = o.date or a.date, o.count or a.count
            if o.amount is None:
                o.amount, o.currency = a.amount, a.currency
            o.target_date = o.target_date or a.target_date
            o.mediators = _ordered_unique([*o.mediators, *a.mediators])
            o.evidence.extend(a.evidence)
            break
        else:
            out.append(a)
    return out


@lru_cache(maxsize=1)
def default_rules() -> RuleSet:
    return RuleSet()


def extract(annotated: Annotated) -> Facts:
    return default_rules().apply(annotated)
