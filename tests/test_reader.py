"""The reader: every input format into normalised Article records, every bad input into one InputError."""

from __future__ import annotations

import codecs
import datetime as dt
import gzip
import io
import json
import random
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kgbuild.reader import DEFAULT_MAX_CHARS, normalise_text, parse_date, read
from kgbuild.records import Article, InputError

FIXTURES = Path(__file__).parent / "fixtures" / "reader"
SEED = ("articles", "seed", "000_a3e0a6f692aefeff.txt")


def articles(results: list) -> list[Article]:
    return [r for r in results if isinstance(r, Article)]


def errors(results: list) -> list[InputError]:
    return [r for r in results if isinstance(r, InputError)]


def check_records(results: list) -> None:
    """Only the two record types come out, and the internal safety net never had to catch anything."""
    for r in results:
        assert isinstance(r, (Article, InputError)), r
        if isinstance(r, InputError):
            assert "internal error" not in r.reason, r.reason
        else:
            assert r.text.startswith(r.headline + "\n\n")
            assert normalise_text(r.text) == r.text


# --- the seed: one scraped file holding two pages ---------------------------------------------------------------


def test_seed_splits_into_two_pages(shared: Callable[..., Path]) -> None:
    results = list(read([shared(*SEED)]))
    assert not errors(results)
    first, second = articles(results)
    assert first.headline == ("Pakistan and Kazakhstan sign 37 MoUs to deepen cooperation, set $1 billion trade target")
    assert second.headline.startswith("Pakistan Navy chief in Malaysia to strengthen operational cooperation")
    assert (first.published, second.published) == (dt.date(2026, 2, 4), dt.date(2026, 2, 8))
    for art in (first, second):
        assert art.dateline == "ISLAMABAD"
        assert art.text.startswith(art.headline + "\n\n")
        assert "\nISLAMABAD: " in art.text  # the dateline stays in the body
        for chrome in ("Short Url", "Follow", "Updated 0", "(PMO)", "\u2022", "\u00a0"):
            assert chrome not in art.text
        assert art.identifier is None
    # bullet summaries are kept, each on its own line, without the glyph
    assert "\n\nBoth sides agree to form strategic partnership" in first.text
    assert "physical connectivity\nPM Sharif says" in first.text
    assert "Kazakhstan-Pakistan Intergovernmental Commission.”" in first.text
    assert second.headline not in first.text  # the first page ends where the second begins


def test_keys_are_stable_across_reads(shared: Callable[..., Path]) -> None:
    inputs = [shared(*SEED), FIXTURES]
    once = [(a.key, a.text) for a in articles(list(read(inputs)))]
    again = [(a.key, a.text) for a in articles(list(read(inputs)))]
    assert once == again
    assert len({key for key, _ in once}) == len(once)
    assert all(len(key) == 16 for key, _ in once[:2])  # no id: content hash


def test_dev_jsonl_reads_twenty_articles_with_datetimes(shared: Callable[..., Path]) -> None:
    results = list(read([shared("articles", "dev", "articles.jsonl")]))
    assert not errors(results)
    arts = articles(results)
    assert len(arts) == 20
    for art in arts:
        assert isinstance(art.published, dt.datetime)
        assert art.identifier and art.key == art.identifier.lower()
        assert art.dateline and "," not in art.dateline
        assert not art.warnings
    first = arts[0]
    assert first.key == "reuters21578-8095"
    assert first.published == dt.datetime(1987, 3, 22, 6, 42, 31, 920000)
    assert first.dateline == "LONDON"
    assert first.source.endswith("articles.jsonl:1")
    assert first.dateline_date == dt.date(1987, 3, 22)
    peking = next(a for a in arts if a.key == "reuters21578-9696")  # filed 25 March (GMT), datelined March 26
    assert (peking.dateline, peking.dateline_date) == ("PEKING", dt.date(1987, 3, 26))


# --- the formats, on fixtures written for these tests -------------------------------------------------------------


