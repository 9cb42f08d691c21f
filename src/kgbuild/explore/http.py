"""What every explore view needs of the request and the response: the `?iri=` argument, safe literals, HTML
answers, and errors shown in the page's message box."""

from __future__ import annotations

import re

import pyoxigraph as ox
from flask import Response, abort, render_template, request


def fail(status: int, message: str) -> None:
    """Stop the view with `status`: an HTML page with the message in a box for browsers, plain text for others."""
    if request.accept_mimetypes.accept_html:
        body = render_template("explore_error.html", title=f"Error {status}", status=status, message=message)
        abort(html(body, status))
    abort(Response(f"{message}\n", status=status, content_type="text/plain; charset=utf-8"))


def html(body: str, status: int = 200) -> Response:
    return Response(body, status=status, content_type="text/html; charset=utf-8")


def iri_arg(name: str = "iri") -> str:
    """The IRI in the request's `name` argument, safe to splice into a query between < and >."""
    iri = request.args.get(name, "").strip()
    if not iri:
        fail(400, f"name the resource: ?{name}=IRI")
    try:
        ox.NamedNode(iri)
    except ValueError:
        fail(400, f"not an IRI: {iri!r}")
    if re.search(r'[<>"{}|^`\\\s]', iri):  # never splice such characters into a query
        fail(400, f"not an IRI: {iri!r}")
    return iri


def literal(text: str) -> str:
    """A SPARQL string literal of user text."""
    text = "".join(ch for ch in text if ch >= " ")
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
