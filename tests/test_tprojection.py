"""T-Projection method: filtering, NMTScore-direct scoring with a cache, assignment.

Uses the deterministic table-backed scorer and generator of ``spacy_xlt.testing``.
"""

from collections import Counter

import pytest

from spacy_xlt.errors import XLTError
from spacy_xlt.labels import LabelMap, TokenSpan
from spacy_xlt.markup import tprojection_input, tprojection_target
from spacy_xlt.projection.tprojection import (
    AGGLUTINATIVE,
    EXACT,
    NORMALISED,
    Candidate,
    DirectScorer,
    Item,
    TProjection,
    assign,
    collect_candidates,
    find_occurrences,
)
from spacy_xlt.testing import TableGenerator, TableScorer

T = TokenSpan


# --- generator formats: byte-identical to the original method ---------------------------


@pytest.mark.parametrize(
    "words,spans,source,target",
    [
        (
            "Me encanta Nueva York .".split(),
            [T(2, 4, "LOC")],
            "Me encanta Nueva York . <Location>[None]</Location>",
            "<Location>Nueva York</Location>",
        ),
        (
            "Obama visitó Nueva York con la ONU .".split(),
            [T(6, 7, "ORG"), T(0, 1, "PER"), T(2, 4, "LOC")],
            "Obama visitó Nueva York con la ONU . <Person>[None]</Person><Location>[None]</Location><Organization>[None]</Organization>",
            "<Person>Obama</Person><Location>Nueva York</Location><Organization>ONU</Organization>",
        ),
        (
            "La comida estaba rica".split(),
            [T(1, 2, "TARGET")],
            "La comida estaba rica <Target>[None]</Target>",
            "<Target>comida</Target>",
        ),
        ("No entities here .".split(), [], "No entities here . ", ""),
        (
            "Therefore , the drug works .".split(),
            [T(2, 5, "Claim"), T(0, 1, "MISC")],
            "Therefore , the drug works . <Miscellaneous>[None]</Miscellaneous><Claim>[None]</Claim>",
            "<Miscellaneous>Therefore</Miscellaneous><Claim>the drug works</Claim>",
        ),
    ],
)
def test_generator_strings_match_original(words, spans, source, target):
    assert tprojection_input(words, spans) == source
    assert tprojection_target(words, spans) == target


# --- filtering ----------------------------------------------------------------------------


def test_find_occurrences_levels():
    tokens = ["Visité", "Nueva", "York", ",", "y", "nueva", "york", "."]
    assert find_occurrences("Nueva York", tokens) == ([(1, 3)], EXACT)
    # glued punctuation still matches the tokens exactly
    assert find_occurrences("York,", tokens) == ([(2, 4)], EXACT)
    assert find_occurrences("NUEVA YORK", tokens) == ([(1, 3), (5, 7)], NORMALISED)
    # punctuation-insensitive: the trailing comma is not part of the run
    assert find_occurrences("york!", ["la", "York", ","]) == ([(1, 2)], NORMALISED)
    assert find_occurrences("Boston", tokens) == ([], None)
    assert find_occurrences("", tokens) == ([], None)


def test_agglutinative_checks_every_word():
    tokens = ["Ninaishi", "jijini", "Nairobiya", "Kusini", "leo"]
    assert find_occurrences("Nairobi", tokens) == ([], None)
    assert find_occurrences("Nairobi", tokens, agglutinative=True) == ([(2, 3)], AGGLUTINATIVE)
    # the original only checked the first word: "Nairobi Magharibi" must NOT match here
    assert find_occurrences("Nairobi Magharibi", tokens, agglutinative=True) == ([], None)
    assert find_occurrences("Nairobi Kusini", tokens, agglutinative=True) == (
        [(2, 4)],
        AGGLUTINATIVE,
    )
    # short words must equal their token
    assert find_occurrences("ji", tokens, agglutinative=True) == ([], None)
    assert find_occurrences("ji", tokens, agglutinative=True, min_affix_chars=2) == (
        [(1, 2)],
        AGGLUTINATIVE,
    )
    # exact matches win over affix matches
    assert find_occurrences("Kusini", tokens, agglutinative=True) == ([(3, 4)], EXACT)


def test_collect_candidates_pools_beams_and_counts_unknown_labels():
    tokens = "Amina visitó Kado y Kado Group .".split()
    outputs = [
        "<Person>Amina</Person><Location>Kado</Location>",
        "<Person>amina</Person><Location>Kado Group</Location><Date>1984</Date>",
        "<Person>Tunde</Person><Location>Kado</Location>",
        "<Person>Amina",  # broken tags are skipped
    ]
    counts = Counter()
    cands = collect_candidates(outputs, tokens, ["PER", "LOC"], counts=counts)
    assert [(c.text, c.start, c.end, c.votes) for c in cands["PER"]] == [("Amina", 0, 1, 2)]
    assert cands["PER"][0].quality == EXACT
    assert [(c.text, c.start, c.end) for c in cands["LOC"]] == [
        ("Kado", 2, 3),
        ("Kado", 4, 5),
        ("Kado Group", 4, 6),
    ]
    assert counts["unknown_label"] == 1
    assert counts["filtered_out"] == 1  # Tunde