def test_scraped_fixture() -> None:
    path = FIXTURES / "scraped_two_pages.txt"
    first, second = list(read([path]))
    assert first.headline == "Freedonia and Sylvania agree to reopen border crossing, plan trade fair"
    assert first.published == dt.date(2026, 3, 2) and second.published == dt.date(2026, 3, 5)
    assert (first.dateline, second.dateline) == ("FREDON", "SYLVA CITY")
    assert first.text == (
        "Freedonia and Sylvania agree to reopen border crossing, plan trade fair\n\n"
        "Both ministers say the crossing will open to trucks first\n"
        "A joint trade fair is planned for the autumn\n\n"
        "FREDON: Freedonia and Sylvania on Monday agreed to reopen the Marsh Gate border crossing, closed since last"
        " year.\n\n"
        "\u201cThis is a good day for both our peoples,\u201d Varga told reporters."
    )
    assert second.text.startswith("Sylvania\u2019s central bank holds rates steady\n\nGovernor cites stable prices\n\n")
    assert first.source == f"{path}:1" and second.source == f"{path}:20"


def test_plain_text_fixture() -> None:
    (art,) = list(read([FIXTURES / "plain.txt"]))
    assert art.headline == "Ruritania signs water deal with Grand Fenwick"
    assert art.published == dt.date(2026, 2, 4)
    assert art.dateline == "STRELSAU" and art.dateline_date == dt.date(2026, 2, 4)
    assert art.text == (
        "Ruritania signs water deal with Grand Fenwick\n\n"
        "STRELSAU, Feb 4 - Ruritania and Grand Fenwick signed an agreement on Wednesday to share the waters of the"
        " Blue River.\n\nThe deal runs for ten years, officials said."
    )
    assert art.identifier is None and len(art.key) == 16


@pytest.mark.parametrize(
    ("top", "date", "dateline"),
    [
        ("Updated 04 February 2026\n", dt.date(2026, 2, 4), "GENOVIA"),
        ("2026-02-04\n", dt.date(2026, 2, 4), "GENOVIA"),
        ("", None, "GENOVIA"),
    ],
)
def test_plain_text_date_line_is_optional(tmp_path: Path, top: str, date: dt.date | None, dateline: str) -> None:
    path = tmp_path / "story.txt"
    path.write_text(f"Genovia holds talks\n{top}\nGENOVIA (Reuters) - Talks were held on Monday.\n", encoding="utf-8")
    (art,) = list(read([path]))
    assert (art.published, art.dateline) == (date, dateline)
    assert art.text == "Genovia holds talks\n\nGENOVIA (Reuters) - Talks were held on Monday."


def test_html_fixture() -> None:
    (art,) = list(read([FIXTURES / "page.html"]))
    assert art.headline == "Osterlich minister visits Latveria"
    assert art.published == dt.datetime(2026, 1, 15, 9, 30, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert art.url == "https://news.example.org/2026/01/osterlich-latveria"
    assert art.dateline == "DOOMSTADT"
    assert art.text == (
        "Osterlich minister visits Latveria\n\n"
        "DOOMSTADT: The foreign minister of Osterlich arrived in Latveria on Thursday for two days of talks.\n\n"
        "The two sides will discuss rail links & tariffs,\nofficials said.\n\n"
        "It is the first such visit in a decade."
    )


def test_html_without_article_uses_main_then_body(tmp_path: Path) -> None:
    main = tmp_path / "main.htm"
    main.write_text("<html><head><title>Borduria bans imports</title></head><body><nav>Menu</nav>"
                    "<main><p>Borduria banned imports.</p><p>Syldavia protested.</p></main><p>Cookie notice</p>"
                    "<time datetime='2026-05-01'>May 1</time></body></html>", encoding="utf-8")
    body = tmp_path / "body.html"
    body.write_text("<title>Only a title</title><p>First paragraph.<p>Second paragraph.<script>x()</script>",
                    encoding="utf-8")
    a, b = list(read([main, body]))
    assert a.headline == "Borduria bans imports" and a.published == dt.date(2026, 5, 1)
    assert a.text == "Borduria bans imports\n\nBorduria banned imports.\n\nSyldavia protested."
    assert b.text == "Only a title\n\nFirst paragraph.\n\nSecond paragraph."


def test_html_headline_is_the_main_text_h1(tmp_path: Path) -> None:
    path = tmp_path / "logo.html"
    path.write_text("<body><header><h1>The Daily Fake</h1></header><main><h1>Real  headline</h1>"
                    "<p>Real body.</p><table><tr><td>a</td><td>b</td></tr></table></main></body>", encoding="utf-8")
    (art,) = list(read([path]))
    assert art.text == "Real headline\n\nReal body.\n\na b"


def test_jsonl_fixture_good_and_bad_lines() -> None:
    path = FIXTURES / "records.jsonl"
    results = list(read([path]))
    check_records(results)
    assert [(type(r).__name__, r.source) for r in results] == [
        ("Article", f"{path}:1"),
        ("InputError", f"{path}:3"),
        ("InputError", f"{path}:4"),
        ("InputError", f"{path}:5"),
        ("Article", f"{path}:6"),
        ("Article", f"{path}:7"),
    ]
    first, bad_date, aliases = articles(results)
    broken, not_object, empty = errors(results)
    assert broken.reason.startswith("invalid JSON")
    assert not_object.reason == "JSON value is not an object (got array)"
    assert empty.reason == "missing or empty text"
    assert (first.key, first.identifier, first.dateline, first.published) == (
        "fake-1", "fake-1", "KINAKUTA", dt.date(2026, 3, 1))
    assert first.url == "https://example.org/fake-1"
    assert first.text == ("Elbonia opens embassy in Kinakuta\n\nElbonia opened an embassy here on Sunday.\n\n"
                          "The ambassador arrived last week.")  # the dateline field is not prepended
    assert bad_date.published is None
    (warning,) = bad_date.warnings
    assert f"{path}:6" in warning and "sometime soon" in warning
    assert aliases.headline == "Kinakuta and Elbonia hold talks"
    assert aliases.published == dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.timezone.utc)


