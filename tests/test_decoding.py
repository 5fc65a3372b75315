"""Constrained decoding: the automaton over token ids, its LogitsProcessor inside generate(),
and the canonical segmentation shared with the tagged-text codec."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from spacy_xlt.decoding import DEAD, TaggingAutomaton
from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan, check_spans
from spacy_xlt.markup import decode_inline, encode_inline
from spacy_xlt.testing import generate_corpus

LABELS = ["PER", "LOC", "ORG", "MISC"]


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """Tiny models run fastest on one thread (and the test machines are shared)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# Words that stress the segmentation: tag look-alikes, escapes, non-Latin scripts, whitespace
# tokens (spaCy keeps them), characters the tiny SentencePiece model does not know.
ODD_WORDS = [
    "<",
    ">",
    "<>",
    "<Person>",
    "</Location>",
    "Person>",
    "<Person",
    "a<b",
    "\\",
    "\\<",
    "\\s",
    "東京",
    "ℵ",
    "Ωμέγα",
    "ንጉሥ",
    "Москва",
    " ",
    "\n",
    "...",
    "'s",
    "x",
]


def _corpus_words():
    words = sorted(
        {w for line in generate_corpus(60, seed=3) for w in line.split() if "<" not in w}
    )
    return words


CORPUS_WORDS = _corpus_words()
word_st = st.one_of(st.sampled_from(CORPUS_WORDS), st.sampled_from(ODD_WORDS))
sentence_st = st.lists(word_st, min_size=1, max_size=7)


# --- the automaton alone (hand-made ids) -----------------------------------------------


def _toy():
    # word 0 shares its first id (5, a lone "▁") with the PER open tag and with word 1
    words = [[5, 10], [5, 11, 12], [13]]
    opens = {"PER": [5, 20], "LOC": [21]}
    closes = {"PER": [22], "LOC": [23, 24]}
    return TaggingAutomaton(words, opens, closes, end_ids=[1, 0])


def test_automaton_target_parse_roundtrip():
    aut = _toy()
    spans = [TokenSpan(0, 2, "PER"), TokenSpan(2, 3, "LOC")]
    ids = aut.target(spans)
    assert ids == [5, 20, 5, 10, 5, 11, 12, 22, 21, 13, 23, 24, 1]
    assert aut.is_final(aut.run(ids))
    parse = aut.parse(ids + [0, 0])
    assert parse.spans == spans and parse.complete


def test_automaton_allowed_steps():
    aut = _toy()
    s = aut.start
    assert sorted(aut.allowed(s)) == [5, 21]  # word 0 or PER (both start with 5), or LOC
    s = aut.step(s, 5)
    assert sorted(aut.allowed(s)) == [10, 20]  # still ambiguous: word 0 or PER
    s = aut.step(s, 20)  # PER opened: only word 0, no closing before a word
    assert aut.allowed(s) == [5]
    s = aut.run([5, 10])
    s = aut.step(aut.step(aut.start, 5), 20)
    s = aut.step(aut.step(s, 5), 10)
    assert sorted(aut.allowed(s)) == [5, 22]  # next word or close PER; no other tag, no end
    assert aut.step(s, 21) == DEAD and aut.allowed(DEAD) == []
    end = aut.run(aut.target([]))
    assert aut.allowed(end) == [1, 0] and aut.step(end, 0) == end


def test_automaton_rejects_and_truncates():
    aut = _toy()
    with pytest.raises(XLTError, match="XLTE241"):
        aut.parse([5, 10, 99])
    with pytest.raises(XLTError, match="XLTE241"):
        aut.parse([5, 20, 5, 10])  # no end
    part = aut.parse([5, 20, 5, 10, 5, 11], strict=False)
    assert part.spans == [TokenSpan(0, 1, "PER")] and not part.complete
    with pytest.raises(XLTError, match="XLTE240"):
        TaggingAutomaton([[1], []], {}, {}, [0])


def test_automaton_no_labels_one_word():
    aut = TaggingAutomaton([[7, 8]], {}, {}, [1])
    assert aut.allowed(aut.start) == [7]
    assert aut.allowed(aut.run([7])) == [8]
    assert aut.allowed(aut.run([7, 8])) == [1]
    assert aut.parse([7, 8, 1]).spans == []


