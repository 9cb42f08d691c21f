"""The extraction on a Dask LocalCluster (2 worker processes, loopback): shards, loaded, equal an ordinary build."""

from __future__ import annotations

import gzip
import itertools
import json
from pathlib import Path

import pyoxigraph as ox
import pytest
from click.testing import CliRunner

pytest.importorskip("distributed")


from kgbuild.cli import main  # noqa: E402
from kgbuild.distributed import REJECTED, extract_partition, extract_to_shards, load_shards, read_shard  # noqa: E402
from kgbuild.pipeline import Outcome  # noqa: E402
from kgbuild.reader import read  # noqa: E402
from kgbuild.records import Article  # noqa: E402
from kgbuild.store import ArticleGraph, Store, open_store  # noqa: E402
from kgbuild.vocab import ENTITIES_GRAPH  # noqa: E402

KGR = "https://w3id.org/kgbuild/resource/"
SCHEMA = "http://schema.org/"


def fake_process(article: Article) -> Outcome:
    """A stand-in for pipeline.process (runs on the workers): a small graph per article, some rejected."""
    if "REJECT" in article.headline:
        return Outcome(article.source, error="rejected on purpose")
    iri = KGR + "article/" + article.key
    node = ox.NamedNode(iri)
    triples = [ox.Triple(node, ox.NamedNode(SCHEMA + "headline"), ox.Literal(article.headline)),
               ox.Triple(node, ox.NamedNode(SCHEMA + "text"), ox.Literal(article.text)),
               ox.Triple(node, ox.NamedNode(SCHEMA + "wordCount"), ox.Literal(str(len(article.text.split()))))]
    country = ox.NamedNode(KGR + f"state/S{len(article.headline) % 3}")
    triples.append(ox.Triple(node, ox.NamedNode(SCHEMA + "mentions"), country))
    if article.identifier:
        triples.append(ox.Triple(node, ox.NamedNode(SCHEMA + "identifier"), ox.Literal(article.identifier)))
    entities = [ox.Triple(country, ox.NamedNode(SCHEMA + "name"), ox.Literal(f"State {country.value[-1]}"))]
    graph = ArticleGraph.of(iri, triples, entities)
    return Outcome(article.source, iri, graph, triples=graph.ntriples.count("\n"))


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    with Client(cluster) as c:
        yield c
    cluster.close()


def _articles(path: Path, n: int = 45) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            title = f"Story {i}" + (" REJECT" if i % 10 == 7 else "")
            fh.write(json.dumps({"id": f"gen-{i}", "title": title, "date": "1987-03-22",
                                 "text": f"Ministers met for talk number {i}.\n\n" + "More text. " * (i % 5)}) + "\n")
        fh.write("{not json\n")  # an unreadable line: reported, the rest goes on
    return path


def _quads_by_graph(store: object) -> dict[str, list[str]]:
    """Each graph's triples, sorted, blank node ids blanked out (the ontology's shapes have blank nodes)."""
    out: dict[str, list[str]] = {}
    for q in store.quads():
        terms = ("_:" if isinstance(t, ox.BlankNode) else str(t) for t in (q.subject, q.predicate, q.object))
        out.setdefault(q.graph_name.value, []).append(" ".join(terms))
    return {g: sorted(triples) for g, triples in out.items()}


def _expected(inputs: Path, folder: Path) -> Store:
    store = Store(folder)
    graphs = [o.graph for o in map(fake_process, (a for a in read([inputs]) if isinstance(a, Article))) if o.graph]
    store.put(graphs)
    return store


def test_shards_load_into_the_same_store_as_put(client: object, tmp_path: Path) -> None:
    inputs = _articles(tmp_path / "in.jsonl")
    shards = extract_to_shards([inputs], tmp_path / "shards", scheduler=client, partition_size=10,
                               process=fake_process)
    assert [p.name for p in shards] == [f"part-{i:05d}.nq" for i in range(5)]
    rejected = [json.loads(line) for line in (tmp_path / "shards" / REJECTED).read_text().splitlines()]
    assert len(rejected) == 5 and sum("rejected on purpose" == r["reason"] for r in rejected) == 4
    with Store(tmp_path / "loaded") as loaded, _expected(inputs, tmp_path / "expected") as expected:
        assert load_shards(shards, loaded) == (41, 0)
        assert _quads_by_graph(loaded) == _quads_by_graph(expected)
        assert load_shards(shards, loaded) == (0, 41)  # a second load changes nothing
        assert len(loaded) == len(expected)


def test_partitions_and_changed_graphs(client: object, tmp_path: Path) -> None:
    inputs = _articles(tmp_path / "in.jsonl", n=12)
    shards = extract_to_shards([inputs], tmp_path / "shards", scheduler=client, partitions=3, process=fake_process)
    assert len(shards) == 3
    with Store(tmp_path / "loaded") as store:
        load_shards(shards, store)
        # the input changes: the changed article graphs are replaced, not added to
        lines = inputs.read_text().splitlines()
        lines[0] = lines[0].replace("Story 0", "Story zero")
        inputs.write_text("\n".join(lines) + "\n")
        shards = extract_to_shards([inputs], tmp_path / "shards", scheduler=client, partitions=3, process=fake_process)
        assert load_shards(shards, store) == (1, 10)
        with _expected(inputs, tmp_path / "expected") as expected:
            assert _quads_by_graph(store) == _quads_by_graph(expected)


