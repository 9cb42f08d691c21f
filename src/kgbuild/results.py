"""Write SPARQL results for the command line: a table, JSON, CSV, TSV or Turtle."""

from __future__ import annotations

from typing import TextIO

import pyoxigraph as ox

from .formats import results_format


def _cell(term: object) -> str:
    if term is None:
        return ""
    return term.value if hasattr(term, "value") else str(term)


def write_results(result: object, fmt: str, out: TextIO) -> None:
    if isinstance(result, ox.QueryBoolean):
        out.write(("true" if bool(result) else "false") + "\n")
        return
    if not hasattr(result, "variables"):  # QueryTriples, or the list of triples a remote store answers with
        data = ox.serialize(result, format=ox.RdfFormat.N_TRIPLES if fmt != "turtle" else ox.RdfFormat.TURTLE)
        out.write(data.decode("utf-8"))
        return
    if fmt in ("json", "csv", "tsv"):
        out.write(result.serialize(format=results_format(fmt)).decode("utf-8"))
        if fmt == "json":
            out.write("\n")
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