# --- the automaton as one table of states -----------------------------------------------


def _toy_table():
    # no two items at one boundary start alike (the opening tags share a first id, 30,
    # and part ways after it): the automaton has a table
    words = [[5, 10], [6, 11, 12], [13]]
    opens = {"PER": [30, 20], "LOC": [30, 21, 25], "ORG": [31]}
    closes = {"PER": [22], "LOC": [23, 24], "ORG": [40, 41]}
    return TaggingAutomaton(words, opens, closes, end_ids=[1, 0])


def _first_ids_clash(words, opens, closes) -> bool:
    """Whether items at one boundary start alike (or one tag's ids begin another's):
    where the automaton has no table. Read from the tagging rules, not the automaton."""
    tags = list(opens.values())
    for a in range(len(tags)):
        for b in range(len(tags)):
            if a != b and tags[b][: len(tags[a])] == tags[a]:
                return True
    tag_firsts = {t[0] for t in tags} | {t[0] for t in closes.values()}
    return any(w[0] in tag_firsts for w in words)


def test_table_steps_as_the_automaton():
    aut = _toy_table()
    table = aut.table()
    assert table is not None and aut.table() is table  # built once
    assert sorted(table.allowed(table.start)) == [5, 30, 31]
    s = table.step(table.start, 30)
    assert sorted(table.allowed(s)) == [20, 21]  # PER or LOC, not yet told apart
    assert table.step(s, 99) == DEAD
    end = table.start
    for t in aut.target([TokenSpan(0, 2, "LOC")]):
        end = table.step(end, t)
    assert sorted(table.allowed(end)) == [0, 1] and table.step(end, 0) == end
    assert _toy().table() is None  # word 0 starts as the PER tag does: sets of positions


ids_st = st.integers(2, 12)  # a small vocabulary: items often start alike
items_st = st.lists(ids_st, min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    words=st.lists(items_st, max_size=6),
    tags=st.lists(st.tuples(items_st, items_st), max_size=3),
    data=st.data(),
)
def test_table_is_the_automaton(words, tags, data):
    """Any words and tags (ids shared between them at random): the table exists unless
    items at one boundary start alike, and then allows and leads to what the lazy automaton
    does along any walk (allowed ids and, now and then, an id that is not)."""
    labels = [f"L{j}" for j in range(len(tags))]
    opens = {lab: o for lab, (o, _) in zip(labels, tags)}
    closes = {lab: c for lab, (_, c) in zip(labels, tags)}
    aut = TaggingAutomaton(words, opens, closes, end_ids=[1, 0])
    table = aut.table()
    assert (table is None) == _first_ids_clash(words, opens, closes)
    if table is None:
        return
    state, row = aut.start, table.start
    walked = []  # (table state, id)
    for _ in range(data.draw(st.integers(0, 40))):
        allowed = aut.allowed(state)
        assert sorted(table.allowed(row)) == sorted(allowed)
        if state == DEAD:
            break
        t = data.draw(st.sampled_from(allowed) if data.draw(st.integers(0, 9)) else ids_st)
        walked.append((row, t))
        state, row = aut.step(state, t), table.step(row, t)
        assert (state == DEAD) == (row == DEAD)
        # the end state alone allows both end ids (before the end: the first one only)
        assert aut.is_final(state) == (row != DEAD and sorted(table.allowed(row)) == [0, 1])
    # all rows at once, from the sparse rows and from the padded ones: the same steps and ids
    if walked:
        import numpy as np

        states, tokens = (np.array(col, dtype=np.int64) for col in zip(*walked))
        expected = [table.step(s, t) for s, t in walked]
        padded = table.padded(max_waste=float("inf"))
        assert table.step_rows(states, tokens, -1).tolist() == expected
        assert padded.step_rows(states, tokens, -1).tolist() == expected
        rows, index = table.expand(states)
        for r, s in enumerate(states.tolist()):
            assert sorted(table.ids[index[rows == r]].tolist()) == sorted(table.allowed(s))
            assert set(padded.ids[s].tolist()) == set(table.allowed(s))


# --- with tiny models and real tokenizers ----------------------------------------------


