"""The explore pages (kgbuild/explore.py) over real HTTP, and in a real headless browser.

The server runs `kgbuild serve` in its own process on a loopback port, on a store built from the shared seed and dev
articles. The browser tests drive Debian's chromium through chromedriver (Selenium); they skip when those are absent,
except in CI (KGBUILD_REQUIRE_BROWSER=1), where they fail. Screenshots go to artifacts/ (git-ignored).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import ROOT, EndpointServer, http, shared_path

from kgbuild.explore.article import Span, mark_text
from kgbuild.explore.display import anchor

ARTIFACTS = ROOT / "artifacts"
MAX_ROWS = 1000  # the server's row cap (kgbuild serve --max-rows)
KG = "https://w3id.org/kgbuild/ontology#"
KGR = "https://w3id.org/kgbuild/resource/"
PREFIXES = (f"PREFIX kg: <{KG}>\nPREFIX oa: <http://www.w3.org/ns/oa#>\nPREFIX schema: <http://schema.org/>\n"
            "PREFIX prov: <http://www.w3.org/ns/prov#>\n")


# -- the server ----------------------------------------------------------------------------------------------------


class Server(EndpointServer):
    def __init__(self, store: Path, log: Path) -> None:
        super().__init__(store, log, workers=2, max_rows=MAX_ROWS)

    def select(self, sparql: str) -> list[dict[str, str]]:
        status, _, body = http("GET", self.base + "/sparql", params={"query": PREFIXES + sparql, "format": "json"})
        assert status == 200, body
        return [{k: v["value"] for k, v in b.items()} for b in json.loads(body)["results"]["bindings"]]

    def url(self, page: str, iri: str) -> str:
        return f"{self.base}/explore/{page}?" + urllib.parse.urlencode({"iri": iri})


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Server:
    seed = shared_path("articles", "seed", "000_a3e0a6f692aefeff.txt")
    dev = shared_path("articles", "dev", "articles.jsonl")
    root = tmp_path_factory.mktemp("explore")
    build = subprocess.run([sys.executable, "-m", "kgbuild.cli", "build", str(seed), str(dev), "--store",
                            str(root / "store"), "--jobs", "2"], capture_output=True, text=True, timeout=600)
    assert build.returncode in (0, 1), build.stderr  # 1: some articles rejected; the others are stored
    srv = Server(root / "store", root / "server.log")
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def busy_article(server: Server) -> dict[str, str]:
    """The stored article with the most meetings and agreements, and one meeting's evidence."""
    rows = server.select("""SELECT ?a (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH ?a {
  ?f prov:wasDerivedFrom ?a . { ?f a kg:Meeting } UNION { ?f a kg:Agreement } } }
GROUP BY ?a ORDER BY DESC(?n) ?a LIMIT 1""")
    assert rows, "no article with a meeting or agreement in the store"
    article = rows[0]["a"]
    ev = server.select(f"""SELECT ?f ?rule ?start ?end ?exact WHERE {{ GRAPH <{article}> {{
  ?f a kg:Meeting . ?ann oa:hasBody ?f ; kg:rule ?rule ; oa:hasTarget/oa:hasSelector ?p , ?q .
  ?p oa:start ?start ; oa:end ?end . ?q oa:exact ?exact }} }} ORDER BY ?start LIMIT 1""")
    if not ev:
        ev = server.select(f"""SELECT ?f ?rule ?start ?end ?exact WHERE {{ GRAPH <{article}> {{
  ?f a kg:Agreement . ?ann oa:hasBody ?f ; kg:rule ?rule ; oa:hasTarget/oa:hasSelector ?p , ?q .
  ?p oa:start ?start ; oa:end ?end . ?q oa:exact ?exact }} }} ORDER BY ?start LIMIT 1""")
    return {"article": article, **ev[0]}


