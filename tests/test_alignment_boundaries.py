"""The boundary rules of the span step (spans of any length), on synthetic sentence pairs.

The sentences here are made up for the tests: a source span's own extent and content decide
its boundaries (holes filled relative to its length, its final punctuation, the sentence's
edges), while short spans keep the boundaries their aligned tokens give.
"""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan
from spacy_xlt.projection.alignment import (
    PROJECTED,
    SETTINGS,
    project_spans,
    projection_settings,
    span_gap,
)

OFF = dict(gap_ratio=0.0, edge_punct=False, sentence_edges=False)


def S(start, end, label="Claim"):
    return TokenSpan(start, end, label)


def diagonal(n, skip=()):
    """Links i-i for i < n, except the target tokens in ``skip``."""
    return [(i, i) for i in range(n) if i not in skip]


# --------------------------------------------------------------------------- holes


def test_span_gap_grows_with_the_span():
    assert span_gap(1) == span_gap(4) == span_gap(11) == 2
    assert span_gap(12) == 3 and span_gap(30) == 7
    assert span_gap(30, max_gap=2, gap_ratio=0.0) == 2
    assert span_gap(3, max_gap=5, gap_ratio=0.5) == 5


def test_holes_inside_long_spans_are_filled():
    # a 20-token source span whose last 12 words went to target 8..19, a hole of four
    # unaligned target tokens (4..7) in between: one span, not its largest run
    src = [f"s{i}" for i in range(21)]
    tgt = [f"t{i}" for i in range(21)]
    links = [(i, i) for i in range(4)] + [(i, i) for i in range(8, 20)]
    r = project_spans([S(0, 20)], links, tgt, source_words=src, sentence_edges=False)
    assert r.spans == [S(0, 20)]
    # with a fixed hole of two tokens it is cut to the run of twelve
    old = project_spans([S(0, 20)], links, tgt, source_words=src, **OFF)
    assert old.spans == [S(8, 20)]


def test_holes_of_short_spans_stay_small():
    # a three-token span aligned to 0 and 4: hole of three > max_gap, whatever the ratio
    r = project_spans([S(0, 3, "LOC")], [(0, 0), (1, 4), (2, 4)], 6)
    assert r.spans == [S(4, 5, "LOC")]


# --------------------------------------------------------------------------- punctuation


def test_final_full_stop_of_the_span_pulls_the_target_full_stop_in():
    src = ["the", "soup", "was", "cold", ".", "We", "left"]
    tgt = ["la", "sopa", "estaba", "fría", ".", "Nos", "fuimos"]
    links = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)]
    # the target "." is punctuation: the aligned set leaves it out, the edge rule takes it
    for kw in (dict(source_words=src), dict(n_source=len(src))):
        r = project_spans([S(0, 5)], links, tgt, **kw)
        assert r.spans == [S(0, 5)], kw
        assert r.details[0].aligned == [0, 1, 2, 3]
    assert project_spans([S(0, 5)], links, tgt, source_words=src, edge_punct=False).spans == [
        S(0, 4)
    ]
    # an unaligned target "." is taken too, when the source words say the span ends in one
    unlinked = [link for link in links if link != (4, 4)]
    assert project_spans([S(0, 5)], unlinked, tgt, source_words=src).spans == [S(0, 5)]
    # ... but without source words nothing says the source span ends with punctuation
    assert project_spans([S(0, 5)], unlinked, tgt, n_source=7).spans == [S(0, 4)]


def test_edge_punctuation_is_not_taken_from_outside_the_span():
    # source span "cold ." ; the target "," after it translates the source "," outside it
    src = ["it", "was", "cold", ".", ",", "really"]
    tgt = ["hacía", "frío", ",", "."]
    links = [(1, 0), (2, 1), (4, 2), (3, 3)]
    r = project_spans([S(1, 4)], links, tgt, source_words=src)
    assert r.spans == [S(0, 2)]