@pytest.fixture(scope="module")
def codecs(tiny_mt5, tiny_causal_lm):
    """(kind, added tag tokens) -> TagCodec over all LABELS, models loaded once."""
    from spacy_xlt.backends.text2text import Text2TextModel
    from spacy_xlt.decoding.tagging import TagCodec

    out = {}
    for kind, path in (("mt5", tiny_mt5), ("causal_lm", tiny_causal_lm)):
        for added in (False, True):
            model = Text2TextModel(str(path))
            model.load()
            if added:
                codec = TagCodec(model, LABELS)  # names only, to list the tags
                model.add_tokens(list(codec.tag_ids))
            out[kind, added] = model
    return out


def _codec(codecs, kind, added, labels):
    from spacy_xlt.decoding.tagging import TagCodec

    return TagCodec(codecs[kind, added], labels)


def _reference_spans(codec, words, ids):
    """An automaton-independent reading of ids: the spans whose canonical target they are.

    Walks the ids left to right, trying at each word boundary the items the tagging rules
    allow, by plain list comparison (with backtracking)."""
    eos = codec.model.eos_id
    n = len(words)

    def walk(pos, i, open_label, open_start, has_word, spans):
        opts = []
        if i < n:
            opts.append(("word", None))
        if open_label is None and i < n:
            opts += [("open", lab) for lab in codec.labels]
        if open_label is not None and has_word:
            opts.append(("close", open_label))
        if open_label is None and i == n:
            opts.append(("end", None))
        for kind, lab in opts:
            if kind == "word":
                piece = codec.word_ids(words[i])
            elif kind == "open":
                piece = codec.open_ids[lab]
            elif kind == "close":
                piece = codec.close_ids[lab]
            else:
                piece = [eos]
            if ids[pos : pos + len(piece)] != piece:
                continue
            if kind == "end":
                rest = ids[pos + 1 :]
                if all(t in codec.end_ids for t in rest):
                    return spans
                continue
            if kind == "word":
                found = walk(
                    pos + len(piece), i + 1, open_label, open_start, open_label is not None, spans
                )
            elif kind == "open":
                found = walk(pos + len(piece), i, lab, i, False, spans)
            else:
                found = walk(
                    pos + len(piece), i, None, 0, False, spans + [TokenSpan(open_start, i, lab)]
                )
            if found is not None:
                return found
        return None

    return walk(0, 0, None, 0, False, [])


class NoiseProcessor:
    """Random scores, so that decoding explores paths a random tiny model would not take."""

    def __init__(self, seed: int, scale: float):
        import torch

        self.gen = torch.Generator().manual_seed(seed)
        self.scale = scale

    def __call__(self, input_ids, scores):
        import torch

        noise = torch.randn(scores.shape, generator=self.gen) * self.scale
        return scores + noise.to(scores.device, scores.dtype)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["mt5", "causal_lm"]),
    added=st.booleans(),
    labels=st.lists(st.sampled_from(LABELS), unique=True, max_size=3),
    sentences=st.lists(sentence_st, min_size=1, max_size=3),
    num_beams=st.sampled_from([1, 4]),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([0.0, 3.0, 30.0]),
)
def test_constrained_output_is_a_tagging_of_the_input(
    codecs, kind, added, labels, sentences, num_beams, seed, scale
):
    """Every constrained output parses back to exactly the input words with well-nested
    tags, and is the canonical target of its own spans."""
    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    codec = _codec(codecs, kind, added, labels)
    automata = [codec.automaton(words) for words in sentences]

    def processor_for(rows):
        processors = [NoiseProcessor(seed, scale)] if scale else []
        automata_of_batch = [automata[r] for r in rows]
        return processors + [ConstrainedLogitsProcessor(automata_of_batch, num_beams, codec.end_ids)]

    generated = codec.model.generate_ids(
        [codec.input_ids(w) for w in sentences],
        max_new_tokens=codec.max_new_tokens(sentences),
        num_beams=num_beams,
        processor_for=processor_for,
    )
    outputs = [seqs[0] for seqs in generated]
    assert len(outputs) == len(sentences)
    for words, aut, ids in zip(sentences, automata, outputs):
        parse = aut.parse(ids)  # strict: raises if rejected or incomplete
        assert parse.complete
        reference = _reference_spans(codec, words, ids)
        assert reference is not None, (words, ids)
        assert parse.spans == reference
        check_spans(parse.spans, len(words))
        assert all(s.label in labels for s in parse.spans)
        # the codec reads the same tagging back, and it is the canonical target
        text = encode_inline(words, parse.spans, codec.label_map)
        assert decode_inline(text, words, codec.label_map) == parse.spans
        end = ids.index(codec.model.eos_id) + 1
        assert ids[:end] == codec.target(words, parse.spans)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    kind=st.sampled_from(["mt5", "causal_lm"]),
    added=st.booleans(),
    words=sentence_st,
    data=st.data(),
)
def test_targets_are_accepted_and_parse_back(codecs, kind, added, words, data):
    """Codec and automaton agree: the target of any tagging is accepted and reads back."""
    codec = _codec(codecs, kind, added, LABELS)
    n = len(words)
    cuts = sorted(data.draw(st.sets(st.integers(0, n), max_size=n + 1)) | {0, n})
    spans = []
    for a, b in zip(cuts, cuts[1:]):
        if data.draw(st.booleans()):
            spans.append(TokenSpan(a, b, data.draw(st.sampled_from(LABELS))))
    aut = codec.automaton(words)
    ids = codec.target(words, spans)
    assert ids == aut.target(spans)
    assert aut.parse(ids).spans == spans
    assert _reference_spans(codec, words, ids) == spans
    assert len(ids) <= codec.max_new_tokens([words])


