"""Write SPARQL results for the command line: a table or a standard results format for SELECT and ASK, an RDF
format for CONSTRUCT and DESCRIBE. A format that does not fit the query's form is refused, naming those that do."""

from __future__ import annotations

from typing import TextIO

import pyoxigraph as ox

from . import formats

# --format names for each query form, from the one table of formats (`table`: our own text table). A CONSTRUCT's
# triples go in the dataset formats too, in their default graph.
RESULTS_FORMATS = ["table", *formats.RESULTS]
GRAPH_FORMATS = list(formats.GRAPHS)
FORMATS = [*RESULTS_FORMATS, *GRAPH_FORMATS]


def form(result: object) -> str:
    """'select', 'ask' or 'graph': the form of a query, from its result."""
    if isinstance(result, (ox.QueryBoolean, bool)):
        return "ask"
    return "select" if hasattr(result, "variables") else "graph"


def fitting(query_form: str) -> list[str]:
    """The --format names that fit a query form."""
    return list(GRAPH_FORMATS) if query_form == "graph" else list(RESULTS_FORMATS)


def default_format(query_form: str) -> str:
    return "ntriples" if query_form == "graph" else "table"  # a line a triple, as before --format existed


def _cell(term: object) -> str:
    if term is None:
        return ""
    return term.value if hasattr(term, "value") else str(term)


def write_results(result: object, fmt: str, out: TextIO) -> None:
    """Write `result` in `fmt`, which must be one of `fitting(form(result))`."""
    query_form = form(result)
    if fmt not in fitting(query_form):
        raise ValueError(f"--format {fmt} does not fit a {query_form.upper()} query")
    if query_form == "graph":
        graph_format = formats.GRAPHS[fmt]
        if graph_format.has_datasets:
            result = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in result]
        out.write(ox.serialize(result, format=graph_format.ox).decode("utf-8"))
        return
    if fmt != "table":
        if isinstance(result, bool):  # a remote store's ASK
            result = ox.parse_query_results(f'{{"head":{{}},"boolean":{str(result).lower()}}}',
                                            ox.QueryResultsFormat.JSON)
        out.write(result.serialize(format=formats.results_format(fmt)).decode("utf-8"))
        if fmt in ("json", "xml"):
            out.write("\n")
        return
    if query_form == "ask":
        out.write(("true" if bool(result) else "false") + "\n")
        return
    names = [v.value for v in result.variables]
    rows = [[_cell(sol[n]) for n in names] for sol in result]
    widths = [min(60, max([len(n), *(len(r[i]) for r in rows)])) for i, n in enumerate(names)]

    def line(cells: list[str]) -> str:
        fitted = ((c if len(c) <= w else c[: w - 1] + "…").ljust(w) for c, w in zip(cells, widths, strict=True))
        return " | ".join(fitted).rstrip()

    out.write(line(names) + "\n")
    out.write("-+-".join("-" * w for w in widths) + "\n")
    for r in rows:
        out.write(line(r) + "\n")
    out.write(f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n")