def test_word_linked_to_shared_punctuation_is_not_taken_for_punctuation():
    # without source words, a span's last word linked only to a "..." that another source
    # word also links to is an alignment error, not a mark: the "..." stays out
    tgt = ["el", "Plato", "...", "y"]
    r = project_spans([S(0, 2, "TARGET")], [(0, 1), (0, 2), (1, 2), (2, 3)], tgt, n_source=3)
    assert r.spans == [S(1, 2, "TARGET")]
    # linked to a "..." of its own, it reads as a mark, and the "..." joins
    r = project_spans([S(0, 2, "TARGET")], [(0, 1), (1, 2), (2, 3)], tgt, n_source=3)
    assert r.spans == [S(1, 3, "TARGET")]


def test_opening_punctuation_of_the_span():
    src = ["see", "(", "table", "two", ")", "now"]
    tgt = ["ver", "(", "tabla", "dos", ")", "ahora"]
    r = project_spans([S(1, 5, "REF")], diagonal(6), tgt, source_words=src)
    assert r.spans == [S(1, 5, "REF")]
    assert project_spans([S(1, 5, "REF")], diagonal(6), tgt, source_words=src, **OFF).spans == [
        S(2, 4, "REF")
    ]


def test_edge_punct_needs_target_words():
    # only the number of target tokens: nothing is known to be punctuation
    assert project_spans([S(0, 2)], [(0, 0)], 3, source_words=["a", "."]).spans == [S(0, 1)]
    words = ["x", ".", "y"]
    assert project_spans([S(0, 2)], [(0, 0)], words, source_words=["a", "."]).spans == [S(0, 2)]


# --------------------------------------------------------------------------- sentence edges

SRC = "Pain scores fell sharply in both arms .".split()  # 8 tokens
TGT = "Las puntuaciones de dolor bajaron mucho en ambos brazos .".split()  # 10 tokens
# "Las" and "de" are left unaligned
LINKS = [(0, 3), (1, 1), (2, 4), (3, 5), (4, 6), (5, 7), (6, 8), (7, 9)]


def test_unaligned_sentence_initial_article_joins_a_span_from_source_token_0():
    r = project_spans([S(0, 8, "Premise")], LINKS, TGT, source_words=SRC)
    assert r.spans == [S(0, 10, "Premise")]
    assert r.details[0].candidate == S(1, 9, "Premise")
    # the rules off: the article and the full stop are cut off
    off = project_spans([S(0, 8, "Premise")], LINKS, TGT, source_words=SRC, **OFF)
    assert off.spans == [S(1, 9, "Premise")]
    # a long span from token 0 that stops before the sentence's end gets the article too
    r = project_spans([S(0, 5, "Premise")], LINKS, TGT, source_words=SRC)
    assert r.spans == [S(0, 7, "Premise")]


def test_whole_sentence_span_projects_to_the_whole_translation():
    # the aligned tokens have holes of four (2..5) and the final "." is unaligned: a span
    # covering its sentence still covers the translation
    links = [(0, 1), (1, 6), (2, 7), (3, 8), (4, 9), (5, 10)]
    tgt = ["El", "estudio", "x", "x", "x", "x", "mostró", "un", "claro", "beneficio", "hoy", "."]
    r = project_spans([S(0, 7)], links, tgt, n_source=7)
    assert r.spans == [S(0, 12)]
    assert project_spans([S(0, 7)], links, tgt, n_source=7, **OFF).spans == [S(6, 11)]


def test_short_span_at_sentence_start_keeps_its_aligned_start():
    # "Food was great" -> "La comida era genial": an opinion target leaves the article out
    r = project_spans(
        [S(0, 1, "TARGET")], [(0, 1), (1, 2), (2, 3)], ["La", "comida", "era", "genial"], n_source=3
    )
    assert r.spans == [S(1, 2, "TARGET")]
    # a four-token name at the sentence's start is still short (edge_min_length=5)
    links = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    tgt = ["El", "Banco", "Central", "de", "Europa", "sube"]
    assert project_spans([S(0, 4, "ORG")], links, tgt, n_source=5).spans == [S(1, 5, "ORG")]
    assert project_spans([S(0, 4, "ORG")], links, tgt, n_source=5, edge_min_length=4).spans == [
        S(0, 5, "ORG")
    ]