class _Marks(HTMLParser):
    """Checks that <mark> tags nest and collects the text of each marked span (by id) and all text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str | None] = []
        self.text: list[str] = []
        self.spans: dict[str, list[str]] = {}
        self.open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "mark":
            a = dict(attrs)
            self.stack.append(a.get("data-ev"))
            if a.get("data-ev"):
                self.spans.setdefault(a["data-ev"], [])

    def handle_endtag(self, tag: str) -> None:
        if tag == "mark":
            assert self.stack, "</mark> without <mark>"
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        for ev in {e for e in self.stack if e}:
            self.spans[ev].append(data)


# -- without a browser ---------------------------------------------------------------------------------------------


def test_mark_text_nests_crossing_spans() -> None:
    text = "Alpha beta gamma <delta> & epsilon."
    spans = [Span(0, 16, text[0:16]), Span(6, 24, text[6:24]), Span(6, 10, text[6:10]), Span(11, 35, text[11:35])]
    html = str(mark_text(text, spans))
    parser = _Marks()
    parser.feed(html)
    assert not parser.stack
    assert "".join(parser.text) == text  # nothing lost, nothing added
    for s in spans:
        assert "".join(parser.spans[s.id]) == text[s.start:s.end]
        assert html.count(f'id="{s.id}"') == 1  # one element carries the id, the fragment target


def test_article_page_marks_every_evidence_span(server: Server, busy_article: dict) -> None:
    article = busy_article["article"]
    status, headers, body = http("GET", server.url("article", article))
    assert status == 200 and headers["content-type"].startswith("text/html")
    html = body.decode("utf-8")
    evidence = server.select(f"""SELECT DISTINCT ?start ?end ?exact WHERE {{ GRAPH <{article}> {{
  ?t oa:hasSource <{article}> ; oa:hasSelector ?p , ?q . ?p oa:start ?start ; oa:end ?end . ?q oa:exact ?exact }} }}""")
    assert evidence
    marks = _Marks()
    marks.feed(html[html.index('id="article-text"'):html.index("</section>", html.index('id="article-text"'))])
    for e in evidence:
        span = f"ev-{e['start']}-{e['end']}"
        assert f'id="{span}"' in html
        assert "".join(marks.spans[span]) == e["exact"]
        assert f'href="#{span}"' in html  # linked from its fact
    assert f'id="{anchor(busy_article["f"])}"' in html
    assert f"<code>{busy_article['rule']}</code>" in html
    assert "Conforms" in html


def test_article_page_downloads_and_status(server: Server, busy_article: dict) -> None:
    article = busy_article["article"]
    html = http("GET", server.url("article", article))[2].decode("utf-8")
    for fmt, rdf_format in (("turtle", ox.RdfFormat.TURTLE), ("jsonld", ox.RdfFormat.JSON_LD)):
        href = next(h for h in _links(html) if "/graph-store" in h and f"format={fmt}" in h)
        status, _, body = http("GET", server.base + href.replace("&amp;", "&"))
        assert status == 200
        triples = list(ox.parse(body, rdf_format))
        assert any(t.subject.value == article for t in triples)
    assert http("GET", server.url("article", KGR + "article/no-such-article"))[0] == 404
    assert http("GET", server.url("article", "not an iri"))[0] == 400
    assert http("GET", server.base + "/explore/article")[0] == 400


def test_entity_page_timeline_officials_wikidata(server: Server) -> None:
    # The state taking part in the most meetings and agreements.
    state = server.select("""SELECT ?s (COUNT(DISTINCT ?f) AS ?n) WHERE {
  GRAPH ?g { ?f kg:participant|kg:party|kg:mediator|kg:host|kg:place ?s }
  GRAPH <https://w3id.org/kgbuild/resource/entities> { ?s a kg:State } } GROUP BY ?s ORDER BY DESC(?n) LIMIT 1""")[0]
    status, _, body = http("GET", server.url("entity", state["s"]))
    assert status == 200
    html = body.decode("utf-8")
    assert 'class="timeline"' in html
    assert html.count('<li class="event') == min(int(state["n"]), 200)
    assert "https://www.wikidata.org/wiki/Q" in html
    officials = server.select(f"""SELECT DISTINCT ?p WHERE {{ GRAPH ?g {{ ?p kg:represents <{state['s']}> }} }}""")
    for p in officials[:5]:
        assert urllib.parse.quote(p["p"], safe=":/") in html or p["p"] in html
    # A timeline entry links to the article page at the fact.
    assert "/explore/article?iri=" in html and "#f-" in html


def test_entity_pages_of_each_kind_and_redirects(server: Server, busy_article: dict) -> None:
    for kind in ("Official", "Place", "Position"):
        rows = server.select(f"""SELECT ?e WHERE {{ GRAPH <https://w3id.org/kgbuild/resource/entities> {{
  ?e a kg:{kind} }} }} ORDER BY ?e LIMIT 1""")
        if rows:
            assert http("GET", server.url("entity", rows[0]["e"]))[0] == 200, kind
    # A fact's IRI leads to its article page, at the fact.
    req = urllib.request.Request(server.url("entity", busy_article["f"]))
    with urllib.request.urlopen(req, timeout=30) as resp:
        assert "/explore/article?" in resp.url
    assert http("GET", server.url("entity", KGR + "state/nowhere"))[0] == 404


def test_graph_picture_is_svg(server: Server, busy_article: dict) -> None:
    status, headers, body = http("GET", server.url("graph.svg", busy_article["article"]))
    assert status == 200 and headers["content-type"].startswith("image/svg+xml")
    root = ET.fromstring(body)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == ns + "svg"
    assert len(root.findall(f".//{ns}circle")) >= 3
    roles = [t.text for t in root.findall(f".//{ns}g[@class='edge']/{ns}title")]  # each edge's tooltip
    assert "participant" in roles or "party" in roles


def test_index_and_search(server: Server) -> None:
    status, _, body = http("GET", server.base + "/explore/")
    assert status == 200 and b"/explore/article?iri=" in body and b"/explore/entity?iri=" in body
    status, _, body = http("GET", server.base + "/explore/", params={"q": 'united "states\\'})
    assert status == 200


def _links(html: str) -> list[str]:
    return [part.split('"', 1)[0] for part in html.split('href="')[1:]]


# -- in a real browser ---------------------------------------------------------------------------------------------


def _browser_or_skip() -> tuple[str, str]:
    chromium = next(filter(None, map(shutil.which, ("chromium", "chromium-browser", "google-chrome"))), None)
    driver = shutil.which("chromedriver") or next(
        (p for p in ("/usr/lib/chromium/chromedriver", "/usr/bin/chromedriver") if Path(p).exists()), None)
    missing = [name for name, path in (("chromium", chromium), ("chromedriver", driver)) if not path]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    if missing:
        reason = (f"{' and '.join(missing)} not installed "
                  "(apt-get install chromium chromium-driver; pip install selenium)")
        if os.environ.get("KGBUILD_REQUIRE_BROWSER") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    return chromium, driver


@pytest.fixture(scope="module")
def browser_factory():
    """One browser with JavaScript and one without for the whole module (made when first asked for)."""
    chromium, driver_path = _browser_or_skip()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    drivers: dict[bool, object] = {}
    profiles = []

    def make(javascript: bool = True):
        if javascript in drivers:
            driver = drivers[javascript]
            driver.set_window_size(1400, 1000)
            driver.get_log("performance")  # forget earlier pages' requests
            return driver
        profile = tempfile.mkdtemp(prefix="kgbuild-chromium-")
        profiles.append(profile)
        options = webdriver.ChromeOptions()
        options.binary_location = chromium
        for arg in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    "--disable-dev-shm-usage", "--window-size=1400,1000", f"--user-data-dir={profile}"):
            options.add_argument(arg)
        options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
        if not javascript:
            options.add_experimental_option("prefs", {"profile.managed_default_content_settings.javascript": 2})
        driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
        driver.set_page_load_timeout(60)
        drivers[javascript] = driver
        return driver

    yield make
    for d in drivers.values():
        d.quit()
    for p in profiles:
        shutil.rmtree(p, ignore_errors=True)