def test_unknown_tag_needs_added_tokens(codecs):
    """A tag the tokenizer can only write with <unk> is refused with a clear error."""
    from spacy_xlt.decoding.tagging import TagCodec
    from spacy_xlt.labels import LabelMap

    model = codecs["mt5", False]
    with pytest.raises(XLTError, match="XLTE246"):
        TagCodec(model, ["X"], LabelMap({"X": "東京"}))


def test_processor_checks_rows(codecs):
    import torch

    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    codec = _codec(codecs, "mt5", True, ["PER"])
    proc = ConstrainedLogitsProcessor([codec.automaton(["a"])], num_beams=4)
    with pytest.raises(XLTError, match="XLTE242"):
        proc(torch.zeros((3, 1), dtype=torch.long), torch.zeros((3, 10)))


def test_processor_follows_reordered_beams(codecs):
    """States are keyed by prefix: swapping rows between steps changes nothing."""
    import torch

    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    codec = _codec(codecs, "mt5", True, ["PER"])
    words = ["Obama", "visited", "Lagos"]
    aut = codec.automaton(words)
    vocab = len(codec.model.tokenizer) + 5
    a = aut.target([TokenSpan(0, 1, "PER")])
    b = aut.target([])
    proc = ConstrainedLogitsProcessor([aut], num_beams=2)
    rows = torch.tensor([[0, a[0]], [0, b[0]]])
    proc(torch.tensor([[0], [0]]), torch.zeros((2, vocab)))
    proc(rows, torch.zeros((2, vocab)))
    swapped = torch.tensor([[0, b[0], b[1]], [0, a[0], a[1]]])
    out = proc(swapped, torch.zeros((2, vocab)))
    allowed = [set(torch.nonzero(torch.isfinite(row)).flatten().tolist()) for row in out]
    assert allowed[0] == set(aut.allowed(aut.run(b[:2])))
    assert allowed[1] == set(aut.allowed(aut.run(a[:2])))


def test_decoding_with_tables_builds_no_state(codecs):
    """With tags of their own ids, every automaton of a batch has a table, the processor
    steps the rows through it, and the lazy automata build no state while decoding (the
    outputs are still complete taggings)."""
    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    codec = _codec(codecs, "mt5", True, ["PER", "LOC"])
    sentences = [CORPUS_WORDS[:20], CORPUS_WORDS[20:31] + ODD_WORDS[:6]]
    automata = [codec.automaton(words) for words in sentences]
    made = []

    def processor_for(rows):
        made.append(ConstrainedLogitsProcessor([automata[r] for r in rows], 4, codec.end_ids))
        return made[-1]

    outs = codec.model.generate_ids(
        [codec.input_ids(w) for w in sentences],
        max_new_tokens=codec.max_new_tokens(sentences),
        num_beams=4,
        processor_for=processor_for,
    )
    assert made and all(p._table is not None and p.steps > 0 and p.resyncs == 0 for p in made)
    assert [a.n_states for a in automata] == [1, 1]  # the start state, made by __init__
    for a, seqs in zip(automata, outs):
        assert a.parse(seqs[0]).complete