def test_sentence_edge_stops_at_tokens_aligned_outside_the_span():
    # the target starts with the translation of source words after the span (reordering)
    src = "the results were confirmed in this trial of ours".split()  # span 0..5
    tgt = ["En", "este", "ensayo", "se", "confirmaron", "los", "resultados"]
    links = [(5, 1), (6, 2), (3, 4), (0, 5), (1, 6), (2, 4), (4, 0)]
    r = project_spans([S(0, 5)], links, tgt, source_words=src)
    # "En" (0) translates "in", inside the span, but "este ensayo" translate words outside:
    # the span does not reach over them to the target's first token
    assert r.spans == [S(4, 7)]


def test_sentence_end_needs_the_number_of_source_tokens():
    src_links = [(i, i) for i in range(5)]
    tgt = ["a", "b", "c", "d", "e", "f"]  # "f" unaligned
    assert project_spans([S(0, 5)], src_links, tgt).spans == [S(0, 5)]
    assert project_spans([S(0, 5)], src_links, tgt, n_source=5).spans == [S(0, 6)]


def test_two_clauses_each_reach_their_edge():
    # two clauses: "[A was B ,] [while C was D .]": the first ends with "," and takes the
    # target ","; the second runs to the sentence's end and takes the final "."
    src = "the drug was safe , while the placebo was not either .".split()
    tgt = "el fármaco fue seguro , mientras que el placebo no lo fue tampoco .".split()
    links = [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 7), (7, 8), (8, 11), (9, 9)]
    links += [(10, 12), (11, 13)]
    spans = [S(0, 5, "Premise"), S(5, 12, "Premise")]
    r = project_spans(spans, links, tgt, source_words=src)
    assert r.spans == [S(0, 5, "Premise"), S(5, 14, "Premise")]


def test_keep_overlaps_widens_over_other_spans():
    links = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 5)]
    tgt = ["Los", "a", "b", "c", "d", "e"]
    spans = [S(0, 5, "Premise"), S(0, 1, "X")]
    r = project_spans(spans, links, tgt, n_source=5, overlaps="keep")
    assert r.spans == [S(0, 6, "Premise"), S(1, 2, "X")]


# --------------------------------------------------------------------------- settings


def test_settings_are_config_friendly_and_complete():
    everything = projection_settings()
    assert set(everything) == set(SETTINGS)
    assert everything["gap_ratio"] == 0.25 and everything["edge_min_length"] == 5
    assert everything["edge_punct"] is True and everything["sentence_edges"] is True
    assert json.loads(json.dumps(everything)) == everything
    assert projection_settings(max_gap=3)["max_gap"] == 3
    assert projection_settings(gap_ratio=0.5)["gap_ratio"] == 0.5


@pytest.mark.parametrize(
    "name,value",
    [
        ("gap_ratio", -0.1),
        ("gap_ratio", 1.5),
        ("gap_ratio", "0.2"),
        ("gap_ratio", True),
        ("edge_min_length", 0),
        ("edge_min_length", 2.5),
        ("edge_min_length", False),
        ("edge_punct", "yes"),
        ("sentence_edges", 1),
        ("ignore_punct", None),
    ],
)
def test_bad_boundary_settings(name, value):
    with pytest.raises(XLTError, match=rf"XLTE143.*{name}"):
        project_spans([S(0, 1)], [(0, 0)], ["a"], **{name: value})


def test_source_words_and_n_source_must_agree():
    with pytest.raises(XLTError, match=r"XLTE147.*2 words.*n_source is 3"):
        project_spans([S(0, 1)], [(0, 0)], ["a"], source_words=["a", "b"], n_source=3)
    with pytest.raises(XLTError, match="XLTE144"):
        project_spans([S(0, 3)], [(0, 0)], ["a"], source_words=["a", "b"])
    r = project_spans([S(0, 1)], [(0, 0)], ["a"], source_words=["a", "b"], n_source=2)
    assert r.spans == [S(0, 1)]