def _screenshot(driver, name: str, *, full_page: bool = False) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    if full_page:  # headless Chrome captures the window: make it as tall as the page
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(1400, min(int(height) + 100, 8000))
    driver.save_screenshot(str(path))
    assert path.stat().st_size > 1000
    print(f"screenshot: {path}")
    return path


def test_browser_click_fact_highlights_its_sentence(server: Server, busy_article: dict, browser_factory) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser_factory()
    driver.get(server.url("article", busy_article["article"]))
    span_id = f"ev-{busy_article['start']}-{busy_article['end']}"
    row = driver.find_element(By.ID, anchor(busy_article["f"]))
    link = row.find_element(By.CSS_SELECTOR, f'a.evlink[data-ev="{span_id}"]')
    assert link.text == busy_article["rule"]
    mark = driver.find_element(By.ID, span_id)
    assert "active" not in mark.get_attribute("class")
    link.click()
    WebDriverWait(driver, 10).until(lambda d: "active" in mark.get_attribute("class"))
    assert mark.get_attribute("textContent") == busy_article["exact"]
    assert "active" in row.get_attribute("class")
    assert driver.execute_script("return document.querySelector(':target') && document.querySelector(':target').id") \
        == span_id
    assert driver.execute_script("return getComputedStyle(arguments[0]).backgroundColor", mark) == "rgb(255, 159, 67)"
    assert mark.is_displayed()
    _screenshot(driver, "explore-article-fact-clicked.png")

    # The other way round: click a sentence, its facts' rows light up.
    driver.execute_script("window.scrollTo(0, 0)")
    mark.click()
    WebDriverWait(driver, 10).until(lambda d: "active" in row.get_attribute("class"))