def test_json_object_and_array(tmp_path: Path) -> None:
    one = tmp_path / "one.json"
    one.write_text(json.dumps({"id": "Story 7", "title": "A", "text": "Body."}), encoding="utf-8")
    many = tmp_path / "many.json"
    many.write_text('[\n {"id": "a-1", "title": "A", "text": "Body one."},\n 42,\n {"title": "C", "text": "Three."}\n]',
                    encoding="utf-8")
    scalar = tmp_path / "scalar.json"
    scalar.write_text('"just a string"', encoding="utf-8")
    results = list(read([one, many, scalar]))
    check_records(results)
    art, a1, e42, c, e_scalar = results
    # an id that is not slug-safe is kept as the identifier but the key is a content hash
    assert art.identifier == "Story 7" and len(art.key) == 16 and art.source == str(one)
    assert (a1.key, a1.source) == ("a-1", f"{many}:2")
    assert isinstance(e42, InputError) and e42.source == f"{many}:3" and "not an object" in e42.reason
    assert c.source == f"{many}:4" and c.identifier is None
    assert isinstance(e_scalar, InputError) and e_scalar.reason == "JSON value is not an object (got string)"


def test_jsonl_gz_and_corrupt_gz(tmp_path: Path) -> None:
    good = tmp_path / "a.jsonl.gz"
    with gzip.open(good, "wt", encoding="utf-8") as f:
        f.write(json.dumps({"id": "G-1", "title": "Zipped", "text": "From a gzip file."}) + "\n")
    bad = tmp_path / "b.jsonl.gz"
    bad.write_bytes(b"this is not gzip data at all\n")
    truncated = tmp_path / "c.jsonl.gz"
    truncated.write_bytes(good.read_bytes()[:-10])
    results = list(read([good, bad, truncated]))
    check_records(results)
    assert results[0].key == "g-1" and results[0].identifier == "G-1"
    assert [r.source for r in errors(results)] == [str(bad), str(truncated)]


# --- robustness: each bad input is one InputError naming it, and the batch goes on --------------------------------