def test_tag_batch_modes(codecs):
    from spacy_xlt.decoding.tagging import tag_batch

    codec = _codec(codecs, "causal_lm", True, ["PER", "LOC"])
    batch = [["Amina", "went", "to", "Kano", "."], [], ["東京"]]
    for beams in (1, 4):
        res = tag_batch(codec, batch, constrained=True, num_beams=beams)
        assert res[1].spans == [] and all(not r.truncated for r in res)
        for words, r in zip(batch, res):
            check_spans(r.spans, len(words))
    free = tag_batch(codec, batch, constrained=False, num_beams=1)
    assert isinstance(free[0].text, str) and free[1].text is None
    # a budget too small for the tagging: spans so far, flagged as truncated
    short = tag_batch(codec, batch, constrained=True, max_new_tokens=2)
    assert short[0].truncated


@pytest.mark.slow
@settings(
    max_examples=600,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["mt5", "causal_lm"]),
    added=st.booleans(),
    labels=st.lists(st.sampled_from(LABELS), unique=True, max_size=4),
    sentences=st.lists(st.lists(word_st, min_size=1, max_size=12), min_size=1, max_size=4),
    num_beams=st.sampled_from([1, 2, 4]),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([0.0, 1.0, 3.0, 30.0]),
)
def test_constrained_output_is_a_tagging_of_the_input_many(
    codecs, kind, added, labels, sentences, num_beams, seed, scale
):
    """The property above over many more, longer and larger inputs (slow)."""
    test_constrained_output_is_a_tagging_of_the_input.hypothesis.inner_test(
        codecs, kind, added, labels, sentences, num_beams, seed, scale
    )


def test_long_input_truncated_encoder_still_tags_every_word(tiny_mt5):
    """An encoder input cut at max_length does not cut the tagging: the automaton
    copies every word of the sentence."""
    from spacy_xlt.backends.text2text import Text2TextModel
    from spacy_xlt.decoding.tagging import TagCodec, tag_batch

    model = Text2TextModel(str(tiny_mt5), max_length=8)
    model.load()
    codec = TagCodec(model, ["PER"])
    words = (CORPUS_WORDS * 3)[:30]
    assert len(codec.input_ids(words)) == 8
    (result,) = tag_batch(codec, [words], constrained=True, num_beams=2)
    assert not result.truncated
    check_spans(result.spans, len(words))


# --- the incremental processor against the reference --------------------------------------


class NoTable:
    """An automaton without its table: the processor keeps its rows' states one by one (as
    it does for automata whose states are sets of positions)."""

    def __init__(self, automaton):
        self.automaton = automaton

    def __getattr__(self, name):
        if name == "table":
            raise AttributeError(name)
        return getattr(self.automaton, name)