def test_browser_without_javascript_still_shows_the_sentence(server: Server, busy_article: dict,
                                                              browser_factory) -> None:
    from selenium.webdriver.common.by import By

    driver = browser_factory(javascript=False)
    driver.get(server.url("article", busy_article["article"]))
    span_id = f"ev-{busy_article['start']}-{busy_article['end']}"
    driver.find_element(By.CSS_SELECTOR, f'#{anchor(busy_article["f"])} a.evlink[data-ev="{span_id}"]').click()
    mark = driver.find_element(By.ID, span_id)
    assert driver.execute_script("return document.querySelector(':target').id") == span_id  # CSS :target marks it
    assert driver.execute_script("return getComputedStyle(arguments[0]).backgroundColor", mark) == "rgb(255, 159, 67)"
    assert "active" not in mark.get_attribute("class")  # no script ran
    _screenshot(driver, "explore-article-nojs.png")


def test_browser_entity_page(server: Server, browser_factory) -> None:
    from selenium.webdriver.common.by import By

    state = server.select("""SELECT ?s (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH ?g { ?f kg:participant ?s }
  GRAPH <https://w3id.org/kgbuild/resource/entities> { ?s a kg:State } } GROUP BY ?s ORDER BY DESC(?n) LIMIT 1""")[0]
    driver = browser_factory()
    driver.get(server.url("entity", state["s"]))
    assert driver.find_elements(By.CSS_SELECTOR, "ol.timeline li.event")
    svg = driver.find_element(By.CSS_SELECTOR, "svg.kg-graph")
    assert svg.size["width"] > 200
    _screenshot(driver, "explore-entity.png", full_page=True)
    # Following a timeline entry opens the article at the fact, marked.
    entry = driver.find_element(By.CSS_SELECTOR, "ol.timeline li.event a")
    entry.click()
    target = driver.execute_script("return document.querySelector(':target') && document.querySelector(':target').id")
    assert target and target.startswith("f-")


# -- issue 16: the query page (YASGUI), the article page at 1,280 px, the timeline --------------------------------

WIDTH = 1280  # the viewport the pages must fit
SEED_STATES = (KGR + "state/pk", KGR + "state/kz")  # the seed article's two states

# Every element's box within the viewport's width, and the document not scrolling sideways.
_TOO_WIDE = """const w = document.documentElement.clientWidth;
return [document.documentElement.scrollWidth - w,
        [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > w + 0.5)
          .map(e => e.tagName + '.' + e.className).slice(0, 10)];"""
# Words (runs of non-space) of table cells that the layout spreads over more than one line.
_BROKEN_WORDS = """const broken = [];
for (const cell of document.querySelectorAll('td, th')) {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (const m of node.textContent.matchAll(/\\S+/g)) {
      const range = document.createRange();
      range.setStart(node, m.index); range.setEnd(node, m.index + m[0].length);
      const rects = [...range.getClientRects()].filter(r => r.width > 0);
      const tops = rects.map(r => r.top);  // a word on two lines has boxes a line apart
      if (rects.length && Math.max(...tops) - Math.min(...tops) > rects[0].height / 2) broken.push(m[0]);
    }
  }
}
return broken;"""
# Pairs of node labels of the graph picture whose boxes overlap.
_LABEL_CLASHES = """const boxes = [...document.querySelectorAll('svg.kg-graph .node text')]
  .map(e => e.getBoundingClientRect());
let clashes = 0;
for (let i = 0; i < boxes.length; i++) for (let j = i + 1; j < boxes.length; j++) {
  const a = boxes[i], b = boxes[j];
  if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) clashes++;
}
return [boxes.length, clashes];"""


def _hosts_requested(driver) -> set[str]:
    """The hosts of every http(s) request the page made (Chrome's own pages and data: URLs aside)."""
    hosts = set()
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            url = urllib.parse.urlsplit(message["params"]["request"]["url"])
            if url.scheme in ("http", "https", "ws", "wss"):
                hosts.add(url.netloc)
    return hosts