GOOD = "Good headline\n\nGood body text."


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", "empty file"),
        ("blank.txt", b"  \n\n \t\n", "empty file"),
        ("empty.jsonl", b"", "empty file"),
        ("blank.json", b"\n", "empty file"),
        ("nul.txt", b"Headline\n\x00\x01\x02body", "binary content, not text"),
        ("controls.html", bytes(range(1, 9)) * 20 + b"<p>x</p>", "binary content, not text"),
        ("binary.jsonl", b"\x00\xff\xfe\x10" * 64, "binary content, not text"),
        ("headline-only.txt", b"Only a headline\n", "no body text after the headline"),
    ],
)
def test_bad_file_gives_one_error_and_batch_goes_on(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    bad = tmp_path / name
    bad.write_bytes(content)
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    results = list(read([bad, good]))
    check_records(results)
    assert len(results) == 2
    assert isinstance(results[0], InputError) and results[0].source == str(bad) and results[0].reason == reason
    assert isinstance(results[1], Article) and results[1].text == GOOD


def test_missing_path(tmp_path: Path) -> None:
    (err,) = list(read([tmp_path / "nope.txt"]))
    assert isinstance(err, InputError) and "no such file" in err.reason


def test_oversized_article(tmp_path: Path) -> None:
    assert DEFAULT_MAX_CHARS == 1_000_000
    big = tmp_path / "big.jsonl"
    big.write_text(json.dumps({"id": "big", "title": "Big", "text": "word " * 100}) + "\n"
                   + json.dumps({"id": "small", "title": "Small", "text": "tiny"}) + "\n", encoding="utf-8")
    err, small = list(read([big], max_chars=200))
    assert isinstance(err, InputError) and err.source == f"{big}:1"
    assert "504 characters" in err.reason and "200" in err.reason
    assert small.key == "small"


def test_encodings(tmp_path: Path) -> None:
    bom = tmp_path / "bom.txt"
    bom.write_bytes("\ufeffCaf\u00e9 talks\n\nThe caf\u00e9 hosted talks.".encode())
    legacy = tmp_path / "legacy.txt"
    legacy.write_bytes("Caf\u00e9 talks \u2013 \u201cdone\u201d\n\nThe caf\u00e9 na\u00efve r\u00e9sum\u00e9 "
                       "was \u201cfine\u201d, the minister\u2019s aide said.".encode("cp1252"))
    utf16 = tmp_path / "utf16.txt"
    utf16.write_bytes("Caf\u00e9 talks\n\nIn UTF-16.".encode("utf-16"))
    decomposed = tmp_path / "nfd.txt"
    decomposed.write_bytes(unicodedata.normalize("NFD", "Caf\u00e9 talks\n\nNFD body.").encode())
    a, b, c, d = list(read([bom, legacy, utf16, decomposed]))
    assert a.headline == "Caf\u00e9 talks" and not a.warnings
    assert b.headline == "Caf\u00e9 talks \u2013 \u201cdone\u201d"
    assert len(b.warnings) == 1 and str(legacy) in b.warnings[0] and "not UTF-8" in b.warnings[0]
    assert c.text == "Caf\u00e9 talks\n\nIn UTF-16."
    assert d.headline == "Caf\u00e9 talks"  # NFC



CAFE = "Caf\u00e9 talks\n\nThe caf\u00e9 hosted talks."


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF16_BE, "utf-16-be")],
    ids=["utf-32-le", "utf-32-be", "utf-16-be"],
)
def test_text_with_a_byte_order_mark_is_read_in_its_encoding(tmp_path: Path, bom: bytes, codec: str) -> None:
    """The UTF-32 LE mark begins with the UTF-16 LE one: taken for UTF-16 the text would be NULs between letters."""
    path = tmp_path / "a.txt"
    path.write_bytes(bom + CAFE.encode(codec))
    (art,) = list(read([path]))
    assert isinstance(art, Article) and art.text == CAFE and not art.warnings


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (codecs.BOM_UTF16_LE + CAFE.encode("utf-16-le") + b"x", "undecodable text: invalid UTF-16"),  # odd length
        (codecs.BOM_UTF32_BE + CAFE.encode("utf-32-be") + b"\x00\x11\x00\x00", "undecodable text: invalid UTF-32"),
        (codecs.BOM_UTF16_LE + " \n\t\n".encode("utf-16-le"), "empty file"),
        # NUL bytes are what UTF-16 is made of: a UTF-16 file is judged binary by its characters, not its bytes
        (codecs.BOM_UTF16_LE + ("\x01\x02\x03\x04" * 50).encode("utf-16-le"), "binary content, not text"),
    ],
    ids=["bad-utf-16", "bad-utf-32", "blank-utf-16", "controls-in-utf-16"],
)
def test_bad_text_behind_a_byte_order_mark_is_one_error(tmp_path: Path, content: bytes, reason: str) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(content)
    (err,) = list(read([path]))
    assert isinstance(err, InputError) and err.source == str(path) and err.reason == reason


