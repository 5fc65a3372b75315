"""HTML rendering of projected pairs (spacy_xlt.visualize) and `spacy xlt visualize`, checked as
strings and in a real headless browser (Debian's chromium) where one is installed."""

import os
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

import pytest
from spacy.tokens import Doc
from spacy.vocab import Vocab
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, set_doc_spans, write_pairs
from spacy_xlt.visualize import (
    LABEL_COLORS,
    PROJECTION_KEY,
    label_colors,
    pair_summary,
    render_pairs,
)

CHROMIUM = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install -y chromium)"
)


def _doc(words, spans=(), lang_vocab=None, spaces=None, key=None):
    doc = Doc(lang_vocab or Vocab(), words=words, spaces=spaces)
    return set_doc_spans(doc, [TokenSpan(*s) for s in spans], key)


def _pair(src_words, src_spans, tgt_words, proj_spans, src_spaces=None, tgt_spaces=None, key=None):
    src = _doc(src_words, src_spans, spaces=src_spaces, key=key)
    tgt = _doc(tgt_words, (), spaces=tgt_spaces)
    pair = make_pair(src, tgt, source_lang="en", spans_key=key)
    return set_doc_spans(pair, [TokenSpan(*s) for s in proj_spans], key)


@pytest.fixture
def pairs_and_gold():
    pairs = [
        _pair(
            ["The", "Kenyan", "capital", ",", "Nairobi", ",", "hosted", "Ana", "Quispe", "."],
            [(1, 2, "MISC"), (4, 5, "LOC"), (7, 9, "PER")],
            ["La", "capital", "keniana", ",", "Nairobi", ",", "recibió", "a", "Ana", "Quispe", "."],
            [(2, 3, "MISC"), (4, 5, "LOC"), (8, 9, "PER")],  # PER too short: wrong + missed
            src_spaces=[True, True, False, True, False, True, True, True, False, False],
            tgt_spaces=[True, True, False, True, False, True, True, True, True, False, False],
        ),
        _pair(
            ["Kofi", "Mensah", "met", "<script>alert(1)</script>", "in", "Lima", "."],
            [(0, 2, "PER"), (3, 4, "ORG"), (5, 6, "LOC")],
            ["Kofi", "Mensah", "se", "reunió", "con", "<script>alert(1)</script>", "en", "Lima", "."],
            [(0, 2, "PER"), (7, 8, "LOC")],  # the ORG is lost
        ),
        _pair(["Nothing", "here", "."], [], ["Nada", "aquí", "."], []),
    ]
    gold = [
        _doc([t.text for t in pairs[0]], [(2, 3, "MISC"), (4, 5, "LOC"), (8, 10, "PER")]),
        _doc([t.text for t in pairs[1]], [(0, 2, "PER"), (5, 6, "ORG"), (7, 8, "LOC")]),
        _doc([t.text for t in pairs[2]], []),
    ]
    return pairs, gold


def test_summary_counts(pairs_and_gold):
    pairs, gold = pairs_and_gold
    s = pair_summary(pairs[1], 1)
    assert (s.n_source, s.n_projected, s.n_lost, s.lost) == (3, 2, 1, {"ORG": 1})
    assert s.lost_spans is None and s.n_gold is None
    s = pair_summary(pairs[0], 0, gold[0])
    assert (s.n_source, s.n_projected, s.n_lost, s.n_gold) == (3, 3, 0, 3)
    assert s.correct == [TokenSpan(2, 3, "MISC"), TokenSpan(4, 5, "LOC")]
    assert s.wrong == [TokenSpan(8, 9, "PER")] and s.missed == [TokenSpan(8, 10, "PER")]


def test_recorded_lost_spans_are_exact():
    pair = _pair(["Ana", "and", "Eva", "met"], [(0, 1, "PER"), (2, 3, "PER")], ["Ana", "y", "Eva"], [(0, 1, "PER")])
    pair.user_data[PROJECTION_KEY] = {"method": "x", "unaligned": [[2, 3, "PER"]], "conflicts": []}
    s = pair_summary(pair)
    assert s.lost_spans == [(TokenSpan(2, 3, "PER"), "unaligned")] and s.n_lost == 1
    page = render_pairs([pair])
    source_row = page.split('class="lang">source')[1].split('class="lang">projected')[0]
    assert source_row.count(" lost") == 1 and "no target word is aligned" in source_row


