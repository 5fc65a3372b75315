"""Marker-based projection algorithms (``spacy_xlt.projection.markers``) and the CODEC insertion
automaton (``spacy_xlt.decoding.insertion``): the published marker format and matching rules,
and the invariants, by property tests and on a tiny random NLLB."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacy_xlt.decoding.automaton import DEAD
from spacy_xlt.decoding.insertion import Insertion, InsertionAutomaton
from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan
from spacy_xlt.projection.markers import (
    MarkerItem,
    MarkerProjection,
    TranslatorIds,
    locate_segments,
    mark_text,
    match_labels,
    opening_candidates,
    read_markers,
    rerank_backward,
    words_text,
)
from spacy_xlt.testing import generate_parallel

pytestmark = pytest.mark.usefixtures("one_torch_thread")


WORD = st.text(alphabet="abcdefgh,.'ɛŋ", min_size=1, max_size=5).filter(lambda w: w.strip(",.'") != "" or len(w) == 1)


@st.composite
def sentences(draw, max_words=8):
    """Words, spacing and non-overlapping labelled spans."""
    words = draw(st.lists(WORD, min_size=1, max_size=max_words))
    spaces = draw(st.lists(st.booleans(), min_size=len(words), max_size=len(words)))
    cuts = sorted(draw(st.sets(st.integers(0, len(words)), max_size=6)))
    spans = []
    for a, b in zip(cuts[::2], cuts[1::2]):
        if a < b:
            spans.append(TokenSpan(a, b, draw(st.sampled_from(["PER", "LOC", "ORG"]))))
    return words, spaces, spans


# --- the marker format (EasyProject's, also CODEC's source side) -------------------------


def test_marker_format_is_the_published_one():
    words = "Only France and Britain backed Fischler 's proposal .".split()
    spaces = [True] * len(words)
    assert mark_text(words, spaces, [TokenSpan(3, 4, "LOC")]) == "Only France and [ Britain ] backed Fischler 's proposal ."
    # adjacent spans: "] [" as the published encoder writes a B- after an I-
    assert mark_text(words, spaces, [TokenSpan(1, 2, "LOC"), TokenSpan(2, 4, "ORG")]) == (
        "Only [ France ] [ and Britain ] backed Fischler 's proposal ."
    )
    # real spacing: markers are always one space apart from their neighbours
    assert mark_text(["Amina", "visited", "Lagos", ",", "Nigeria", "."], [True, True, False, True, False, False],
                     [TokenSpan(2, 3, "LOC"), TokenSpan(4, 5, "LOC")]) == "Amina visited [ Lagos ] , [ Nigeria ] ."  # fmt: skip


@given(sentences())
@settings(max_examples=150, deadline=None)
def test_marked_text_reads_back_to_the_spans(sentence):
    words, spaces, spans = sentence
    read = read_markers(mark_text(words, spaces, spans))
    assert read.problem is None and read.n_marked == len(spans)
    assert read.segments == [" ".join(words_text(words[s.start : s.end], spaces[s.start : s.end]).split()) for s in spans]
    # the words come back in order (a marker always has a space on each side)
    assert read.text.replace(" ", "") == words_text(words, spaces).replace(" ", "")


@pytest.mark.parametrize(
    "text,problem,segments",
    [
        ("Faransi ni [ Angiletɛri ] dɔrɔn", None, ["Angiletɛri"]),
        ("[[ A ]] b [ c ]", None, ["A", "c"]),  # doubled markers merged (published rule 1)
        ("【东京】 and 《x》", None, ["东京", "x"]),  # CJK brackets are square ones (rules 2 and 3)
        ("Tom &apos;s [ house ]", None, ["house"]),  # HTML entities unescaped
        ("a [ b [ c ]", "nested", []),
        ("a ] b [ c", "unopened", []),
        ("a [ b", "unclosed", []),
        ("[ ] x", "empty", []),
    ],
)
def test_reading_markers_back(text, problem, segments):
    read = read_markers(text)
    assert read.problem == problem and read.segments == segments
    if problem is not None:
        assert "[" not in read.text and "]" not in read.text


def test_markers_removed_keep_word_boundaries():
    read = read_markers("[Lagos]'s big [ x ]")
    assert read.text == "Lagos's big x" and read.segments == ["Lagos", "x"]


# --- EasyProject's labels -----------------------------------------------------------------


def test_labels_follow_the_published_rule():
    sources, labels = ["France", "Britain"], ["LOC", "ORG"]
    trans = ["Faransi", "Angiletɛri"]
    assert match_labels(["x"], ["France"], ["LOC"]) == [0]  # one span: no matching
    assert match_labels(["y", "x"], sources, ["LOC", "LOC"]) == [0, 1]  # one label: in order
    assert match_labels(["angiletɛri", "faransi"], sources, labels, trans) == [1, 0]  # exact, translated
    assert match_labels(["Britain", "France"], sources, labels, trans) == [1, 0]  # exact, source
    assert match_labels(["Angiletɛr", "Faransii"], sources, labels, trans) == [1, 0]  # fuzzy
    assert match_labels(["zzz", "Faransi"], sources, labels, trans) == [1, 0]  # one unmatched: the label left
    assert match_labels(["zzz", "qqq"], sources, labels, trans) is None  # two unmatched: broken
    assert match_labels(["Faransi"], sources, labels, trans) is None  # another number of segments
    assert match_labels(["faransi", "faransi"], sources, labels, trans) is None  # labels LOC, LOC != LOC, ORG


@given(
    st.lists(st.sampled_from(["LOC", "ORG", "PER"]), min_size=1, max_size=5),
    st.lists(st.sampled_from(["Lagos", "lagos", "Accra", "Kado", "qq", "Lagoss"]), min_size=1, max_size=5),
    st.sampled_from(["best", "first"]),
)
@settings(max_examples=150, deadline=None)
def test_labels_are_a_one_to_one_assignment_or_none(labels, segments, fuzzy):
    sources = ["Lagos", "Accra", "Kado", "Abuja", "Kano"][: len(labels)]
    got = match_labels(segments, sources, labels, [s.lower() for s in sources], fuzzy=fuzzy)
    if len(segments) != len(labels):
        assert got is None
    elif got is not None:
        assert sorted(got) == list(range(len(labels)))


def test_fuzzy_best_and_first():
    # "Angola" is above the threshold for both, the second is closer
    sources, labels, trans = ["A", "B", "C"], ["LOC", "ORG", "PER"], ["Angolaa", "Angola", "zz"]
    assert match_labels(["angolx", "zz", "yyy"], sources, labels, trans, fuzzy="best") == [1, 2, 0]
    assert match_labels(["angolx", "zz", "yyy"], sources, labels, trans, fuzzy="first") == [0, 2, 1]


def test_segments_are_placed_exactly_then_fuzzily_never_overlapping():
    target = ["Amina", "ya", "ziyarci", "Lagos", ",", "Nijeriya", "da", "Lagos", "."]
    places = locate_segments([["Lagos"], ["Nigeria"], ["lagos"]], [0.9, 0.6, 0.3], target)
    assert (places[0].start, places[0].how) == (7, "exact")  # the occurrence nearest its position
    assert (places[2].start, places[2].how) == (3, "exact")
    assert (places[1].start, places[1].end, places[1].how) == (5, 6, "fuzzy")
    nothing = locate_segments([["qqqq"]], [0.5], target)
    assert nothing[0].start is None and nothing[0].how == "none"
    taken = locate_segments([["Lagos"], ["Lagos"], ["Lagos"]], [0.1, 0.5, 0.9], ["Lagos", "x", "Lagos"])
    assert sorted(p.start for p in taken if p.start is not None) == [0, 2]
    assert [p.how for p in taken].count("conflict") == 1


@given(st.lists(st.lists(WORD, min_size=1, max_size=3), min_size=1, max_size=4), st.lists(WORD, min_size=0, max_size=10))
@settings(max_examples=100, deadline=None)
def test_placements_are_runs_of_the_target_that_never_overlap(segments, target):
    places = locate_segments(segments, [0.5] * len(segments), target)
    used = set()
    for p in places:
        if p.start is None:
            continue
        assert 0 <= p.start < p.end <= len(target)
        span = set(range(p.start, p.end))
        assert not span & used
        used |= span


# --- CODEC's pieces ------------------------------------------------------------------------


def test_opening_candidates_as_published():
    clean = [-1.0] * 11
    marked = [-1.0, -1.05, -1.2, -1.0, -2.0, -1.0, -1.0, -1.0, -1.0, -1.3, -1.3]
    # |Δ| >= 0.5 at 4; within 5 of it (0 .. 9), |Δ| >= 0.1 at 2, 4 and 9 (10 is too far)
    assert opening_candidates(clean, marked) == [2, 4, 9]
    assert opening_candidates(clean, clean) == []


def test_backward_rerank_prefers_a_better_sub_span():
    assert rerank_backward(["New York City", "New York", "City"], [3.0, 2.0, 1.0]) == 2
    assert rerank_backward(["New York City", "York Town"], [3.0, 1.0]) == 0  # not a sub-span
    assert rerank_backward(["New York", "New York City"], [3.0, 1.0]) == 0  # a super-span
    assert rerank_backward(["Lagos,", "Lagos"], [2.0, 1.0]) == 1  # punctuation spaced before comparing


# --- the insertion automaton ---------------------------------------------------------------


@st.composite
def templates(draw):
    """Template ids (from a small alphabet that includes the marker ids), boundaries, markers."""
    m = draw(st.integers(1, 7))
    ids = draw(st.lists(st.integers(5, 9), min_size=m, max_size=m))
    inner = sorted(draw(st.sets(st.integers(1, m - 1), max_size=m - 1))) if m > 1 else []
    positions = [0, *inner, m]
    bounds = {c: b for b, c in enumerate(positions)}
    open_ids = draw(st.lists(st.integers(5, 9), min_size=1, max_size=2))
    close_ids = draw(st.lists(st.integers(5, 9), min_size=1, max_size=2).filter(lambda x: x != open_ids))
    return ids, bounds, open_ids, close_ids


def _brute_force(ids, bounds, open_ids, close_ids, prefix, end):
    """Every accepted sequence built by hand: (sequence, insertion)."""
    pos = {b: c for c, b in bounds.items()}
    out = []
    for a in sorted(pos):
        for b in sorted(pos):
            if a < b:
                ca, cb = pos[a], pos[b]
                seq = [*prefix, *ids[:ca], *open_ids, *ids[ca:cb], *close_ids, *ids[cb:], end]
                out.append((seq, Insertion(a, b)))
    return out


@given(templates(), st.randoms(use_true_random=False))
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_insertion_automaton_accepts_exactly_one_marker_pair_per_sequence(template, rnd):
    ids, bounds, open_ids, close_ids = template
    auto = InsertionAutomaton(ids, bounds, open_ids, close_ids, [2, 1], prefix_ids=[99])
    expected = _brute_force(ids, bounds, open_ids, close_ids, [99], 2)
    assert sorted(auto.insertions()) == sorted(ins for _, ins in expected)
    for seq, ins in expected:
        assert auto.target(ins) == seq
        state = auto.run(seq)
        assert auto.is_final(state) and auto.parse(seq + [1, 1]) is not None
        assert auto.parse(seq) in {i for s, i in expected if s == seq}
    # a random walk through the allowed ids always ends in one of the expected sequences
    sequences = {tuple(s) for s, _ in expected}
    for _ in range(5):
        state, walk = auto.start, []
        while not auto.is_final(state):
            allowed = auto.allowed_ids(state)
            assert allowed and state != DEAD
            token = rnd.choice(list(allowed))
            walk.append(token)
            state = auto.step(state, token)
        assert tuple(walk) in sequences
        assert auto.allowed(state) == [2, 1]  # the end, then padding
    assert auto.step(auto.start, 12345) == DEAD and auto.allowed_ids(DEAD) == ()


def test_insertion_automaton_restricts_openings_and_checks_its_input():
    auto = InsertionAutomaton([5, 6, 7], {0: 0, 1: 1, 2: 2, 3: 3}, [8], [9], [2], opens=[1])
    assert auto.insertions() == [Insertion(1, 2), Insertion(1, 3)]
    with pytest.raises(XLTError, match="XLTE481"):
        auto.target(Insertion(0, 1))
    with pytest.raises(XLTError, match="XLTE480"):
        InsertionAutomaton([5], {0: 0, 1: 1}, [], [9], [2])
    with pytest.raises(XLTError, match="XLTE480"):
        InsertionAutomaton([5, 6], {0: 1, 1: 0, 2: 2}, [8], [9], [2])


# --- CODEC and EasyProject over a translator ---------------------------------------------


@pytest.fixture(scope="module")
def translator(tiny_nllb):
    from spacy_xlt.backends.translator import Translator

    t = Translator(str(tiny_nllb), num_beams=2, max_new_tokens=24)
    t.load()
    return t


def _items(n=5, seed=3, tgt="es"):
    out = []
    for ex in generate_parallel(n, "en", tgt, seed=seed):
        out.append(
            MarkerItem(ex.src_words, [True] * len(ex.src_words), [TokenSpan(*s) for s in ex.src_spans],
                       ex.tgt_words, [True] * len(ex.tgt_words), "en", tgt)  # fmt: skip
        )
    return out


def _check_invariants(items, results):
    for item, result in zip(items, results):
        n = len(item.target_words)
        assert len(result.spans) + len(result.unaligned) + len(result.conflicts) == len(item.spans)
        assert [s for s, _ in result.links] == list(item.spans)
        last = 0
        for span in result.spans:
            assert 0 <= span.start < span.end <= n and span.start >= last
            last = span.end
        for (src, tgt) in result.links:
            assert tgt is None or tgt.label == src.label


def test_codec_output_is_the_translation_plus_one_marker_pair_per_span(translator):
    """Every sequence CODEC generates is the unmarked translation's ids with exactly one
    well-formed marker pair inserted at target token boundaries (never other text)."""
    items = _items(5)
    method = MarkerProjection(translator, "codec", search="beam", num_beams=3, n_best=3, save_candidates=True)
    ids = TranslatorIds(translator)
    open_ids, close_ids = ids.marker_ids("["), ids.marker_ids("]")
    captured = []
    real = ids.generate

    def spy(sources, automata, **kw):
        out = real(sources, automata, **kw)
        captured.extend(zip(automata, out))
        return out

    method._ids = ids
    ids.generate = spy
    results = method.project(items)
    _check_invariants(items, results)
    assert captured
    for automaton, seqs in captured:
        for seq, _ in seqs:
            ins = automaton.parse(seq)
            assert ins is not None and ins.start < ins.end
            body = list(seq)
            while body and body[-1] in (ids.eos, ids.pad):
                body.pop()
            assert body == automaton.target(ins)[:-1]
            i = len(automaton.prefix) + automaton.position_of[ins.start]
            j = i + len(open_ids) + automaton.position_of[ins.end] - automaton.position_of[ins.start]
            assert body[i : i + len(open_ids)] == open_ids and body[j : j + len(close_ids)] == close_ids
            assert body[: i] + body[i + len(open_ids) : j] + body[j + len(close_ids) :] == list(automaton.ids)
    assert method.counts["rows"] == sum(len(it.spans) for it in items)
    detail = results[0].detail["candidates"]
    assert all(c["insertions"] and c["chosen"] is not None for c in detail)


def test_codec_beam_search_finds_the_exhaustive_optimum_with_enough_beams(translator):
    items = [it for it in _items(6, seed=11) if len(it.target_words) <= 6][:3] or _items(2, seed=11)
    for item in items:
        item.target_words = item.target_words[:5]
        item.target_spaces = item.target_spaces[:5]
    exhaustive = MarkerProjection(translator, "codec", search="exhaustive", n_best=1, rerank="none", candidate_positions=False)
    beam = MarkerProjection(translator, "codec", search="beam", num_beams=16, n_best=1, rerank="none", candidate_positions=False)
    a, b = exhaustive.project(items), beam.project(items)
    assert [r.spans for r in a] == [r.spans for r in b]


def test_codec_without_target_or_spans(translator):
    item = _items(1)[0]
    empty = MarkerItem(item.source_words, item.source_spaces, item.spans, [], [], "en", "es")
    nothing = MarkerItem(item.source_words, item.source_spaces, [], item.target_words, item.target_spaces, "en", "es")
    r1, r2 = MarkerProjection(translator, "codec", num_beams=2, n_best=2).project([empty, nothing])
    assert r1.unaligned == item.spans and not r1.spans
    assert not r2.spans and not r2.links


class MarkerCopier:
    """A translator that 'translates' by copying the text with some words changed (the
    markers pass through), and breaks the markers of texts containing "broken"."""

    def __init__(self, change=None):
        self.change = change or {}
        self.calls = []

    def translate(self, texts, src, tgt):
        self.calls.append(list(texts))
        out = []
        for text in texts:
            words = [self.change.get(w, w) for w in text.split()]
            if "broken" in words:
                words = [w for w in words if w != "]"]
            out.append(" ".join(words))
        return out

    def score(self, sources, targets, src, tgt):
        return [0.5] * len(sources)


@given(sentences(max_words=7), st.integers(0, 3))
@settings(max_examples=80, deadline=None)
def test_easyproject_writes_only_spans_of_the_translation_and_counts_every_span(sentence, seed):
    words, spaces, spans = sentence
    rnd = random.Random(seed)
    change = {w: w.upper() for w in words if rnd.random() < 0.3}
    copier = MarkerCopier(change)
    target = [change.get(w, w) for w in words]
    rnd.shuffle(target)  # another word order: placements must still be runs of the target
    item = MarkerItem(words, spaces, spans, target, [True] * len(target), "en", "es")
    method = MarkerProjection(copier, "easyproject")
    [result] = method.project([item])
    _check_invariants([item], [result])
    assert result.broken is None or (not result.spans and result.unaligned == spans)
    # the published form: the marked translation without its markers is the target
    method.tokenize = lambda text: (text.split(), [True] * len(text.split()))
    [(tw, ts, r)] = method.translate_and_project([(words, spaces, spans)], "en", "es", method.tokenize)
    _check_invariants([MarkerItem(words, spaces, spans, tw, ts, "en", "es")], [r])
    for src, tgt in r.links:  # each span is its own source span's (copied) words
        if tgt is not None:
            expected = [change.get(w, w) for w in words_text(words[src.start : src.end], spaces[src.start : src.end]).split()]
            assert tw[tgt.start : tgt.end] == expected


def test_easyproject_counts_broken_markers_and_places_fuzzily():
    copier = MarkerCopier({"Lagos": "Legos"})
    item = MarkerItem(["Amina", "saw", "Lagos", "."], [True] * 4, [TokenSpan(0, 1, "PER"), TokenSpan(2, 3, "LOC")],
                      ["Amina", "ta", "ga", "Legoss", "."], [True] * 5, "en", "ha")  # fmt: skip
    broken = MarkerItem(["broken", "Lagos"], [True, True], [TokenSpan(1, 2, "LOC")], ["x", "Lagos"], [True, True], "en", "ha")
    method = MarkerProjection(copier, "easyproject", save_candidates=True)
    good, bad = method.project([item, broken])
    assert good.spans == [TokenSpan(0, 1, "PER"), TokenSpan(3, 4, "LOC")]
    assert good.placed == {"exact": 1, "fuzzy": 1}
    assert good.detail["marked_source"] == "[ Amina ] saw [ Lagos ] ."
    assert bad.broken == "unclosed" and bad.unaligned == [TokenSpan(1, 2, "LOC")] and not bad.spans
    assert method.counts["broken_markers"] == 1 and method.counts["broken_unclosed"] == 1
    # entity translations are asked for only where labels differ and there are several spans
    assert len(copier.calls) == 2 and copier.calls[1] == ["Amina", "Lagos"]


def test_codec_needs_a_hugging_face_translator():
    method = MarkerProjection(MarkerCopier(), "codec")
    with pytest.raises(XLTError, match="XLTE482"):
        method.project(_items(1))


# --- recorded outputs of the published code (bench/codec.py --conformance) -----------------

#: The published branch-and-bound search (``duonglm38/Codec``, constrained_decoding.py, exact:
#: ``future_steps=-1``, ``n_best=3``), run by ``bench/codec.py --conformance`` on the tiny NLLB
#: (``get_tiny_model("nllb")``) with openings and closings restricted to word starts as ours and
#: the markers ``▁[`` (46) and ``▁(`` (894): (source, marked span, target, its insertions best
#: first as target token ranges, with their summed log-probabilities).
RECORDED_CODEC = [
    ('Medu Yuwe painted the green road in Hirada .', (0, 2), 'Medu Yuwe gachan el tacás banuñe en Hirada .', [((4, 6), -110.45252), ((4, 5), -110.45364), ((5, 6), -110.49805)]),
    ('Medu Yuwe painted the green road in Hirada .', (7, 8), 'Medu Yuwe gachan el tacás banuñe en Hirada .', [((4, 6), -110.45269), ((4, 5), -110.45381), ((5, 6), -110.49819)]),
    ('" the long teacher " , Reho carried : Nere .', (6, 7), '" el chan sebové " , Reho nujo : Nere .', [((6, 10), -130.9279), ((7, 10), -130.94116), ((5, 10), -130.96136)]),
    ('" the long teacher " , Reho carried : Nere .', (9, 10), '" el chan sebové " , Reho nujo : Nere .', [((6, 10), -130.92786), ((7, 10), -130.94113), ((5, 10), -130.96132)]),
]


@pytest.mark.parametrize("source,span,target,published", RECORDED_CODEC)
def test_exact_search_agrees_with_the_recorded_published_search(translator, source, span, target, published):
    words, tgt = source.split(), target.split()
    item = MarkerItem(words, [True] * len(words), [TokenSpan(*span, "X")], tgt, [True] * len(tgt), "en", "es")
    method = MarkerProjection(translator, "codec", open_marker="[", close_marker="(", search="exhaustive", n_best=3,
                              rerank="none", candidate_positions=False, save_candidates=True)  # fmt: skip
    [result] = method.project([item])
    ours = result.detail["candidates"][0]["insertions"]
    assert [(a, b) for a, b, _, _ in ours] == [x for x, _ in published]
    assert all(abs(score - theirs) < 1e-3 for (_, _, score, _), (_, theirs) in zip(ours, published))


def test_marker_ids_must_be_in_the_vocabulary(translator):
    ids = TranslatorIds(translator)
    assert ids.marker_ids("[") == [46]
    with pytest.raises(XLTError, match="XLTE483"):
        ids.marker_ids("\u2603")  # a snowman: unknown to the tiny vocabulary