RUSSIAN = ("\u041f\u0435\u0440\u0435\u0433\u043e\u0432\u043e\u0440\u044b",  # talks
           "\u0414\u043e\u0433\u043e\u0432\u043e\u0440 \u043f\u043e\u0434\u043f\u0438\u0441\u0430\u043d.")
GREEK = ("\u0391\u03b8\u03ae\u03bd\u03b1",  # Athens
         "\u03a3\u03c5\u03bc\u03c6\u03c9\u03bd\u03af\u03b1 \u03ad\u03b3\u03b9\u03bd\u03b5.")  # agreement made


@pytest.mark.parametrize(
    ("meta", "words", "codec", "how"),
    [
        ('<meta charset="windows-1251">', RUSSIAN, "cp1251", "meta charset"),
        ('<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-7">', GREEK, "iso8859-7",
         "meta charset"),
        ('<meta charset="x-no-such-charset">', RUSSIAN, "cp1251", "detected"),  # an unknown name: detection decides
    ],
    ids=["meta-charset", "http-equiv", "unknown-charset"],
)
def test_html_not_in_utf8_is_decoded_by_its_meta_charset(tmp_path: Path, meta: str, words: tuple[str, str],
                                                          codec: str, how: str) -> None:
    page = tmp_path / "page.html"
    headline, body = words
    page.write_bytes(f"<html><head>{meta}</head><body><h1>{headline}</h1><p>{body}</p></body></html>".encode(codec))
    (art,) = list(read([page]))
    assert isinstance(art, Article) and art.text == f"{headline}\n\n{body}"
    assert art.warnings == (f"{page}: not UTF-8; decoded as {codec} ({how})",)


# --- compressed input: any format may be gzipped ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "texts"),
    [
        ("a.txt.gz", b"Zipped headline\n\nZipped body.", ["Zipped headline\n\nZipped body."]),
        ("a.html.gz", b"<h1>Zipped page</h1><p>Zipped body.</p>", ["Zipped page\n\nZipped body."]),
        ("a.json.gz", json.dumps([{"title": "One", "text": "First."}, {"title": "Two", "text": "Second."}]).encode(),
         ["One\n\nFirst.", "Two\n\nSecond."]),
    ],
)
def test_gzipped_files_of_every_format(tmp_path: Path, name: str, content: bytes, texts: list[str]) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(content))
    results = list(read([path]))
    check_records(results)
    assert [r.text for r in articles(results)] == texts


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("bad.txt.gz", b"this is not gzip data", "cannot read gzip data: Not a gzipped file (b'th')"),
        ("cut.html.gz", gzip.compress(b"<h1>Page</h1><p>Body.</p>" * 100)[:-12],
         "cannot read gzip data: Compressed file ended before the end-of-stream marker was reached"),
        ("big.txt.gz", gzip.compress(b"Headline\n\n" + b"body " * 1000),
         "more than 1,000 bytes once decompressed (the cap, --max-decompressed); the rest of the file is not read"),
        ("big.jsonl.gz", gzip.compress(b'{"title": "T", "text": "' + b"x" * 2000 + b'"}\n'),
         "more than 1,000 bytes once decompressed (the cap, --max-decompressed); the rest of the file is not read"),
    ],
    ids=["not-gzip", "truncated", "over-the-cap", "over-the-cap-in-the-first-line"],
)
def test_bad_gzipped_file_is_one_error_naming_it(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    good = tmp_path / "good.txt"
    good.write_text(GOOD, encoding="utf-8")
    err, art = list(read([path, good], max_decompressed=1000))
    assert isinstance(err, InputError) and (err.source, err.reason) == (str(path), reason)
    assert isinstance(art, Article)


# 1,000 lines of text that does not compress away (about 110 KB, 60 KB gzipped)
LINES = "".join(json.dumps({"title": "Zipped", "text": random.Random(n).randbytes(50).hex()}) + "\n"
                for n in range(1000)).encode()


@pytest.mark.parametrize(
    ("content", "cap", "reason"),
    [
        (gzip.compress(LINES), 20_000,
         "more than 20,000 bytes once decompressed (the cap, --max-decompressed); the rest of the file is not read"),
        (gzip.compress(LINES)[:30_000], 10**9,
         "cannot read: Compressed file ended before the end-of-stream marker was reached"),
    ],
    ids=["over-the-cap", "cut-short"],
)
def test_gzipped_json_lines_keep_the_lines_before_a_failure(tmp_path: Path, content: bytes, cap: int,
                                                           reason: str) -> None:
    path = tmp_path / "many.jsonl.gz"
    path.write_bytes(content)
    *kept, err = list(read([path], max_decompressed=cap))
    assert 0 < len(kept) < 1000 and all(isinstance(r, Article) for r in kept)
    assert [r.source for r in kept] == [f"{path}:{n}" for n in range(1, len(kept) + 1)]
    assert isinstance(err, InputError) and (err.source, err.reason) == (str(path), reason)


# --- JSON and JSON Lines edge cases ----------------------------------------------------------------------------


def test_json_lines_in_utf16_are_read_line_by_line(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    lines = [json.dumps({"id": "u16", "title": "Caf\u00e9", "text": "Body."}, ensure_ascii=False), "{oops"]
    path.write_bytes("\n".join(lines).encode("utf-16"))
    art, err = list(read([path]))
    assert isinstance(art, Article) and art.key == "u16" and art.headline == "Caf\u00e9"
    assert isinstance(err, InputError) and err.source == f"{path}:2" and err.reason.startswith("invalid JSON")


def test_an_over_long_json_line_costs_that_line(tmp_path: Path) -> None:
    """A line is read up to a cap in bytes (never whole into memory), the rest of it skipped."""
    cap = 8 * 100 + 65536  # bytes a line may have with --max-chars 100: JSON escapes and UTF-8 make it longer
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"title": "Long", "text": "x" * (cap + 10)}) + "\n"
                    + json.dumps({"title": "Short", "text": "Fine."}) + "\n", encoding="utf-8")
    err, art = list(read([path], max_chars=100))
    assert isinstance(err, InputError) and (err.source, err.reason) == (f"{path}:1",
                                                                          f"line too long: more than {cap} bytes")
    assert isinstance(art, Article) and art.source == f"{path}:2" and art.headline == "Short"