def test_projection_key_matches_the_projectors():
    from spacy_xlt.pipes import util

    assert util.PROJECTION_KEY == PROJECTION_KEY


def test_render_page(pairs_and_gold):
    pairs, gold = pairs_and_gold
    page = render_pairs(pairs, gold)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert page.count('<section class="pair"') == 3
    # source above, then projected, then gold, in every pair
    for section in page.split('<section class="pair"')[1:]:
        assert section.index(">source") < section.index(">projected") < section.index(">gold")
    assert "Nairobi" in page and "keniana" in page and "Quispe" in page
    assert "lost <b class=\"bad\">1</b> (1 ORG)" in page
    assert "correct <b class=\"good\">2</b>" in page and "wrong <b class=bad>1</b>" in page
    assert page.count("\u2713") >= 4  # 2 + 2 correct marks, and the legend note
    # exact-match micro scores over the three pairs: 4 correct of 5 projected, 6 gold
    assert "P 80.0 R 66.7 F1 <b>72.7</b>" in page


def test_same_colour_for_a_label_on_both_sides(pairs_and_gold):
    pairs, _ = pairs_and_gold
    page = render_pairs(pairs)
    colours = LABEL_COLORS
    for section in page.split('<section class="pair"')[1:3]:
        src, tgt = section.split('class="lang">projected')
        for label in ("LOC", "PER"):
            pattern = re.compile(r'background: (#[0-9a-f]{6});[^>]*>[^<]*<span[^>]*>' + label)
            assert set(pattern.findall(src)) == set(pattern.findall(tgt)) == {colours[label]}


def test_palette_is_fixed_for_unknown_labels():
    a = label_colors(["ZED", "ALPHA", "PER"])
    b = label_colors(["PER", "ALPHA", "ZED"])
    assert a == b and a["PER"] == LABEL_COLORS["PER"] and a["ALPHA"] != a["ZED"]
    assert label_colors(["PER"], {"PER": "#000000"}) == {"PER": "#000000"}


def test_text_and_labels_are_escaped():
    pair = _pair(["a", "<b>x</b>", "&"], [(1, 2, "<i>L")], ["<script>alert(1)</script>", "&amp;"], [(0, 1, "<i>L")])
    gold = [_doc([t.text for t in pair], [(0, 1, "<i>L")])]
    for key in (None, "sc"):
        if key:
            pair = _pair(["a", "<b>x</b>", "&"], [(1, 2, "<i>L")], ["<script>alert(1)</script>", "&amp;"],
                         [(0, 1, "<i>L")], key=key)
            gold = [_doc([t.text for t in pair], [(0, 1, "<i>L")], key=key)]
        page = render_pairs([pair], gold, spans_key=key)
        assert "<script" not in page.lower() and "<b>x" not in page and "<i>" not in page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
        assert "&amp;amp;" in page and "&lt;i&gt;L" in page


def test_self_contained(pairs_and_gold):
    pairs, gold = pairs_and_gold
    page = render_pairs(pairs, gold)
    for needle in ("http://", "https://", "src=", "<link", "@import", "url(", "<script"):
        assert needle not in page.lower()


def test_span_style_shows_overlaps():
    # source spans of a pair never overlap; projected ones may (a projector keeping overlaps)
    pair = _pair(["New", "York", "City", "Hall"], [(0, 2, "LOC"), (2, 4, "ORG")], ["el", "ayuntamiento", "de", "Nueva", "York"],
                 [(3, 5, "LOC"), (1, 5, "ORG")], key="sc")
    page = render_pairs([pair], spans_key="sc")
    assert page.count('class="spans"') == 2
    assert page.count(LABEL_COLORS["LOC"]) >= 3 and page.count(LABEL_COLORS["ORG"]) >= 3


def test_limit_and_errors(pairs_and_gold):
    pairs, gold = pairs_and_gold
    page = render_pairs(pairs, limit=2)
    assert page.count('<section class="pair"') == 2 and "<b>2</b> of 3 pairs shown" in page
    with pytest.raises(XLTError, match="XLTE204"):
        render_pairs(pairs, limit=0)
    with pytest.raises(XLTError, match="XLTE202"):
        render_pairs(pairs, gold[:2])
    other = [gold[0], _doc(["Kofi", "Mensah"], []), gold[2]]
    with pytest.raises(XLTError, match="XLTE203"):
        render_pairs(pairs, other)
    with pytest.raises(XLTError, match="XLTE042"):
        render_pairs([_doc(["no", "source"])])