def _headlines(store: object) -> dict[str, str]:
    return {q.graph_name.value.rsplit("/", 1)[1]: q.object.value
            for q in store.quads() if q.predicate.value == SCHEMA + "headline"}


def test_a_case_colliding_id_never_overwrites_a_loaded_article(client: object, tmp_path: Path) -> None:
    # ids are keyed lowercase: "Case-1" and "case-1" name the same graph, as in `kgbuild build`
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text(json.dumps({"id": "Case-1", "title": "First", "text": "First.\n\nOne."}) + "\n")
    second.write_text("".join(json.dumps(r) + "\n" for r in (
        {"id": "case-1", "title": "Second", "text": "Second.\n\nTwo."},  # collides with the stored article
        {"id": "Twin-2", "title": "Twin A", "text": "A.\n\nA."},
        {"id": "TWIN-2", "title": "Twin B", "text": "B.\n\nB."},        # collides within its shard
        {"id": "Case-1", "title": "First again", "text": "First.\n\nOne, revised."})))  # the same id: replaces
    with Store(tmp_path / "store") as store:
        load_shards(extract_to_shards([first], tmp_path / "s1", scheduler=client, process=fake_process), store)
    shards = extract_to_shards([second], tmp_path / "s2", scheduler=client, process=fake_process)
    result = CliRunner().invoke(main, ["load", str(tmp_path / "s2"), "--store", str(tmp_path / "store")])
    assert result.exit_code == 1, result.output
    assert "id 'case-1' collides with id 'Case-1' (already in the store)" in result.output
    assert "id 'TWIN-2' collides with id 'Twin-2' (earlier in the shard)" in result.output
    assert "2 refused" in result.output
    with Store(tmp_path / "store") as store:
        assert _headlines(store) == {"case-1": "First again", "twin-2": "Twin A"}
        with pytest.raises(ValueError, match="collides"):  # from Python without a callback: an error, not a loss
            load_shards(shards, store)


def test_read_shard_refuses_a_truncated_shard(tmp_path: Path) -> None:
    graph = fake_process(Article(key="k", headline="h", text="h\n\nbody"))
    text, _, _ = extract_partition([Article(key="k", headline="h", text="h\n\nbody")], fake_process)
    lines = text.splitlines()
    assert any(ENTITIES_GRAPH in line for line in lines)
    (tmp_path / "ok.nq").write_text(text * 2)  # the same article twice: one graph
    assert read_shard(tmp_path / "ok.nq") == [graph.graph]
    (tmp_path / "cut.nq").write_text("\n".join(lines[:-1]) + "\n")
    with pytest.raises(ValueError, match="not a complete shard"):
        read_shard(tmp_path / "cut.nq")


def test_shards_load_into_a_remote_store(client: object, tmp_path: Path, oxigraph_server: str) -> None:
    inputs = _articles(tmp_path / "in.jsonl", n=20)
    shards = extract_to_shards([inputs], tmp_path / "shards", scheduler=client, partition_size=8, process=fake_process)
    remote = open_store(oxigraph_server)
    assert load_shards(shards, remote, batch_size=5) == (18, 0)
    assert load_shards(shards, remote) == (0, 18)
    with _expected(inputs, tmp_path / "expected") as expected:
        assert _quads_by_graph(remote) == _quads_by_graph(expected)


# -- the real pipeline, through the commands -----------------------------------------------------------------------
@pytest.mark.slow
def test_shard_and_load_commands_equal_build(tmp_path: Path, shared: callable) -> None:
    pytest.importorskip("kgbuild.gazetteer", reason="the extraction pipeline needs the gazetteer")
    corpus = shared("articles", "corpus", "reuters21578.jsonl.gz")
    inputs = tmp_path / "slice.jsonl"
    with gzip.open(corpus, "rt", encoding="utf-8") as src:
        inputs.write_text("".join(itertools.islice(src, 120)), encoding="utf-8")
    runner = CliRunner()
    result = runner.invoke(main, ["shard", str(inputs), "--out", str(tmp_path / "shards"), "--workers", "2",
                                  "--partitions", "4"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["load", str(tmp_path / "shards"), "--store", str(tmp_path / "loaded")])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["build", str(inputs), "--store", str(tmp_path / "built"), "--jobs", "2",
                                  "--report", str(tmp_path / "rejected.jsonl")])
    assert result.exit_code in (0, 1), result.output
    with Store(tmp_path / "loaded", read_only=True) as loaded, Store(tmp_path / "built", read_only=True) as built:
        assert _quads_by_graph(loaded) == _quads_by_graph(built)