@pytest.mark.parametrize(
    ("ident", "identifier", "warned"),
    [(42, "42", False), (True, None, True), (["a-1"], None, True)],
    ids=["number", "boolean", "array"],
)
def test_a_json_id_that_is_not_a_string(tmp_path: Path, ident: object, identifier: str | None, warned: bool) -> None:
    """A number is an id written without quotes (kept, as its digits); anything else is ignored with a warning and
    the article is kept under a key made from its text. True is a bool, not the number 1."""
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"id": ident, "title": "Title", "text": "Body."}) + "\n", encoding="utf-8")
    (art,) = list(read([path]))
    assert isinstance(art, Article) and art.identifier == identifier
    assert art.warnings == ((f"{path}:1: ignored an id that is not a string",) if warned else ())
    if identifier:
        assert art.key == identifier


@pytest.mark.skipif(not hasattr(sys, "set_int_max_str_digits"), reason="Python without the integer digits limit")
def test_a_json_line_with_a_huge_number_costs_that_line(tmp_path: Path) -> None:
    """Python refuses to convert an integer of more than 4,300 digits (its conversion is quadratic): that is an
    error of the line, not of the file or the build."""
    path = tmp_path / "a.jsonl"
    path.write_text('{"title": "Huge", "text": "Body.", "n": ' + "9" * 5000 + "}\n"
                    + json.dumps({"title": "Fine", "text": "Body."}) + "\n", encoding="utf-8")
    err, art = list(read([path]))
    assert isinstance(err, InputError) and err.source == f"{path}:1"
    assert err.reason.startswith("invalid JSON: Exceeds the limit (4300 digits) for integer string conversion")
    assert isinstance(art, Article) and art.headline == "Fine"


def test_a_file_larger_than_the_byte_limit_is_rejected_before_decoding(tmp_path: Path) -> None:
    """Whole-file formats are read into memory up to a limit (64 MiB at the least), never further."""
    big = tmp_path / "big.txt"
    with big.open("wb") as fh:
        fh.truncate(64 * 2**20 + 1)  # sparse: costs no disk
    (err,) = list(read([big]))
    assert isinstance(err, InputError) and err.source == str(big)
    assert err.reason == f"file too large: more than {64 * 2**20} bytes"


