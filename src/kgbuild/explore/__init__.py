"""Explore pages of `kgbuild serve`: an article's facts in its text, an entity's story across articles, and a picture
of the graph around either.

* `/explore/` lists states and articles and searches labels and headlines.
* `/explore/article?iri=A`: the article text with every evidence span marked (`<mark id="ev-START-END">`) and linked
  from the fact tables (meetings, agreements, officials, each with the rule id behind each piece of evidence); its
  SHACL status; download links for its graph (Turtle, JSON-LD, via the Graph Store Protocol route).
* `/explore/entity?iri=E`: a state, official, place, organisation or position: its Wikidata link, every meeting and
  agreement it takes part in as a timeline (newest first, bounded), a state's officials and their positions.
* `/explore/timeline?iri=S[&with=T]`: a state's (or a pair's) meetings and agreements plotted over time, and the
  states it met or agreed with.
* `/explore/graph.svg?iri=X`: the picture alone.

Pages are rendered on the server and read without JavaScript: a fact's evidence links are fragment links, and CSS
`:target` highlights the sentence. static/explore.js only enhances (hover a fact to see its sentences, click a
sentence to see its facts).

Modules, one job each: `queries` (what is asked of the store, on the server's worker pool), `display` (names,
links, money), `article`, `entity` and `timeline` (the pages' models; the timeline's plot), `picture` (the graph's
SVG layout), `yasgui` (what the query page's editor is told), `http` (arguments, answers, errors) and `views`
(the routes).
"""

from .views import blueprint

__all__ = ["blueprint"]