# --- scoring ------------------------------------------------------------------------------


def test_direct_score_formula_and_cache():
    table = {
        ("New York", "Nueva York", "en", "es"): 0.5,
        ("Nueva York", "Nueva York", "es", "es"): 0.8,
        ("Nueva York", "New York", "es", "en"): 0.3,
        ("New York", "New York", "en", "en"): 0.6,
    }
    scorer = TableScorer(table)
    direct = DirectScorer(scorer)
    [value] = direct.score_pairs([("New York", "Nueva York")], "en", "es")
    assert value == pytest.approx(0.5 * (0.5 / 0.8 + 0.3 / 0.6))
    assert scorer.n_scored == 4
    # repeated pair: from the cache, no new model call
    assert direct.score_pairs([("New York", "Nueva York")] * 3, "en", "es") == [value] * 3
    assert scorer.n_scored == 4
    assert direct.counts["computed"] == 4


def test_direct_scorer_batches_and_shares_self_terms():
    scorer = TableScorer({}, self_score=1.0, default=0.25)
    direct = DirectScorer(scorer)
    pairs = [("A", "a"), ("A", "b"), ("B", "a"), ("B", "b")]
    direct.score_pairs(pairs, "en", "es")
    # one call per direction/language pair; 4 forward + 4 backward + 2 + 2 self terms
    assert len(scorer.calls) == 4
    assert scorer.n_scored == 12
    with pytest.raises(XLTError, match="XLTE287"):
        DirectScorer(object())
    with pytest.raises(XLTError, match="XLTE286"):
        DirectScorer(TableScorer({})).score_pairs([("x", "y")], "en", "es")


# --- assignment ---------------------------------------------------------------------------


def C(label, start, end, text="x"):
    return Candidate(label, text, start, end, EXACT, 1)


def test_assign_two_spans_one_label_global_optimum():
    a, b = C("PER", 0, 1), C("PER", 3, 4)
    # greedy in source order would give span 0 -> a (0.9) and leave span 1 with 0.1
    options = [[(a, 0.9), (b, 0.85)], [(a, 0.8), (b, 0.1)]]
    result = assign(options)
    assert result.choice == [b, a]
    assert result.scores == [0.85, 0.8]


def test_assign_overlapping_candidates_never_both():
    big, small = C("LOC", 2, 4), C("ORG", 3, 5)
    result = assign([[(big, 0.7)], [(small, 0.6)]])
    assert result.choice == [big, None]
    result = assign([[(big, 0.5)], [(small, 0.6)]])
    assert result.choice == [None, small]


def test_assign_ties_are_deterministic():
    first, second = C("LOC", 1, 2), C("LOC", 5, 6)
    # repeated source strings with repeated target strings: earlier span gets leftmost
    options = [[(second, 0.5), (first, 0.5)], [(first, 0.5), (second, 0.5)]]
    for _ in range(3):
        assert assign(options).choice == [first, second]


def test_assign_hungarian_fallback_agrees_and_repairs_overlaps():
    cands = [C("PER", i, i + 1) for i in range(8)]
    options = [[(c, 1.0 / (1 + abs(i - j))) for j, c in enumerate(cands)] for i in range(6)]
    exact = assign(options)
    fast = assign(options, max_search=10)
    assert fast.method == "hungarian"
    assert fast.choice == exact.choice
    overlapping = [[(C("PER", 0, 2), 0.9), (C("PER", 3, 4), 0.2)], [(C("ORG", 1, 3), 0.8)]]
    repaired = assign(overlapping, max_search=1)
    assert repaired.method == "hungarian"
    assert repaired.choice == [C("PER", 0, 2), None]


# --- the method with table backends --------------------------------------------------------


def _projector(gen_table, score_table, **kwargs):
    scorer = TableScorer(score_table, self_score=1.0, default=0.01)
    return TProjection(TableGenerator(gen_table), scorer, num_beams=4, **kwargs), scorer


def test_project_two_spans_of_one_label_and_repeated_strings():
    src = "Kado and Kado met Amina .".split()
    tgt = "Kado y Kado conocieron a Amina .".split()
    spans = [T(0, 1, "LOC"), T(2, 3, "LOC"), T(5, 6, "PER")]
    gen_in = tprojection_input(tgt, spans)
    projector, scorer = _projector(
        {gen_in: ["<Location>Kado</Location><Location>Kado</Location><Person>Amina</Person>"]},
        {("Kado", "Kado"): 0.9, ("Amina", "Amina"): 0.9},
    )
    [result] = projector.project([Item(src, spans, tgt, "en", "es")])
    assert result.spans == [T(0, 1, "LOC"), T(2, 3, "LOC"), T(5, 6, "PER")]
    assert result.no_candidate == [] and result.conflict == []
    # ("Kado", "Kado") scored once though two source spans and two occurrences use it
    assert projector.counts["distinct_pairs"] == 2
    asked = [(s, t, c[2], c[3]) for c in scorer.calls for s, t in zip(c[0], c[1])]
    assert len(asked) == len(set(asked))  # no probability computed twice
    # the four probabilities of the direct score (two cross, two self), once each
    assert sum(1 for s, t, _, _ in asked if (s, t) == ("Kado", "Kado")) == 4