def test_cli(pairs_and_gold, tmp_path):
    pairs, gold = pairs_and_gold
    write_pairs(pairs, tmp_path / "pairs.spacy")
    write_pairs(gold, tmp_path / "gold.spacy")
    assert "visualize" in {c.name for c in xlt_cli.registered_commands}
    runner = CliRunner()
    out = tmp_path / "out" / "view.html"
    result = runner.invoke(
        xlt_cli, ["visualize", str(tmp_path / "pairs.spacy"), str(out), "--gold", str(tmp_path / "gold.spacy"), "--limit", "2"]
    )
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf8")
    assert page.count('<section class="pair"') == 2 and ">gold" in page and "pairs.spacy" in page
    result = runner.invoke(xlt_cli, ["visualize", str(tmp_path / "missing.spacy"), str(out)])
    assert result.exit_code == 1 and "XLTE021" in result.output
    result = runner.invoke(xlt_cli, ["visualize", str(tmp_path / "pairs.spacy"), str(out), "--limit", "0"])
    assert result.exit_code == 1 and "XLTE204" in result.output
    write_pairs([], tmp_path / "empty.spacy")
    result = runner.invoke(xlt_cli, ["visualize", str(tmp_path / "empty.spacy"), str(out)])
    assert result.exit_code == 1 and "XLTE205" in result.output


# ----------------------------------------------------------------------------------------------
# Headless browser: render a page, screenshot it with chromium, and check the PNG's pixels.
# ----------------------------------------------------------------------------------------------


def read_png(path: Path):
    """(width, height, rows of RGB(A) bytes, channels) of an 8-bit non-interlaced RGB/RGBA PNG."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind, body = data[pos + 4:pos + 8], data[pos + 8:pos + 8 + length]
        assert zlib.crc32(kind + body) == struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])[0]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        ftype = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif ftype == 2:
            line = bytearray((a + b) & 0xFF for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b, c = prev[i], (prev[i - bpp] if i >= bpp else 0)
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 0xFF
        rows.append(bytes(line))
        prev = line
    return width, height, rows, bpp


def _hex(colour: str):
    return tuple(int(colour[i:i + 2], 16) for i in (1, 3, 5))


def _chromium(args, tmp_path, timeout=120):
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'profile'}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)


@needs_chromium
def test_screenshot_in_headless_chromium(pairs_and_gold, tmp_path):
    pairs, gold = pairs_and_gold
    page = tmp_path / "pairs.html"
    page.write_text(render_pairs(pairs, gold), encoding="utf8")
    png = tmp_path / "pairs.png"
    proc = _chromium([f"--screenshot={png}", "--window-size=1200,900", page.as_uri()], tmp_path)
    assert png.exists(), proc.stderr[-2000:]
    keep = os.environ.get("SPACY_XLT_SCREENSHOT_DIR")
    if keep:  # to look at it
        Path(keep).mkdir(parents=True, exist_ok=True)
        shutil.copy(png, Path(keep) / "visualize.png")
    assert png.stat().st_size > 5000
    width, height, rows, bpp = read_png(png)
    assert (width, height) == (1200, 900)
    pixels = [tuple(row[i:i + 3]) for row in rows[::2] for i in range(0, len(row), bpp * 2)]
    counts = {}
    for p in pixels:
        counts[p] = counts.get(p, 0) + 1
    white = counts.get((255, 255, 255), 0)
    assert white < 0.97 * len(pixels), "the page rendered (almost) blank"
    assert len(counts) > 50, "too few colours for rendered text and marks"
    # the label colours fill the entity boxes: each shows up as a patch of exact pixels
    for label in ("PER", "LOC", "MISC", "ORG"):
        assert counts.get(_hex(LABEL_COLORS[label]), 0) > 200, label


@needs_chromium
def test_browser_parses_escaped_text_as_text(tmp_path):
    pair = _pair(["x"], [], ["<script>document.title='pwned'</script>", "<img", "onerror=alert(1)>"], [(0, 1, "LOC")])
    page = tmp_path / "evil.html"
    page.write_text(render_pairs([pair], title="escaped"), encoding="utf8")
    proc = _chromium(["--dump-dom", page.as_uri()], tmp_path)
    dom = proc.stdout
    assert "<title>escaped</title>" in dom, proc.stderr[-2000:]
    assert "<script" not in dom.lower() and "<img" not in dom.lower()
    assert "&lt;script&gt;document.title='pwned'&lt;/script&gt;" in dom