class CheckedProcessor:
    """The default (incremental) processor, checked at every call: its output must equal the
    reference's (``method="prefix"``, the implementation the incremental one replaced) and a
    reading of every row's whole prefix from scratch."""

    def __init__(self, automata, num_beams, fallback_ids):
        from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

        self.automata = list(automata)
        self.num_beams = num_beams
        self.fallback_ids = list(fallback_ids)
        self.new = ConstrainedLogitsProcessor(automata, num_beams, fallback_ids)
        self.ref = ConstrainedLogitsProcessor(automata, num_beams, fallback_ids, method="prefix")

    def __call__(self, input_ids, scores):
        import torch

        out = self.new(input_ids, scores)
        ref = self.ref(input_ids, scores)
        assert torch.equal(out, ref), f"step {self.new.steps}: the masks differ"
        expected = torch.full_like(scores, float("-inf"))
        for r, ids in enumerate(input_ids[:, self.ref.start :].tolist()):
            aut = self.automata[r // self.num_beams]
            allowed = aut.allowed(aut.run(ids)) or self.fallback_ids
            expected[r, allowed] = scores[r, allowed]
        assert torch.equal(out, expected), f"step {self.new.steps}: not the prefixes' masks"
        return out


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["mt5", "causal_lm"]),
    added=st.booleans(),
    labels=st.lists(st.sampled_from(LABELS), unique=True, max_size=3),
    sentences=st.lists(sentence_st, min_size=1, max_size=4),
    num_beams=st.integers(1, 4),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([0.0, 3.0, 30.0]),
    budget=st.one_of(st.none(), st.integers(1, 40)),
    table=st.booleans(),
)
def test_incremental_processor_masks_as_the_reference(
    codecs, kind, added, labels, sentences, num_beams, seed, scale, budget, table
):
    """Inside generate() (beam search reorders rows; greedy for one beam; several inputs;
    rows that end early or run out of new ids; left-padded prompts of decoder-only models),
    the incremental processor masks exactly the ids of the reference at every step, with
    the same counters, and never needs to recompute states from the prefixes: with the
    automata's tables (every row stepped at once) and without them (row by row)."""
    codec = _codec(codecs, kind, added, labels)
    automata = [codec.automaton(words) for words in sentences]
    if not table:
        automata = [NoTable(a) for a in automata]
    checked = []

    def processor_for(rows):
        processors = [NoiseProcessor(seed, scale)] if scale else []
        checked.append(CheckedProcessor([automata[r] for r in rows], num_beams, codec.end_ids))
        return processors + [checked[-1]]

    full = codec.max_new_tokens(sentences)
    codec.model.generate_ids(
        [codec.input_ids(w) for w in sentences],
        max_new_tokens=full if budget is None else min(budget, full),
        num_beams=num_beams,
        processor_for=processor_for,
    )
    assert checked
    for proc in checked:
        assert proc.new.steps == proc.ref.steps > 0
        assert proc.new.dead_rows == proc.ref.dead_rows
        assert proc.new.resyncs == 0
        assert (proc.new._table is not None) == (table and all(a.table() for a in proc.automata))