def test_project_no_surviving_candidate_is_reported():
    src = "Amina saw Kado .".split()
    tgt = "Amina vio Kado .".split()
    spans = [T(0, 1, "PER"), T(2, 3, "LOC")]
    projector, _ = _projector(
        {tprojection_input(tgt, spans): ["<Person>Amina</Person><Location>Boston</Location>"]}, {}
    )
    [result] = projector.project([Item(src, spans, tgt, "en", "es")])
    assert result.spans == [T(0, 1, "PER")]
    assert result.no_candidate == [T(2, 3, "LOC")]
    assert projector.counts["no_candidate"] == 1 and projector.counts["projected"] == 1


def test_project_unknown_label_and_conflict():
    src = "Claims : Kado is big .".split()
    tgt = "Afirma : Kado es grande .".split()
    spans = [T(2, 3, "Claim"), T(0, 1, "Claim")]
    projector, _ = _projector(
        {
            tprojection_input(tgt, spans): [
                # <Location> is not a label of this sentence: ignored and counted
                "<Claim>Kado</Claim><Location>grande</Location>",
            ]
        },
        {("Kado", "Kado"): 0.9, ("Claims", "Kado"): 0.2},
    )
    [result] = projector.project([Item(src, spans, tgt, "en", "es")])
    assert result.spans == [T(2, 3, "Claim")]
    assert result.conflict == [T(0, 1, "Claim")]
    assert projector.counts["unknown_label"] == 1


def test_project_sentence_without_spans_skips_generator():
    gen = TableGenerator({})
    projector = TProjection(gen, TableScorer({}), num_beams=2)
    [result] = projector.project([Item(["a"], [], ["b"], "en", "es")])
    assert result.spans == [] and gen.calls == []


def test_project_save_candidates_and_label_map():
    lm = LabelMap({"DATE": "Date"})
    src = "in 1984 .".split()
    tgt = "en 1984 .".split()
    spans = [T(1, 2, "DATE")]
    projector, _ = _projector(
        {tprojection_input(tgt, spans, lm): ["<Date>1984</Date>", "<Date>en 1984</Date>"]},
        {("1984", "1984"): 0.9},
        label_map=lm,
        save_candidates=True,
    )
    [result] = projector.project([Item(src, spans, tgt, "en", "es")])
    assert result.spans == [T(1, 2, "DATE")]
    assert result.candidates == {
        "DATE": [["en 1984", 0, 2, "exact", 1], ["1984", 1, 2, "exact", 1]]
    }
    assert result.scores["1984 ||| 1984"] > result.scores["1984 ||| en 1984"]


def test_invalid_settings():
    with pytest.raises(XLTError, match="XLTE283"):
        TProjection(TableGenerator({}), TableScorer({}), num_beams=0)
    with pytest.raises(XLTError, match="XLTE283"):
        TProjection(TableGenerator({}), TableScorer({}), num_beams=2, num_return_sequences=3)


def test_project_overlapping_candidates_across_labels():
    src = "Kado Group met Kado .".split()
    tgt = "Kado Group conoció a Kado .".split()
    spans = [T(0, 2, "ORG"), T(3, 4, "LOC")]
    projector, _ = _projector(
        {
            tprojection_input(tgt, spans): [
                "<Organization>Kado Group</Organization><Location>Kado</Location>"
            ]
        },
        {("Kado Group", "Kado Group"): 0.8, ("Kado", "Kado"): 0.9},
    )
    [result] = projector.project([Item(src, spans, tgt, "en", "es")])
    # "Kado" also occurs inside "Kado Group": the location takes the other occurrence
    assert result.spans == [T(0, 2, "ORG"), T(4, 5, "LOC")]


def test_generator_input_when_the_source_is_longer_than_the_target():
    from spacy_xlt.projection.tprojection import generator_input

    src = "In the end , Amina left for Kado .".split()
    tgt = "Amina fue a Kado .".split()
    spans = [T(7, 8, "LOC"), T(4, 5, "PER")]
    text = generator_input(src, spans, tgt)
    assert text == "Amina fue a Kado . <Person>[None]</Person><Location>[None]</Location>"
    projector, _ = _projector({text: ["<Person>Amina</Person><Location>Kado</Location>"]}, {})
    [result] = projector.project([Item(src, spans, tgt, "en", "es")])
    assert result.spans == [T(0, 1, "PER"), T(3, 4, "LOC")]
    with pytest.raises(XLTError, match="XLTE006"):
        generator_input(["a"], [T(0, 2, "PER")], ["b", "c"])
