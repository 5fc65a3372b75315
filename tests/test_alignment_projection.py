"""The alignment -> span step and the Pharaoh format, on synthetic sentence pairs."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from spacy_xlt.errors import XLTError
from spacy_xlt.evaluation import evaluate_alignment_files, evaluate_alignment_projection
from spacy_xlt.labels import TokenSpan
from spacy_xlt.projection.alignment import (
    CONFLICT,
    PROJECTED,
    UNALIGNED,
    format_pharaoh,
    is_punct,
    parse_pharaoh,
    project_spans,
    read_pharaoh,
    write_pharaoh,
)

T = "TARGET"


def words(n):
    return [f"w{k}" for k in range(n)]


def S(start, end, label=T):
    return TokenSpan(start, end, label)


# --------------------------------------------------------------------------- Pharaoh


def test_parse_pharaoh_sorts_and_dedupes():
    assert parse_pharaoh("3-3 0-0 1-2 0-0") == [(0, 0), (1, 2), (3, 3)]
    assert parse_pharaoh("") == []
    assert parse_pharaoh("  \t ") == []


@pytest.mark.parametrize("bad", ["0-1-0.5", "0p1", "0:1", "a-1", "1-", "-1-2", "01"])
def test_parse_pharaoh_rejects_other_forms(bad):
    with pytest.raises(XLTError, match="XLTE140"):
        parse_pharaoh(f"0-0 {bad}", record="f.txt:3")


def test_parse_pharaoh_checks_lengths():
    assert parse_pharaoh("1-2", 2, 3) == [(1, 2)]
    with pytest.raises(XLTError, match=r"XLTE141.*source word 2.*2 words"):
        parse_pharaoh("2-0", 2, 3)
    with pytest.raises(XLTError, match=r"XLTE141.*target word 3"):
        parse_pharaoh("0-3", 2, 3)


def test_pharaoh_file_round_trip(tmp_path):
    alignments = [[(0, 0), (1, 2)], [], [(2, 1), (0, 0)], []]
    path = write_pharaoh(tmp_path / "a.pharaoh", alignments)
    assert path.read_text() == "0-0 1-2\n\n0-0 2-1\n\n"
    assert read_pharaoh(path) == [[(0, 0), (1, 2)], [], [(0, 0), (2, 1)], []]
    assert format_pharaoh({(1, 1), (0, 2)}) == "0-2 1-1"


def test_read_pharaoh_without_final_newline_and_crlf(tmp_path):
    path = tmp_path / "a.talp"
    path.write_bytes(b"0-0\r\n\r\n1-1")
    assert read_pharaoh(path) == [[(0, 0)], [], [(1, 1)]]


def test_read_pharaoh_errors_name_file_and_line(tmp_path):
    path = tmp_path / "a.talp"
    path.write_text("0-0\n0-0 1-5\n")
    with pytest.raises(XLTError, match=r"XLTE141.*a\.talp:2.*'1-5'"):
        read_pharaoh(path, [2, 2], [3, 3])
    with pytest.raises(XLTError, match=r"XLTE142.*2 alignment lines.*3 sentence pairs"):
        read_pharaoh(path, [2, 2, 2])
    path.write_text("0-0\nx\n")
    with pytest.raises(XLTError, match=r"XLTE140.*a\.talp:2"):
        read_pharaoh(path)
    with pytest.raises(XLTError, match="XLTE021"):
        read_pharaoh(tmp_path / "missing.talp")


def test_read_pharaoh_reverse(tmp_path):
    path = tmp_path / "rev.talp"
    path.write_text("2-0 0-1\n")  # target-source
    assert read_pharaoh(path, [2], [3], reverse=True) == [[(0, 2), (1, 0)]]


# --------------------------------------------------------------------------- spans


def test_one_to_one():
    r = project_spans([S(1, 3)], [(0, 0), (1, 1), (2, 2), (3, 3)], words(4))
    assert r.spans == [S(1, 3)]
    assert r.unaligned == [] and r.conflicts == []
    assert r.details[0].status == PROJECTED and r.details[0].aligned == [1, 2]


def test_hole_is_measured_between_runs_not_over_their_extent():
    # runs [1, 2] and [4]: the hole is one token (3) although the runs span four tokens;
    # the published step measured the extent and split them
    alignment = [(0, 1), (1, 2), (2, 4)]
    assert project_spans([S(0, 3)], alignment, words(6), max_gap=1).spans == [S(1, 5)]
    assert project_spans([S(0, 3)], alignment, words(6), max_gap=0).spans == [S(1, 3)]


def test_gap_larger_than_max_gap_keeps_largest_run():
    # stray far-away link of one token (8) against a run of two (1, 2)
    alignment = [(0, 1), (1, 2), (2, 8)]
    r = project_spans([S(0, 3)], alignment, words(10), max_gap=2)
    assert r.spans == [S(1, 3)]
    assert r.details[0].aligned == [1, 2, 8]
    # the hull takes everything in between
    assert project_spans([S(0, 3)], alignment, words(10), policy="hull").spans == [S(1, 9)]


def test_split_into_runs_ties_go_to_more_source_tokens_then_leftmost():
    # runs [1] (two source tokens) and [6, 7] is larger: the larger wins
    r = project_spans([S(0, 3)], [(0, 1), (1, 1), (2, 6), (2, 7)], words(9), max_gap=1)
    assert r.spans == [S(6, 8)]
    # runs [1] and [6] of one token each: [6] is backed by two source tokens
    r = project_spans([S(0, 3)], [(0, 1), (1, 6), (2, 6)], words(9), max_gap=1)
    assert r.spans == [S(6, 7)]
    # full tie: leftmost, deterministically
    r = project_spans([S(0, 2)], [(0, 6), (1, 1)], words(9), max_gap=1)
    assert r.spans == [S(1, 2)]


def test_crossing_alignments_within_a_span():
    r = project_spans([S(0, 3)], [(0, 2), (1, 0), (2, 1)], words(3))
    assert r.spans == [S(0, 3)]


def test_target_order_need_not_follow_source_order():
    # source "A B" -> target "B' A'": both spans survive (no assumption on order)
    r = project_spans([S(0, 1, "X"), S(1, 2, "Y")], [(0, 3), (1, 0)], words(4))
    assert r.spans == [S(0, 1, "Y"), S(3, 4, "X")]
    assert r.conflicts == []


def test_many_to_one_and_one_to_many():
    # two source tokens -> one target token (compound)
    assert project_spans([S(0, 2)], [(0, 1), (1, 1)], words(3)).spans == [S(1, 2)]
    # one source token -> three target tokens
    assert project_spans([S(1, 2)], [(1, 2), (1, 3), (1, 4)], words(6)).spans == [S(2, 5)]


def test_conflict_on_the_same_target_token():
    r = project_spans([S(0, 1, "X"), S(2, 3, "Y")], [(0, 1), (2, 1)], words(3))
    assert r.spans == [S(1, 2, "X")]  # equal support: source order decides
    assert r.conflicts == [S(2, 3, "Y")]
    assert [d.status for d in r.details] == [PROJECTED, CONFLICT]
    assert r.details[1].candidate == S(1, 2, "Y") and r.details[1].target is None


def test_conflict_goes_to_the_span_with_more_support_whatever_the_source_order():
    # span Y (later in the source) has two aligned tokens, X one: Y wins
    alignment = [(0, 2), (3, 2), (4, 3)]
    r = project_spans([S(0, 1, "X"), S(3, 5, "Y")], alignment, words(5))
    assert r.spans == [S(2, 4, "Y")]
    assert r.conflicts == [S(0, 1, "X")]


def test_partial_overlap_is_trimmed_or_dropped():
    # X -> [1, 2, 3], Y -> [3, 4, 5] is stronger (3 tokens, denser)? both 3: X first
    # here Y has 3 tokens and X 2 (1, 3): Y wins, X keeps its free token 1
    alignment = [(0, 1), (0, 3), (2, 3), (2, 4), (3, 5)]
    spans = [S(0, 1, "X"), S(2, 4, "Y")]
    r = project_spans(spans, alignment, words(7), overlaps="trim")
    assert r.spans == [S(1, 2, "X"), S(3, 6, "Y")]
    assert r.details[0].candidate == S(1, 4, "X") and r.details[0].target == S(1, 2, "X")
    r = project_spans(spans, alignment, words(7), overlaps="drop")
    assert r.spans == [S(3, 6, "Y")] and r.conflicts == [S(0, 1, "X")]
    r = project_spans(spans, alignment, words(7), overlaps="keep")
    assert r.spans == [S(1, 4, "X"), S(3, 6, "Y")] and r.conflicts == []


def test_trimmed_span_does_not_reach_across_a_taken_token():
    # X aligned to 0 and 3 (the hole 1-2 is filled), Y to 1 and 2, denser: Y wins and X
    # keeps the left piece rather than a span across Y's tokens
    alignment = [(0, 0), (0, 3), (1, 1), (2, 2)]
    r = project_spans([S(0, 1, "X"), S(1, 3, "Y")], alignment, words(5), max_gap=2)
    assert r.details[0].candidate == S(0, 4, "X")
    assert r.spans == [S(0, 1, "X"), S(1, 3, "Y")]


def test_empty_alignment_counts_every_span_as_unaligned():
    spans = [S(0, 1), S(2, 4)]
    r = project_spans(spans, [], words(5))
    assert r.spans == [] and r.conflicts == []
    assert r.unaligned == spans
    assert [d.status for d in r.details] == [UNALIGNED, UNALIGNED]
    # a span whose own tokens have no links is unaligned even if others have
    r = project_spans(spans, [(0, 0)], words(5))
    assert r.spans == [S(0, 1)] and r.unaligned == [S(2, 4)]


def test_no_source_spans():
    r = project_spans([], [(0, 0)], words(2))
    assert r.spans == r.unaligned == r.conflicts == r.details == []


def test_punctuation_only_targets():
    target = ["La", "comida", ",", "buena", "!", "--", "sushi."]
    # aligned to "comida" and ",": the comma neither extends nor forms the span
    assert project_spans([S(0, 1)], [(0, 1), (0, 2)], target).spans == [S(1, 2)]
    # aligned only to punctuation: unaligned
    r = project_spans([S(0, 1)], [(0, 4), (0, 5)], target)
    assert r.spans == [] and r.unaligned == [S(0, 1)]
    # word with glued punctuation is not punctuation-only
    assert project_spans([S(0, 1)], [(0, 6)], target).spans == [S(6, 7)]
    # kept when asked, and when only a token count is given
    assert project_spans([S(0, 1)], [(0, 1), (0, 2)], target, ignore_punct=False).spans == [S(1, 3)]
    assert project_spans([S(0, 1)], [(0, 4)], 7).spans == [S(4, 5)]
    # punctuation inside a span stays inside it
    assert project_spans([S(0, 2)], [(0, 1), (1, 3)], target, max_gap=1).spans == [S(1, 4)]


def test_is_punct():
    assert is_punct(",") and is_punct("...") and is_punct("¿") and is_punct("«")
    assert not is_punct("") and not is_punct("$") and not is_punct("a.")
    # signs that can belong to a span ("50 %", "Barnes & Noble") are not dropped
    assert not is_punct("%") and not is_punct("&") and not is_punct("#") and not is_punct("@")


def test_out_of_range_and_bad_settings():
    with pytest.raises(XLTError, match=r"XLTE145.*0-5.*sentence pair 3"):
        project_spans([S(0, 1)], [(0, 5)], words(3), record="sentence pair 3")
    with pytest.raises(XLTError, match=r"XLTE145.*4-0"):
        project_spans([S(0, 1)], [(4, 0)], words(3), n_source=4)
    with pytest.raises(XLTError, match=r"XLTE144"):
        project_spans([S(2, 5)], [(0, 0)], words(3), n_source=4)
    with pytest.raises(XLTError, match=r"XLTE144"):
        project_spans([S(2, 2)], [(0, 0)], words(3))
    with pytest.raises(XLTError, match=r"XLTE143.*policy.*'widest'"):
        project_spans([S(0, 1)], [], words(3), policy="widest")
    with pytest.raises(XLTError, match=r"XLTE143.*overlaps"):
        project_spans([S(0, 1)], [], words(3), overlaps="merge")
    with pytest.raises(XLTError, match=r"XLTE143.*max_gap"):
        project_spans([S(0, 1)], [], words(3), max_gap=-1)
    with pytest.raises(XLTError, match=r"XLTE143.*max_gap.*1.5"):
        project_spans([S(0, 1)], [], words(3), max_gap=1.5)


@st.composite
def projection_cases(draw):
    n_src = draw(st.integers(1, 12))
    n_tgt = draw(st.integers(1, 12))
    links = draw(
        st.lists(st.tuples(st.integers(0, n_src - 1), st.integers(0, n_tgt - 1)), max_size=30)
    )
    # non-overlapping source spans from sorted cut points
    cuts = sorted(draw(st.sets(st.integers(0, n_src), max_size=8)))
    spans = [
        S(a, b, draw(st.sampled_from("XY"))) for a, b in zip(cuts, cuts[1:]) if draw(st.booleans())
    ]
    target = [draw(st.sampled_from(["w", ",", "a.", "--"])) for _ in range(n_tgt)]
    return n_src, spans, links, target


@settings(max_examples=300, deadline=None)
@given(
    projection_cases(),
    st.sampled_from(["largest_run", "hull"]),
    st.integers(0, 3),
    st.sampled_from([0.0, 0.25, 0.5]),
    st.booleans(),
    st.sampled_from(["trim", "drop"]),
)
def test_projection_invariants(case, policy, max_gap, gap_ratio, ignore_punct, overlaps):
    # without the edge rules (see test_alignment_boundaries.py for them)
    n_src, spans, links, target = case
    kw = dict(
        policy=policy,
        max_gap=max_gap,
        gap_ratio=gap_ratio,
        ignore_punct=ignore_punct,
        overlaps=overlaps,
        edge_punct=False,
        sentence_edges=False,
    )
    r = project_spans(spans, links, target, n_source=n_src, **kw)
    assert r.spans == sorted(r.spans)
    for s in r.spans:
        assert 0 <= s.start < s.end <= len(target)
    for a, b in zip(r.spans, r.spans[1:]):
        assert a.end <= b.start
    assert len(r.spans) + len(r.unaligned) + len(r.conflicts) == len(spans)
    # every projected span starts and ends on a token aligned to its source span
    for d in r.details:
        if d.target is not None:
            assert d.target.start in d.aligned and d.target.end - 1 in d.aligned
            assert d.target.label == d.source.label
    # deterministic, and independent of the order the links come in
    assert project_spans(spans, list(reversed(links)), target, n_source=n_src, **kw) == r


# --------------------------------------------------------------------------- evaluation


def test_evaluate_alignment_projection_counts_and_scores():
    source = [(["a", "b", "c"], [S(0, 1), S(2, 3)]), (["d", "e"], [S(0, 2)])]
    gold = [(["B", "A", "C"], [S(1, 2), S(2, 3)]), (["E", "D", "x"], [S(0, 2)])]
    alignments = [[(0, 1), (2, 2)], [(0, 1), (1, 0)]]
    result = evaluate_alignment_projection(source, gold, alignments)
    assert result["strict"]["micro"]["f"] == pytest.approx(1.0)
    assert result["default"]["micro"]["f"] == pytest.approx(1.0)
    assert result["counts"] == {
        "sentences": 2,
        "source_spans": 3,
        "gold_spans": 3,
        "projected_spans": 3,
        "unaligned": 0,
        "conflicts": 0,
    }
    assert result["settings"]["max_gap"] == 2 and result["settings"]["policy"] == "largest_run"
    # one span lost: recall 2/3, precision 1
    result = evaluate_alignment_projection(source, gold, [[(0, 1)], [(0, 1), (1, 0)]], max_gap=0)
    assert result["strict"]["micro"]["r"] == pytest.approx(2 / 3)
    assert result["counts"]["unaligned"] == 1
    assert result["settings"]["max_gap"] == 0


def test_evaluate_alignment_projection_length_mismatch():
    with pytest.raises(XLTError, match="XLTE146"):
        evaluate_alignment_projection([(["a"], [])], [(["b"], [])], [])


def test_evaluate_alignment_files(tmp_path):
    (tmp_path / "src.conll").write_text("Good O\nsoup B-TARGET\n\nNice O\nstaff B-TARGET\n")
    (tmp_path / "tgt.tsv").write_text(
        "Buena\tO\t-\nsopa\tB-TARGET\tHighQuality\n\nPersonal\tB-TARGET\tHighQuality\namable\tO\t-\n"
    )
    (tmp_path / "a.pharaoh").write_text("0-0 1-1\n0-1 1-0\n")
    files = (tmp_path / "src.conll", tmp_path / "tgt.tsv")
    result = evaluate_alignment_files(*files, tmp_path / "a.pharaoh")
    assert result["default"]["micro"]["f"] == 1.0 and result["counts"]["unaligned"] == 0
    (tmp_path / "bad.pharaoh").write_text("0-0 1-1\n0-5\n")
    with pytest.raises(XLTError, match="bad.pharaoh:2"):
        evaluate_alignment_files(*files, tmp_path / "bad.pharaoh")