@settings(max_examples=300, deadline=None)
@given(
    n_inputs=st.integers(1, 3),
    num_beams=st.integers(1, 5),
    prompt=st.integers(1, 3),
    n_steps=st.integers(1, 25),
    slack=st.sampled_from([1, 2, 8, 100]),
    toy=st.sampled_from([_toy, _toy_table]),
    padded=st.booleans(),
    fallback=st.sampled_from([[1], []]),
    data=st.data(),
)
def test_incremental_processor_follows_any_reordering(
    n_inputs, num_beams, prompt, n_steps, slack, toy, padded, fallback, data
):
    """Rows reordered, duplicated and dropped at random between calls (each new row extends
    a random row of its input), ids allowed or not (dead rows, with or without fallback
    ids), prompts that differ between rows: the incremental processor masks as the
    reference, row by row (an automaton of position sets) or with the table. Calls that do
    not extend the previous one by one id (ids rolled back, or several appended) make it
    recompute the states from the prefixes, and it masks as the reference after that too."""
    import torch

    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    automata = [toy() for _ in range(n_inputs)]
    vocab = 45
    new = ConstrainedLogitsProcessor(automata, num_beams, fallback_ids=fallback)
    assert (new._table is None) == (toy is _toy)
    if not padded:  # the table's sparse rows, as for many labels (see the test below)
        new._padded = None
    new.prune_slack = slack  # key columns pruned every step (1) ... never (100)
    ref = ConstrainedLogitsProcessor(automata, num_beams, fallback_ids=fallback, method="prefix")
    ids_st = st.integers(0, vocab - 1)
    rows = [data.draw(st.lists(ids_st, min_size=prompt, max_size=prompt)) for _ in automata]
    rows = [list(rows[r // num_beams]) for r in range(n_inputs * num_beams)]
    if data.draw(st.booleans()):  # prompts may even differ within an input: they are ignored
        rows = [data.draw(st.lists(ids_st, min_size=prompt, max_size=prompt)) for _ in rows]
    jumps = 0
    for _ in range(n_steps):
        scores = torch.randn((len(rows), vocab))
        out = new(torch.tensor(rows), scores)
        assert torch.equal(out, ref(torch.tensor(rows), scores))
        if len(rows[0]) > prompt + 1 and data.draw(st.integers(0, 9)) == 0:
            cut = data.draw(st.integers(prompt, len(rows[0]) - 1))  # roll back
            rows = [row[:cut] for row in rows]
            jumps += 1
            continue
        extra = 1 if data.draw(st.integers(0, 9)) else data.draw(st.integers(2, 3))
        jumps += extra > 1
        new_rows = []
        for r in range(len(rows)):
            group = r // num_beams * num_beams
            parent = group + data.draw(st.integers(0, num_beams - 1))
            allowed = torch.isfinite(out[parent]).nonzero().flatten().tolist()
            row = list(rows[parent])
            for _ in range(extra):
                use_allowed = data.draw(st.integers(0, 4)) > 0 and allowed
                row.append(data.draw(st.sampled_from(allowed) if use_allowed else ids_st))
            new_rows.append(row)
        rows = new_rows
    assert new.steps == ref.steps == n_steps and new.dead_rows == ref.dead_rows
    assert new.resyncs <= jumps


def test_many_labels_keep_the_table_sparse():
    """With many labels, the state outside a span allows many ids and most states one: the
    processor steps through the sparse table rather than rows padded to the widest state
    (memory that would grow with the square of the labels)."""
    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    labels = [f"L{j}" for j in range(18)]
    words = [[100 + i, 200 + i] for i in range(30)]
    opens = {lab: [300 + j] for j, lab in enumerate(labels)}
    closes = {lab: [400 + j] for j, lab in enumerate(labels)}
    few = TaggingAutomaton(words, dict(list(opens.items())[:3]), closes, end_ids=[1, 0])
    many = TaggingAutomaton(words, opens, closes, end_ids=[1, 0])
    assert ConstrainedLogitsProcessor([few], 4, [1])._padded is not None
    proc = ConstrainedLogitsProcessor([many], 4, [1])
    assert proc._table is not None and proc._padded is None


def test_incremental_processor_recomputes_after_a_jump(codecs):
    """A call that is not one id longer than the one before is read from the prefixes."""
    import torch

    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    codec = _codec(codecs, "mt5", True, ["PER"])
    aut = codec.automaton(["Obama", "visited", "Lagos"])
    vocab = len(codec.model.tokenizer) + 5
    a = aut.target([TokenSpan(0, 1, "PER")])
    proc = ConstrainedLogitsProcessor([aut], num_beams=1)
    proc(torch.tensor([[0]]), torch.zeros((1, vocab)))
    proc(torch.tensor([[0, a[0]]]), torch.zeros((1, vocab)))
    assert proc.resyncs == 0
    out = proc(torch.tensor([[0] + a[:4]]), torch.zeros((1, vocab)))
    assert proc.resyncs == 1
    assert set(torch.nonzero(torch.isfinite(out[0])).flatten().tolist()) == set(
        aut.allowed(aut.run(a[:4]))
    )
    out = proc(torch.tensor([[0] + a[:5]]), torch.zeros((1, vocab)))
    assert proc.resyncs == 1  # incremental again
    assert set(torch.nonzero(torch.isfinite(out[0])).flatten().tolist()) == set(
        aut.allowed(aut.run(a[:5]))
    )


def test_processor_unknown_method():
    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    with pytest.raises(XLTError, match="XLTE420"):
        ConstrainedLogitsProcessor([_toy()], method="hash")


@pytest.mark.slow
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    kind=st.sampled_from(["mt5", "causal_lm"]),
    added=st.booleans(),
    labels=st.lists(st.sampled_from(LABELS), unique=True, max_size=4),
    sentences=st.lists(st.lists(word_st, min_size=1, max_size=12), min_size=1, max_size=4),
    num_beams=st.integers(1, 6),
    seed=st.integers(0, 2**16),
    scale=st.sampled_from([0.0, 1.0, 3.0, 30.0]),
    budget=st.one_of(st.none(), st.integers(1, 80)),
    table=st.booleans(),
)
def test_incremental_processor_masks_as_the_reference_many(
    codecs, kind, added, labels, sentences, num_beams, seed, scale, budget, table
):
    """The property above over many more, longer and larger inputs (slow)."""
    test_incremental_processor_masks_as_the_reference.hypothesis.inner_test(
        codecs, kind, added, labels, sentences, num_beams, seed, scale, budget, table
    )