def _yasgui(driver, server: Server):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.get(server.base + "/")
    WebDriverWait(driver, 20).until(lambda d: d.execute_script("return !!window.kgbuildYasgui"))
    assert not driver.find_element(By.ID, "query-form").is_displayed()  # YASGUI replaced the plain form
    return WebDriverWait


def _run_in_yasgui(driver, sparql: str) -> list[list[str]]:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.kgbuildYasgui.getTab().getYasqe().setValue(arguments[0])", sparql)
    driver.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".yasr table.dataTable tbody td"))
    # the row number column first, then one cell a variable
    return driver.execute_script("""return [...document.querySelectorAll('.yasr table.dataTable tbody tr')]
        .map(tr => [...tr.querySelectorAll('td')].slice(1).map(td => td.textContent.trim()));""")


def test_browser_query_page_runs_a_query_through_yasgui_offline(server: Server, browser_factory) -> None:
    driver = browser_factory()
    _yasgui(driver, server)
    sparql = (PREFIXES + "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
              "SELECT (STR(?l) AS ?label) WHERE { GRAPH <https://w3id.org/kgbuild/resource/entities> "
              "{ ?s a kg:State ; rdfs:label ?l } } ORDER BY ?label LIMIT 20")
    rows = _run_in_yasgui(driver, sparql)
    assert [r[0] for r in rows] == [r["label"] for r in server.select(sparql[len(PREFIXES):])]
    assert len(rows) == 20
    # Nothing but this server was asked: YASGUI's files are bundled, prefix.cc and LOV never called.
    assert _hosts_requested(driver) == {f"127.0.0.1:{server.port}"}
    errors = [e["message"] for e in driver.get_log("browser")
              if e["level"] == "SEVERE" and "favicon.ico" not in e["message"]]
    assert errors == []  # no script error, no Content-Security-Policy violation
    driver.set_window_size(WIDTH, 900)
    _screenshot(driver, "query-page.png")


def test_browser_yasgui_completes_the_ontology_prefixes(server: Server, browser_factory) -> None:
    from selenium.webdriver.support.ui import WebDriverWait

    driver = browser_factory()
    _yasgui(driver, server)
    driver.execute_script("""const y = window.kgbuildYasgui.getTab().getYasqe();
        y.setValue('PREFIX kg'); y.focus(); y.setCursor({line: 0, ch: 9}); y.autocomplete();""")
    hints = WebDriverWait(driver, 10).until(lambda d: d.execute_script(
        "return [...document.querySelectorAll('.CodeMirror-hints li')].map(li => li.textContent)"))
    assert "kg: <https://w3id.org/kgbuild/ontology#>" in hints
    assert _hosts_requested(driver) == {f"127.0.0.1:{server.port}"}