def test_an_empty_json_array_is_one_error(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text(" [ \n ] \n", encoding="utf-8")
    (err,) = list(read([path]))
    assert isinstance(err, InputError) and (err.source, err.reason) == (str(path), "empty JSON array")


def test_folder_walk(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "2.txt").write_text("Two\n\nBody two.", encoding="utf-8")
    (tmp_path / "b" / "1.html").write_text("<h1>One</h1><p>Body one.</p>", encoding="utf-8")
    (tmp_path / "a.txt").write_text("Zero\n\nBody zero.", encoding="utf-8")
    (tmp_path / "c.csv").write_text("not,an,article\nbut,read,anyway\n", encoding="utf-8")
    (tmp_path / ".hidden.txt").write_text("Hidden\n\nNo.", encoding="utf-8")
    (tmp_path / ".git" / "x.txt").write_text("Hidden\n\nNo.", encoding="utf-8")
    assert [a.headline for a in read([tmp_path])] == ["Zero", "One", "Two"]
    # an explicit path with an unknown extension is read as text
    (art,) = list(read([tmp_path / "c.csv"]))
    assert art.headline == "not,an,article"
    (tmp_path / "empty").mkdir()
    (err,) = list(read([tmp_path / "empty"]))
    assert isinstance(err, InputError) and "no input files" in err.reason


def test_a_broken_link_in_a_folder_is_one_error_and_the_walk_goes_on(tmp_path: Path) -> None:
    (tmp_path / "a.txt").symlink_to(tmp_path / "gone.txt")  # a scraped folder whose target was deleted
    (tmp_path / "b.txt").symlink_to(tmp_path / "b.txt")  # a link to itself
    (tmp_path / "c.txt").write_text(GOOD, encoding="utf-8")
    a, b, c = list(read([tmp_path]))
    assert isinstance(a, InputError) and (a.source, a.reason) == (str(tmp_path / "a.txt"),
                                                                   "cannot open: No such file or directory")
    assert isinstance(b, InputError) and (b.source, b.reason) == (str(tmp_path / "b.txt"),
                                                                   "cannot open: Too many levels of symbolic links")
    assert isinstance(c, Article) and c.text == GOOD


def test_stdin() -> None:
    lines = json.dumps({"id": "s1", "title": "From stdin", "text": "Piped."}) + "\nnot json\n"
    art, err = list(read(["-"], stdin=io.StringIO(lines)))
    assert art.key == "s1" and art.source == "<stdin>:1"
    assert isinstance(err, InputError) and err.source == "<stdin>:2"
    (text,) = list(read(["-"], stdin=io.StringIO("Piped headline\r\n\r\nPiped body.\r\n")))
    assert text.text == "Piped headline\n\nPiped body." and text.source == "<stdin>"
    (empty,) = list(read("-", stdin=io.StringIO("")))
    assert isinstance(empty, InputError)


# --- dates, datelines, normalisation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-02-04", dt.date(2026, 2, 4)),
        ("2026-02-04T10:20:30Z", dt.datetime(2026, 2, 4, 10, 20, 30, tzinfo=dt.timezone.utc)),
        ("2026-02-04T10:20:30.5+05:00", dt.datetime(2026, 2, 4, 10, 20, 30, 500000,
                                                     tzinfo=dt.timezone(dt.timedelta(hours=5)))),
        ("22-MAR-1987 06:42:31.92", dt.datetime(1987, 3, 22, 6, 42, 31, 920000)),
        ("3-APR-1987  04:42:11.58", dt.datetime(1987, 4, 3, 4, 42, 11, 580000)),
        ("27-MAR-1987 00:02:59.13&#5;&#5;RM", dt.datetime(1987, 3, 27, 0, 2, 59, 130000)),
        ("04 February 2026", dt.date(2026, 2, 4)),
        ("Updated 04 February 2026", dt.date(2026, 2, 4)),
        ("February 4, 2026", dt.date(2026, 2, 4)),
        ("Wednesday, Feb. 4, 2026", dt.date(2026, 2, 4)),
        ("Wed, 04 Feb 2026 10:00:00 +0000", dt.datetime(2026, 2, 4, 10, 0, tzinfo=dt.timezone.utc)),
        ("sometime soon", None),
        ("2026-02-30", None),
        ("31-MAR-1987 605:12:19.12", None),
        ("", None),
    ],
)
def test_parse_date(text: str, expected: dt.date | None) -> None:
    assert parse_date(text) == expected