# --------------------------------------------------------------------------- properties

WORDS = ["w", "v", ",", ".", "a."]


@st.composite
def cases(draw, max_len=14, words=WORDS):
    n_src = draw(st.integers(1, max_len))
    n_tgt = draw(st.integers(1, max_len))
    links = draw(
        st.lists(st.tuples(st.integers(0, n_src - 1), st.integers(0, n_tgt - 1)), max_size=20)
    )
    cuts = sorted(draw(st.sets(st.integers(0, n_src), max_size=6)))
    spans = [
        S(a, b, draw(st.sampled_from("XY"))) for a, b in zip(cuts, cuts[1:]) if draw(st.booleans())
    ]
    source = [draw(st.sampled_from(words)) for _ in range(n_src)]
    target = [draw(st.sampled_from(words)) for _ in range(n_tgt)]
    return spans, links, source, target


@settings(max_examples=400, deadline=None)
@given(
    cases(),
    st.sampled_from(["largest_run", "hull"]),
    st.integers(0, 3),
    st.sampled_from([0.0, 0.25, 0.5, 1.0]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.integers(1, 6),
    st.sampled_from(["trim", "drop"]),
    st.booleans(),
)
def test_boundary_invariants(
    case,
    policy,
    max_gap,
    gap_ratio,
    ignore_punct,
    edge_punct,
    sentence_edges,
    min_len,
    overlaps,
    with_words,
):
    spans, links, source, target = case
    kw = dict(
        policy=policy,
        max_gap=max_gap,
        gap_ratio=gap_ratio,
        ignore_punct=ignore_punct,
        edge_punct=edge_punct,
        sentence_edges=sentence_edges,
        edge_min_length=min_len,
        overlaps=overlaps,
    )
    inputs = dict(source_words=source) if with_words else dict(n_source=len(source))
    r = project_spans(spans, links, target, **inputs, **kw)
    # well-formed, non-overlapping, every source span accounted for
    assert r.spans == sorted(r.spans)
    for a, b in zip(r.spans, r.spans[1:]):
        assert a.end <= b.start
    assert len(r.spans) + len(r.unaligned) + len(r.conflicts) == len(spans)
    # the edge rules only widen the spans that the aligned tokens give: same outcome for
    # every source span, the same core inside
    core = project_spans(spans, links, target, **inputs, **{**kw, **OFF, "gap_ratio": gap_ratio})
    for d, c in zip(r.details, core.details):
        assert d.status == c.status and d.candidate == c.candidate
        if d.target is not None:
            assert 0 <= d.target.start <= c.target.start < c.target.end <= d.target.end
            assert d.target.end <= len(target) and d.target.label == d.source.label
            # what the edges added is not the translation of anything outside the span
            added = [*range(d.target.start, c.target.start), *range(c.target.end, d.target.end)]
            for i, j in links:
                if j in added:
                    assert d.source.start <= i < d.source.end
            if not edge_punct and not sentence_edges:
                assert d.target == c.target
        if d.status == PROJECTED:
            assert any(d.target.start <= j < d.target.end for j in d.aligned)
    # deterministic, independent of the order the links come in
    assert project_spans(spans, list(reversed(links)), target, **inputs, **kw) == r


@settings(max_examples=300, deadline=None)
@given(
    cases(words=["w", "v", "a."]),
    st.integers(0, 3),
    st.sampled_from(["trim", "drop"]),
    st.booleans(),
)
def test_short_spans_project_as_before(case, max_gap, overlaps, ignore_punct):
    # spans of at most three tokens, no punctuation-only target token: the defaults give
    # what the span step gave before the boundary rules (holes of max_gap, aligned edges)
    spans, links, source, target = case
    spans = [s for s in spans if s.end - s.start <= 3]
    kw = dict(max_gap=max_gap, overlaps=overlaps, ignore_punct=ignore_punct, source_words=source)
    assert project_spans(spans, links, target, **kw) == project_spans(
        spans, links, target, **kw, **OFF
    )
