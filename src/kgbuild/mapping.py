"""Turn the facts of one article into the quads of its named graph, as the public contract shapes them."""

from __future__ import annotations

import datetime as dt

import pyoxigraph as ox

from . import gazetteer as gaz
from .records import Agreement, Facts, Meeting, Official
from .vocab import (
    ENTITIES_GRAPH,
    KG,
    OA,
    OWL,
    PROV,
    RDF,
    RDFS,
    SCHEMA,
    WD,
    XSD,
    agreement_iri,
    article_iri,
    event_iri,
    organization_iri,
    person_iri,
    place_iri,
    position_iri,
    slug,
    state_iri,
)

AGREEMENT_CLASS = {
    "mou": "MemorandumOfUnderstanding", "partnership": "Partnership", "commercial": "CommercialAgreement",
    "target": "Target", "ceasefire": "Ceasefire", "treaty": "Treaty", "body": "JointBodyAgreement",
}
KIND_LABEL = {
    "mou": "Memorandum of understanding", "partnership": "Partnership", "commercial": "Commercial agreement",
    "target": "Target", "ceasefire": "Ceasefire", "treaty": "Treaty", "body": "Joint body",
}
STATUS = {"held": "Held", "ongoing": "Ongoing", "planned": "Planned", "concluded": "Concluded"}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _en(text: str) -> ox.Literal:
    return ox.Literal(text, language="en")


def _date(day: dt.date) -> ox.Literal:
    return ox.Literal(day.isoformat(), datatype=_n(XSD + "date"))


ENTITIES = _n(ENTITIES_GRAPH)
A = _n(RDF + "type")
LABEL = _n(RDFS + "label")
SAME = _n(OWL + "sameAs")
DERIVED = _n(PROV + "wasDerivedFrom")