def test_browser_truncated_result_says_so(server: Server, browser_factory) -> None:
    from selenium.webdriver.common.by import By

    driver = browser_factory()
    _yasgui(driver, server)
    rows = _run_in_yasgui(driver, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert rows
    note = driver.find_element(By.CSS_SELECTOR, "#yasgui .message.truncated")
    assert note.is_displayed() and f"first {MAX_ROWS} rows" in note.text
    _run_in_yasgui(driver, "SELECT ?g WHERE { GRAPH ?g { ?g a ?t } } LIMIT 3")
    assert not note.is_displayed()  # a whole answer carries no notice


def test_browser_article_page_fits_1280_and_breaks_no_word(server: Server, busy_article: dict,
                                                           browser_factory) -> None:
    driver = browser_factory()
    driver.set_window_size(WIDTH, 900)
    assert driver.execute_script("return window.innerWidth") <= WIDTH
    for article in (busy_article["article"], *(r["a"] for r in server.select(
            "SELECT DISTINCT ?a WHERE { GRAPH ?a { ?a a kg:Article } } ORDER BY ?a LIMIT 5"))):
        driver.get(server.url("article", article))
        overflow, wide = driver.execute_script(_TOO_WIDE)
        assert overflow <= 0 and wide == [], (article, overflow, wide)
        assert driver.execute_script(_BROKEN_WORDS) == [], article
        count, clashes = driver.execute_script(_LABEL_CLASHES)
        assert count >= 2 and clashes == 0, article
    driver.get(server.url("article", busy_article["article"]))
    _screenshot(driver, "article-page.png")


def test_browser_entity_graph_labels_do_not_overlap(server: Server, browser_factory) -> None:
    states = server.select("""SELECT ?s (COUNT(DISTINCT ?f) AS ?n) WHERE { GRAPH ?g { ?f kg:participant ?s }
  GRAPH <https://w3id.org/kgbuild/resource/entities> { ?s a kg:State } } GROUP BY ?s ORDER BY DESC(?n) LIMIT 3""")
    driver = browser_factory()
    for state in states:
        driver.get(server.url("entity", state["s"]))
        count, clashes = driver.execute_script(_LABEL_CLASHES)
        assert count >= 3 and clashes == 0, state


def test_browser_timeline_of_the_seed_states(server: Server, browser_factory) -> None:
    from selenium.webdriver.common.by import By

    driver = browser_factory()
    driver.set_window_size(WIDTH, 900)
    one, two = SEED_STATES
    facts = server.select(f"""SELECT DISTINCT ?f WHERE {{ GRAPH ?g {{ ?f kg:participant|kg:party|kg:host|kg:mediator
  <{one}> . {{ ?f a kg:Meeting }} UNION {{ ?f a kg:Agreement }} }} }}""")
    assert facts
    driver.get(f"{server.base}/explore/timeline?" + urllib.parse.urlencode({"iri": one}))
    marks = driver.find_elements(By.CSS_SELECTOR, "svg.kg-timeline a.mark")
    assert len(marks) == len(facts)  # every fact is on the plot (all are dated)
    assert driver.find_element(By.CSS_SELECTOR, "svg.kg-timeline").size["width"] > 600
    overflow, wide = driver.execute_script(_TOO_WIDE)
    assert overflow <= 0 and wide == []
    _screenshot(driver, "timeline.png")
    # The states it met with link to their pages and to the pair's timeline.
    partner = driver.find_element(By.CSS_SELECTOR, f'table.partners a.ref.state[title="{two}"]')
    assert "/explore/entity?iri=" in partner.get_attribute("href")
    row = partner.find_element(By.XPATH, "./ancestor::tr")
    row.find_element(By.CSS_SELECTOR, "a.pair").click()
    pair = server.select(f"""SELECT DISTINCT ?f WHERE {{ GRAPH ?g {{
  ?f kg:participant|kg:party|kg:host|kg:mediator <{one}> ; kg:participant|kg:party|kg:host|kg:mediator <{two}> .
  {{ ?f a kg:Meeting }} UNION {{ ?f a kg:Agreement }} }} }}""")
    assert "with=" in driver.current_url
    assert len(driver.find_elements(By.CSS_SELECTOR, "svg.kg-timeline a.mark")) == len(pair) > 0
    # a mark leads to the fact on its article's page
    driver.execute_script("arguments[0].dispatchEvent(new MouseEvent('click', {bubbles: true}))",
                          driver.find_element(By.CSS_SELECTOR, "svg.kg-timeline a.mark"))
    target = driver.execute_script("return document.querySelector(':target') && document.querySelector(':target').id")
    assert target and target.startswith("f-")


def test_money_is_formatted_with_the_exact_value_in_a_tooltip(server: Server) -> None:
    rows = server.select("""SELECT ?a WHERE { GRAPH ?a { ?f kg:value [ schema:value ?v ] FILTER(?v = 1000000000) } }
LIMIT 1""")
    assert rows, "the seed's $1 billion trade target is not in the store"
    html = http("GET", server.url("article", rows[0]["a"]))[2].decode("utf-8")
    assert '<span class="money" title="USD 1,000,000,000">$1 billion</span>' in html
    assert "1000000000 USD" not in html


def test_errors_are_in_a_message_box_for_browsers(server: Server) -> None:
    req = urllib.request.Request(server.url("article", KGR + "article/no-such-article"),
                                 headers={"Accept": "text/html"})
    with pytest.raises(urllib.error.HTTPError) as err:
        urllib.request.urlopen(req, timeout=30)
    body = err.value.read().decode("utf-8")
    assert err.value.code == 404 and err.value.headers.get_content_type() == "text/html"
    assert 'class="message error" role="alert"' in body and "no-such-article" in body
    status, _, body = http("GET", f"{server.base}/explore/timeline", params={"iri": KGR + "state/nowhere"})
    assert status == 404
