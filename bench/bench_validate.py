"""Time SHACL validation of one realistic article graph (~150 triples).

    python bench/bench_validate.py [--runs 50] [--reference]

A synthetic article: 3 states, a place, 2 officials with positions, 2 meetings, 3 agreements (two with a
MonetaryAmount) and an evidence annotation with two selectors for every fact. Prints the median over the runs.
"""

from __future__ import annotations

import argparse
import statistics
import time

import pyoxigraph as ox

from kgbuild.validate import compiled_shapes, validate, validate_reference
from kgbuild.vocab import KG, KGR, OA, OWL, PROV, RDF, RDFS, SCHEMA, WD, XSD


def synthetic_article(key: str = "bench01") -> list[ox.Quad]:
    """One article's graph as the pipeline would produce it."""
    article = ox.NamedNode(f"{KGR}article/{key}")
    quads: list[ox.Quad] = []

    def n(iri: str) -> ox.NamedNode:
        return ox.NamedNode(iri)

    def add(s: ox.NamedNode | ox.BlankNode, p: str, o: object) -> None:
        quads.append(ox.Quad(s, n(p), o, article))

    def lit(value: str, datatype: str | None = None, lang: str | None = None) -> ox.Literal:
        if lang:
            return ox.Literal(value, language=lang)
        return ox.Literal(value, datatype=n(datatype)) if datatype else ox.Literal(value)

    text = "Pakistan and Kazakhstan sign MoUs\n\n" + "ISLAMABAD: Pakistan and Kazakhstan agreed ... " * 20
    add(article, RDF + "type", n(KG + "Article"))
    add(article, SCHEMA + "headline", lit("Pakistan and Kazakhstan sign MoUs"))
    add(article, SCHEMA + "datePublished", lit("2026-02-04", XSD + "date"))
    add(article, SCHEMA + "identifier", lit(key))
    add(article, SCHEMA + "url", n("https://example.org/news/" + key))
    add(article, KG + "text", lit(text))
    add(article, KG + "digest", lit("0" * 64))
    place = n(KGR + "place/islamabad")
    add(article, KG + "dateline", place)

    states = {}
    for sid, label, q in (("pk", "Pakistan", "Q843"), ("kz", "Kazakhstan", "Q232"), ("tr", "Türkiye", "Q43")):
        s = states[sid] = n(f"{KGR}state/{sid}")
        add(s, RDF + "type", n(KG + "State"))
        add(s, RDFS + "label", lit(label, lang="en"))
        add(s, OWL + "sameAs", n(WD + q))
        add(s, KG + "isoCode", lit(sid.upper()))
    add(place, RDF + "type", n(KG + "Place"))
    add(place, RDFS + "label", lit("Islamabad", lang="en"))
    add(place, KG + "inState", states["pk"])

    offset = [40]

    def evidence(fact: ox.NamedNode, rule: str) -> None:
        ann, target, pos, quote = ox.BlankNode(), ox.BlankNode(), ox.BlankNode(), ox.BlankNode()
        add(ann, RDF + "type", n(OA + "Annotation"))
        add(ann, OA + "hasBody", fact)
        add(ann, KG + "rule", lit(rule))
        add(ann, OA + "hasTarget", target)
        add(target, OA + "hasSource", article)
        add(target, OA + "hasSelector", pos)
        add(target, OA + "hasSelector", quote)
        add(pos, RDF + "type", n(OA + "TextPositionSelector"))
        add(pos, OA + "start", lit(str(offset[0]), XSD + "integer"))
        add(pos, OA + "end", lit(str(offset[0] + 45), XSD + "integer"))
        add(quote, RDF + "type", n(OA + "TextQuoteSelector"))
        add(quote, OA + "exact", lit(text[offset[0]:offset[0] + 45]))
        offset[0] += 46

    officials = []
    for pid, label, sid, title in (("shehbaz-sharif", "Shehbaz Sharif", "pk", "Prime Minister"),
                                   ("kassym-jomart-tokayev", "Kassym-Jomart Tokayev", "kz", "President")):
        person = n(f"{KGR}person/{pid}")
        position = n(f"{KGR}position/{title.lower().replace(' ', '-')}-of-{sid}")
        officials.append(person)
        add(person, RDF + "type", n(KG + "Official"))
        add(person, RDFS + "label", lit(label, lang="en"))
        add(person, KG + "represents", states[sid])
        add(person, KG + "holds", position)
        add(person, PROV + "wasDerivedFrom", article)
        add(position, RDF + "type", n(KG + "Position"))
        add(position, RDFS + "label", lit(f"{title} of {sid.upper()}", lang="en"))
        add(position, KG + "title", lit(title))
        add(position, KG + "ofState", states[sid])
        add(position, PROV + "wasDerivedFrom", article)
        evidence(person, "official.title-name")

    meetings = []
    for i, (kind, status) in enumerate((("Visit", "Held"), ("Meeting", "Planned")), start=1):
        m = n(f"{KGR}event/{key}-{i}")
        meetings.append(m)
        add(m, RDF + "type", n(KG + "Meeting"))
        if kind == "Visit":
            add(m, RDF + "type", n(KG + "Visit"))
        add(m, RDFS + "label", lit(f"Meeting {i}", lang="en"))
        for p in (states["pk"], states["kz"], *officials):
            add(m, KG + "participant", p)
        add(m, KG + "host", states["pk"])
        add(m, KG + "place", place)
        add(m, KG + "date", lit("2026-02-04", XSD + "date"))
        add(m, KG + "status", n(KG + status))
        add(m, PROV + "wasDerivedFrom", article)
        evidence(m, "meeting.visit")

    for i, (kind, status) in enumerate((("MemorandumOfUnderstanding", "Concluded"), ("Target", "Planned"),
                                        ("CommercialAgreement", "Concluded")), start=1):
        a = n(f"{KGR}agreement/{key}-{i}")
        add(a, RDF + "type", n(KG + "Agreement"))
        add(a, RDF + "type", n(KG + kind))
        add(a, RDFS + "label", lit(f"Agreement {i}", lang="en"))
        add(a, KG + "party", states["pk"])
        add(a, KG + "party", states["kz"])
        add(a, KG + "status", n(KG + status))
        add(a, KG + "date", lit("2026-02-04", XSD + "date"))
        add(a, PROV + "wasDerivedFrom", article)
        if kind == "MemorandumOfUnderstanding":
            add(a, KG + "instrumentCount", lit("37", XSD + "nonNegativeInteger"))
            add(a, KG + "signedAt", meetings[0])
        else:
            money = ox.BlankNode()
            add(a, KG + "value", money)
            add(money, RDF + "type", n(SCHEMA + "MonetaryAmount"))
            add(money, SCHEMA + "value", lit("1000000000", XSD + "decimal"))
            add(money, SCHEMA + "currency", lit("USD"))
            if kind == "Target":
                add(a, KG + "targetDate", lit("2027-12-31", XSD + "date"))
        evidence(a, "agreement.signed-count")
    return quads


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--reference", action="store_true",
                        help="also time pySHACL's validate(), the path for shapes the compiler does not support")
    args = parser.parse_args()
    quads = synthetic_article()
    t0 = time.perf_counter()
    compiled_shapes()
    print(f"shapes load (once per process): {(time.perf_counter() - t0) * 1000:.1f} ms")
    result = validate(quads)
    assert result.conforms, result.report
    variants = [("validate (compiled shapes)", validate)]
    if args.reference:  # also the path for shapes the compiler does not support
        variants.append(("pyshacl.validate (shapes parsed once)", validate_reference))
    for name, fn in variants:
        times = []
        for _ in range(args.runs):
            t = time.perf_counter()
            fn(quads)
            times.append((time.perf_counter() - t) * 1000)
        print(f"{name}: {len(quads)} triples, median {statistics.median(times):.2f} ms, "
              f"min {min(times):.2f} ms over {args.runs} runs")


if __name__ == "__main__":
    main()