class GraphBuilder:
    """Collects an article's triples, and apart from them the descriptions of the shared entities it names."""

    def __init__(self, graph: str, text: str) -> None:
        self.graph = _n(graph)
        self.text = text  # the article text the evidence offsets point into
        self.quads: list[ox.Quad] = []
        self.entities: list[ox.Quad] = []
        self._seen: set = set()

    def add(self, s: ox.NamedNode | ox.BlankNode, p: str, o: ox.NamedNode | ox.Literal | ox.BlankNode) -> None:
        self._put(self.quads, ox.Quad(s, _n(p), o, self.graph))

    def describe(self, s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        """A statement about a shared entity, true whatever the article: it goes to the entities graph."""
        self._put(self.entities, ox.Quad(s, _n(p), o, ENTITIES))

    def _put(self, target: list[ox.Quad], q: ox.Quad) -> None:
        if q not in self._seen:
            self._seen.add(q)
            target.append(q)


class Mapper:
    def __init__(self, gazetteers: gaz.Gazetteers | None = None) -> None:
        self.gaz = gazetteers or gaz.load()
        self._places_by_name = {form.lower(): p.id for p in reversed(list(self.gaz.places.values()))
                                for form in (p.name, *p.aliases)}

    def map(self, facts: Facts) -> tuple[str, list[ox.Quad], list[ox.Quad]]:
        """The article graph's IRI, its quads, and the quads describing the shared entities it names."""
        article = facts.annotated.article
        iri = article_iri(article.key)
        g = GraphBuilder(iri, article.text)
        art = _n(iri)
        g.add(art, RDF + "type", _n(KG + "Article"))
        g.add(art, RDF + "type", _n(SCHEMA + "NewsArticle"))
        g.add(art, SCHEMA + "headline", ox.Literal(article.headline))
        if isinstance(article.published, dt.datetime):
            g.add(art, SCHEMA + "datePublished",
                  ox.Literal(article.published.replace(tzinfo=None).isoformat(), datatype=_n(XSD + "dateTime")))
        elif isinstance(article.published, dt.date):
            g.add(art, SCHEMA + "datePublished", _date(article.published))
        if article.identifier:
            g.add(art, SCHEMA + "identifier", ox.Literal(article.identifier))
        if article.url:
            g.add(art, SCHEMA + "url", ox.Literal(article.url))
        g.add(art, KG + "text", ox.Literal(article.text))
        day = article.reference_date

        for state in facts.states:
            g.add(art, SCHEMA + "mentions", self._state(g, state))
        if article.dateline:
            place = self._place_by_name(article.dateline)
            if place:
                g.add(art, KG + "dateline", self._place(g, place))
        officials = {o.key: o for o in facts.annotated.officials}
        for o in facts.annotated.officials:
            self._official(g, o, art, day)
        for org in dict.fromkeys(m.key for m in facts.annotated.mentions if m.kind == "org" and m.key):
            g.add(art, SCHEMA + "mentions", self._organization(g, org))
        counter = 0
        for m in facts.meetings:
            counter += 1
            self._meeting(g, m, event_iri(article.key, counter), art, officials, iri, day)
        counter = 0
        for a in facts.agreements:
            counter += 1
            self._agreement(g, a, agreement_iri(article.key, counter), art, iri)
        return iri, g.quads, g.entities

    # -- entities -------------------------------------------------------------------------------
    def _state(self, g: GraphBuilder, state_id: str) -> ox.NamedNode:
        entry = self.gaz.states.get(state_id)
        node = _entity(g, state_iri(state_id), "State", entry)
        if entry and entry.iso2 and not entry.historical:
            g.describe(node, KG + "isoCode", ox.Literal(entry.iso2))
        return node

    def _place_by_name(self, name: str) -> str | None:
        return self._places_by_name.get(name.strip().lower())

    def _place(self, g: GraphBuilder, place_id: str) -> ox.NamedNode:
        entry = self.gaz.places.get(place_id)
        node = _entity(g, place_iri(place_id), "Place", entry)
        if entry and entry.state:
            g.describe(node, KG + "inState", self._state(g, entry.state))
        return node

    def person_iri(self, o: Official, day: dt.date | None) -> str:
        """People are keyed by name, and by Wikidata item when linked: the George Bush of 1987 and of 2003 differ."""
        qid = self._person_qid(o, day)
        return person_iri(f"{o.key}-{qid.lower()}" if qid else o.key)

    def _person_qid(self, o: Official, day: dt.date | None) -> str | None:
        """The one office holder of this name in office on the article's day, of the official's state when the text
        gave one and of an office its title can name; None when the table knows none or several."""
        if not day:
            return None
        return self.gaz.holder_index.person(o.name, day, o.state, o.title)

    def _official(self, g: GraphBuilder, o: Official, art: ox.NamedNode, day: dt.date | None) -> None:
        node = _n(self.person_iri(o, day))
        g.describe(node, RDF + "type", _n(KG + "Official"))
        g.describe(node, RDF + "type", _n(SCHEMA + "Person"))
        g.describe(node, RDFS + "label", _en(o.name))
        g.add(node, PROV + "wasDerivedFrom", art)
        if o.state:
            # Whom a person represents and the post they hold are said once, in the entities graph: a person named
            # in thousands of articles would otherwise repeat them thousands of times in the union graph.
            g.describe(node, KG + "represents", self._state(g, o.state))
        if o.title:
            pos_id = slug(f"{o.title} of {self.gaz.states[o.state].name}") if o.state in self.gaz.states \
                else slug(o.title)
            pos = _n(position_iri(pos_id))
            g.describe(node, KG + "holds", pos)
            g.describe(pos, RDF + "type", _n(KG + "Position"))
            g.describe(pos, KG + "title", ox.Literal(o.title))
            g.add(pos, PROV + "wasDerivedFrom", art)
            if o.state in self.gaz.states:
                g.describe(pos, RDFS + "label", _en(f"{o.title} of {self.gaz.states[o.state].name}"))
                g.describe(pos, KG + "ofState", self._state(g, o.state))
                entry = self.gaz.positions.get((o.state, o.title))
                if entry and entry.qid:
                    g.describe(pos, OWL + "sameAs", _n(WD + entry.qid))
            else:
                g.describe(pos, RDFS + "label", _en(o.title))
            self._evidence(g, pos, art, o.mentions[0][0], o.mentions[0][1], o.rule, g.graph.value)
        qid = self._person_qid(o, day)
        if qid:
            g.describe(node, OWL + "sameAs", _n(WD + qid))
        start, end = o.mentions[0]
        self._evidence(g, node, art, start, end, o.rule, g.graph.value)

    def _organization(self, g: GraphBuilder, org_id: str) -> ox.NamedNode:
        entry = self.gaz.organizations.get(org_id)
        node = _entity(g, organization_iri(org_id), "Organization", entry)
        if entry and entry.state:
            g.describe(node, KG + "ofState", self._state(g, entry.state))
        return node

    # -- events ---------------------------------------------------------------------------------
    def _meeting(self, g: GraphBuilder, m: Meeting, iri: str, art: ox.NamedNode, officials: dict[str, Official],
                 article: str, day: dt.date | None) -> None:
        node = _n(iri)
        g.add(node, RDF + "type", _n(KG + "Meeting"))
        if m.kind == "visit":
            g.add(node, RDF + "type", _n(KG + "Visit"))
        names = [self.gaz.states[s].name for s in m.states if s in self.gaz.states]
        label = ("Visit" if m.kind == "visit" else "Meeting") + ": " + ", ".join(names)
        if m.date:
            label += f", {m.date.isoformat()}"
        g.add(node, RDFS + "label", _en(label))
        for s in m.states:
            g.add(node, KG + "participant", self._state(g, s))
        for p in m.people:
            if p in officials:
                g.add(node, KG + "participant", _n(self.person_iri(officials[p], day)))
        if m.host:
            g.add(node, KG + "host", self._state(g, m.host))
        if m.place:
            g.add(node, KG + "place", self._place(g, m.place))
        if m.date:
            g.add(node, KG + "date", _date(m.date))
        g.add(node, KG + "status", _n(KG + STATUS[m.status]))
        g.add(node, PROV + "wasDerivedFrom", art)
        for e in m.evidence:
            self._evidence(g, node, art, e.start, e.end, e.rule, article)

    def _agreement(self, g: GraphBuilder, a: Agreement, iri: str, art: ox.NamedNode, article: str) -> None:
        node = _n(iri)
        g.add(node, RDF + "type", _n(KG + "Agreement"))
        g.add(node, RDF + "type", _n(KG + AGREEMENT_CLASS[a.kind]))
        names = [self.gaz.states[s].name for s in a.parties if s in self.gaz.states]
        g.add(node, RDFS + "label", _en(f"{KIND_LABEL[a.kind]}: {', '.join(names)}"))
        for s in a.parties:
            g.add(node, KG + "party", self._state(g, s))
        for s in a.mediators:
            g.add(node, KG + "mediator", self._state(g, s))
        if a.date:
            g.add(node, KG + "date", _date(a.date))
        g.add(node, KG + "status", _n(KG + STATUS[a.status]))
        if a.count is not None:
            g.add(node, KG + "instrumentCount", ox.Literal(str(a.count), datatype=_n(XSD + "nonNegativeInteger")))
        if a.amount is not None and a.currency:
            value = _n(f"{iri}-value")
            g.add(node, KG + "value", value)
            g.add(value, RDF + "type", _n(SCHEMA + "MonetaryAmount"))
            g.add(value, SCHEMA + "value", ox.Literal(_decimal(a.amount), datatype=_n(XSD + "decimal")))
            g.add(value, SCHEMA + "currency", ox.Literal(a.currency))
        if a.target_date:
            g.add(node, KG + "targetDate", _date(a.target_date))
        g.add(node, PROV + "wasDerivedFrom", art)
        for e in a.evidence:
            self._evidence(g, node, art, e.start, e.end, e.rule, article)

    def _evidence(self, g: GraphBuilder, body: ox.NamedNode, art: ox.NamedNode, start: int, end: int, rule: str,
                  article: str) -> None:
        # Skolem IRIs rather than blank nodes, so a re-run yields the very same triples; minted under the article,
        # since a shared person or position has evidence in many articles.
        local = "-".join(body.value.rsplit("/", 2)[-2:])  # "event-KEY-1", "person-shehbaz-sharif-q2096387"
        base = f"{article}/evidence/{local}-{start}-{end}"
        ann, target, pos, quote = _n(base), _n(base + "#target"), _n(base + "#position"), _n(base + "#quote")
        g.add(ann, RDF + "type", _n(OA + "Annotation"))
        g.add(ann, OA + "hasBody", body)
        g.add(ann, KG + "rule", ox.Literal(rule))
        g.add(ann, OA + "hasTarget", target)
        g.add(target, OA + "hasSource", art)
        g.add(target, OA + "hasSelector", pos)
        g.add(target, OA + "hasSelector", quote)
        g.add(pos, RDF + "type", _n(OA + "TextPositionSelector"))
        g.add(pos, OA + "start", ox.Literal(str(start), datatype=_n(XSD + "integer")))
        g.add(pos, OA + "end", ox.Literal(str(end), datatype=_n(XSD + "integer")))
        g.add(quote, RDF + "type", _n(OA + "TextQuoteSelector"))
        g.add(quote, OA + "exact", ox.Literal(g.text[start:end]))


def _entity(g: GraphBuilder, iri: str, cls: str, entry: object | None) -> ox.NamedNode:
    """A gazetteer entity's type, label and Wikidata link, in the entities graph."""
    node = _n(iri)
    g.describe(node, RDF + "type", _n(KG + cls))
    if entry is not None:
        g.describe(node, RDFS + "label", _en(entry.name))
        if entry.qid:
            g.describe(node, OWL + "sameAs", _n(WD + entry.qid))
    return node


def _decimal(amount: float) -> str:
    text = f"{amount:.2f}".rstrip("0").rstrip(".")
    return text if "." in text else text + ".0"