@pytest.mark.parametrize(
    ("dateline", "place", "day"),
    [
        ("LONDON, March 22", "LONDON", dt.date(1987, 3, 22)),
        ("Tokyo, April 17", "Tokyo", None),  # too far from the publication date to trust
        ("BUENOS AIRES, March 23", "BUENOS AIRES", dt.date(1987, 3, 23)),
        ("TORRANCE, Calif., March 21", "TORRANCE, Calif.", dt.date(1987, 3, 21)),
        ("NAIROBI", "NAIROBI", None),
    ],
)
def test_dateline_field(tmp_path: Path, dateline: str, place: str, day: dt.date | None) -> None:
    path = tmp_path / "d.json"
    record = {"title": "T", "text": "Body.", "dateline": dateline, "date": "22-MAR-1987 23:00:00.00"}
    path.write_text(json.dumps(record), encoding="utf-8")
    (art,) = list(read([path]))
    assert (art.dateline, art.dateline_date) == (place, day)


def test_dateline_day_across_new_year(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    path.write_text(json.dumps({"title": "T", "text": "Body.", "dateline": "MOSCOW, Jan 1", "date": "1987-12-31"})
                    + "\n" + json.dumps({"title": "T", "text": "Body.", "dateline": "MOSCOW, Jan 1"}) + "\n",
                    encoding="utf-8")
    with_date, without = list(read([path]))
    assert with_date.dateline_date == dt.date(1988, 1, 1)
    assert without.dateline_date is None and without.dateline == "MOSCOW"


def test_lone_surrogate_from_json_escape(tmp_path: Path) -> None:
    path = tmp_path / "s.jsonl"
    lines = '{"title": "T\\ud800", "text": "a\\udc00b"}\n{"title": "Next", "text": "Fine."}\n'
    path.write_text(lines, encoding="utf-8")
    first, second = list(read([path]))
    assert first.text == "T\ufffd\n\na\ufffdb" and second.headline == "Next"


def test_normalise_text() -> None:
    raw = "Head\u00a0line  \r\n\r\n\r\n\r\nBody\u00a0one\t \rtwo \u201cq\u201d\n\n\n"
    assert normalise_text(raw) == "Head line\n\nBody one\ntwo \u201cq\u201d"


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab \t\n\r\u00a0\u202f\u2000e\u0301\u00e9\u2028\x0c\x1c.")))
def test_normalise_is_idempotent(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once
    assert unicodedata.is_normalized("NFC", once)
    assert "\r" not in once and "\u00a0" not in once and "\n\n\n" not in once


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_normalise_is_idempotent_on_any_text(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once


# --- properties: nothing raises ----------------------------------------------------------------------------------


SUFFIXES = [".txt", ".html", ".json", ".jsonl", ".jsonl.gz", ".dat"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=600), suffix=st.sampled_from(SUFFIXES))
def test_random_bytes_never_raise(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"random{suffix}"
    path.write_bytes(data)
    results = list(read([path], max_chars=10_000))
    check_records(results)
    assert results


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
field_values = st.none() | st.booleans() | st.integers() | st.text(max_size=40) | st.lists(st.text(max_size=5))
records = st.fixed_dictionaries(
    {},
    optional={k: field_values for k in ("id", "title", "headline", "text", "body", "date", "published", "dateline",
                                       "url")},
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(values=st.lists(json_values | records, min_size=1, max_size=6))
def test_random_json_lines_never_raise(tmp_path: Path, values: list) -> None:
    path = tmp_path / "random.jsonl"
    path.write_text("".join(json.dumps(v) + "\n" for v in values), encoding="utf-8")
    results = list(read([path]))
    check_records(results)
    assert len(results) == len(values)  # one record per line, good or bad
    for number, result in enumerate(results, 1):
        assert result.source == f"{path}:{number}"
