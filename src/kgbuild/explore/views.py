"""The explore pages' routes: each reads its arguments, asks `queries`, builds a model (`article`, `entity`) and
renders a template; the graph picture comes from `picture`."""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for
from markupsafe import Markup

from ..vocab import KG
from . import queries, timeline, yasgui
from .article import article_model, shacl_status
from .display import TYPE, Ref, article_url, whole_words
from .entity import entity_model
from .http import fail, html, iri_arg, literal
from .picture import article_picture, entity_picture

blueprint = Blueprint("explore", __name__, url_prefix="/explore")


blueprint.add_app_template_filter(whole_words, "whole_words")


@blueprint.app_context_processor
def _query_page_config() -> dict:
    return {"yasgui_config": yasgui.config}


@blueprint.route("/")
def index() -> Response:
    q = request.args.get("q", "").strip()[:200]
    page = max(0, min(request.args.get("page", 0, type=int), 10_000))
    states = queries.states()
    hits, found, recent = [], [], []
    if q:
        found, hits = queries.search(literal(q.lower()))
    else:
        recent = queries.recent_articles(page)
    ctx = {
        "q": q, "page": page, "more": len(recent) > 50,
        "states": [Ref.of(r["s"], r["l"], "state") for r in states],
        "entities": [Ref.of(r["e"], r["l"]) for r in found],
        "articles": [{"ref": Ref.of(r["a"], r["h"], "article"), "date": r["d"][:10]} for r in (hits or recent[:50])],
    }
    return html(render_template("explore_index.html", title="kgbuild explore", **ctx))


@blueprint.route("/article")
def article() -> Response:
    iri = iri_arg()
    triples = queries.article_triples(iri)
    if not any(t.subject.value == iri and t.predicate.value == TYPE and t.object.value == KG + "Article"
               for t in triples):
        fail(404, f"no article <{iri}> in the store")
    model = article_model(iri, triples)
    model["shacl"] = shacl_status(triples)
    model["picture"] = Markup(article_picture(iri, triples))
    model["downloads"] = [(name, url_for("graph_store.graph_store", graph=iri, format=fmt, download=1))
                          for name, fmt in (("Turtle", "turtle"), ("JSON-LD", "jsonld"))]
    return html(render_template("explore_article.html", title=model["headline"], **model))


@blueprint.route("/entity")
def entity() -> Response:
    iri = iri_arg()
    model = entity_model(iri)
    if not model:
        fail(404, f"nothing is known of <{iri}> in the store")
    if model["kind"] == "article":
        return redirect(article_url(iri))
    if model["kind"] in ("event", "agreement") and model["articles"]:
        return redirect(article_url(model["articles"][0]["ref"].iri, iri))
    model["picture"] = Markup(entity_picture(model))
    return html(render_template("explore_entity.html", title=model["label"], **model))


@blueprint.route("/graph.svg")
def picture() -> Response:
    iri = iri_arg()
    triples = queries.article_triples(iri)
    if triples:
        svg = article_picture(iri, triples)
    else:
        model = entity_model(iri)
        if not model:
            fail(404, f"nothing is known of <{iri}> in the store")
        svg = entity_picture(model)
    svg = svg.replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    return Response(svg, content_type="image/svg+xml; charset=utf-8")


@blueprint.route("/timeline")
def timeline_page() -> Response:
    """Meetings and agreements of a state (?iri=S), or of a pair (&with=T), over time; and whom it met."""
    iri = iri_arg()
    other = iri_arg("with") if request.args.get("with") else None
    found = queries.select_many(queries.timeline_queries(iri, other))
    names = {r["e"]: r["l"] for r in found["labels"]}
    if iri not in names or (other and other not in names):
        fail(404, f"no state <{other if iri in names else iri}> in the store")
    facts = timeline.items(found["facts"])
    title = f"{names[iri]} and {names[other]}" if other else names[iri]
    ctx = {
        "iri": iri, "other": other, "label": names[iri], "other_label": names.get(other or ""),
        "state": Ref.of(iri, names[iri], "state"),
        "other_state": Ref.of(other, names[other], "state") if other else None,
        "facts": facts, "table": timeline.newest(facts), "meetings": sum(f.kind == "meeting" for f in facts),
        "agreements": sum(f.kind == "agreement" for f in facts), "limit": queries.TIMELINE_FACTS,
        "plot": timeline.plot(facts, f"Meetings and agreements of {title} over time"),
        "partners": timeline.partners(found.get("partners", [])),
    }
    return html(render_template("explore_timeline.html", title=f"Timeline: {title}", **ctx))
