"""Long inputs, never silently (issue 12, item 3): a 2,000-token sentence through every
model-facing step. Translate translates it in chunks, T-Projection reads the target in
windows that keep every placeholder, the tagger tags it in windows merged into one tagging,
the encoder aligners embed it in windows; each step says so in its counts.

The sentence is generated text (``spacy_xlt.testing.generate_parallel``), so the tiny
tokenizers know its words; its spans lie all over it, the last one near its end."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np
import pytest
import spacy
from hypothesis import given, settings
from hypothesis import strategies as st
from spacy.tokens import Doc
from spacy.training import Example

from spacy_xlt.backends.windows import (
    break_strength,
    merge_window_spans,
    plan_windows,
    span_chunks,
    split_chunks,
    window_owners,
)
from spacy_xlt.labels import LabelMap, TokenSpan, check_spans
from spacy_xlt.pairs import doc_spans, make_pair, set_doc_spans
from spacy_xlt.pipes.util import PROJECTION_KEY
from spacy_xlt.testing import generate_parallel

N_TOKENS = 2000


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _long_pair(n=N_TOKENS, seed=1):
    """Generated sentence pairs joined into one pair of about ``n`` target tokens: source
    words, target words, source spans, target spans, gold alignment."""
    src, tgt, src_spans, tgt_spans, links = [], [], [], [], []
    for ex in generate_parallel(4 * n, "en", "es", seed=seed):
        if len(tgt) + len(ex.tgt_words) > n or len(src) + len(ex.src_words) > n:
            break
        a, b = len(src), len(tgt)
        src_spans += [TokenSpan(s + a, e + a, lab) for s, e, lab in ex.src_spans]
        tgt_spans += [TokenSpan(s + b, e + b, lab) for s, e, lab in ex.tgt_spans]
        links += [(i + a, j + b) for i, j in ex.alignment]
        src += ex.src_words
        tgt += ex.tgt_words
    return src, tgt, src_spans, tgt_spans, links


@pytest.fixture(scope="module")
def long_pair():
    src, tgt, src_spans, tgt_spans, links = _long_pair()
    assert len(src) > 0.98 * N_TOKENS and len(tgt) > 0.98 * N_TOKENS
    assert src_spans[-1].end > len(src) - 20  # a span near the end
    return src, tgt, src_spans, tgt_spans, links


def _spread(spans, k):
    """``k`` spans spread over the sentence, the last one included."""
    step = max(1, len(spans) // (k - 1))
    return sorted(set(spans[::step][: k - 1] + [spans[-1]]))


# --------------------------------------------------------------------------- windows, pure


@st.composite
def _windows_case(draw):
    n = draw(st.integers(1, 60))
    costs = draw(st.lists(st.integers(0, 4), min_size=n, max_size=n))
    budget = draw(st.integers(1, 20))
    overlap = draw(st.sampled_from([0.0, 0.25, 0.5, 0.75]))
    truth, i = [], 0
    while i < n:
        if draw(st.booleans()):
            end = min(n, i + draw(st.integers(1, 5)))
            truth.append(TokenSpan(i, end, draw(st.sampled_from(["A", "B"]))))
            i = end + draw(st.integers(0, 2))
        else:
            i += 1
    return n, costs, budget, overlap, truth


@settings(max_examples=400, deadline=None)
@given(_windows_case())
def test_windows_cover_every_word_in_order(case):
    n, costs, budget, overlap, _ = case
    windows = plan_windows(costs, budget, overlap)
    assert windows[0][0] == 0 and windows[-1][1] == n
    for (a, b), (c, d) in zip(windows, windows[1:]):
        assert a < c <= b < d  # starts and ends increase; no gap
    for a, b in windows:
        assert b - a == 1 or sum(costs[a:b]) <= budget
    owners = window_owners(costs, windows)
    assert all(windows[k][0] <= w < windows[k][1] for w, k in enumerate(owners))
    if sum(costs) <= budget:
        assert windows == [(0, n)]


@settings(max_examples=400, deadline=None)
@given(_windows_case())
def test_merging_windows_that_agree_gives_the_tagging_back(case):
    """Windows tagged as a true tagging would be (each with the true spans it holds whole):
    the merge is that tagging, every span that fits in a window, nothing else."""
    n, costs, budget, overlap, truth = case
    windows = plan_windows(costs, budget, overlap)
    per_window = [[s for s in truth if a <= s.start and s.end <= b] for a, b in windows]
    merged, dropped = merge_window_spans(n, windows, per_window, costs)
    fits = [s for s in truth if any(a <= s.start and s.end <= b for a, b in windows)]
    assert merged == fits and dropped == 0
    if overlap >= 0.5 and all(s.end - s.start <= 1 for s in truth):
        assert merged == truth  # one-word spans always fit in some window


@settings(max_examples=400, deadline=None)
@given(_windows_case(), st.randoms(use_true_random=False))
def test_merging_windows_that_disagree_is_a_valid_tagging(case, rng):
    """Random taggings per window: the merge is a valid, non-overlapping tagging of the
    given words, made only of the windows' spans."""
    n, costs, budget, overlap, _ = case
    windows = plan_windows(costs, budget, overlap)
    per_window = []
    for a, b in windows:
        spans, i = [], a
        while i < b:
            if rng.random() < 0.4:
                end = rng.randint(i + 1, min(b, i + 4))
                spans.append(TokenSpan(i, end, rng.choice("AB")))
                i = end
            else:
                i += 1
        per_window.append(spans)
    merged, dropped = merge_window_spans(n, windows, per_window, costs)
    assert check_spans(merged, n) == merged
    proposed = {s for spans in per_window for s in spans}
    assert set(merged) <= proposed and dropped >= 0


def test_split_chunks_end_at_sentence_ends_and_spans_stay_whole():
    words = "a b c . d e f g , h i j k l . m n".split()
    costs = [1] * len(words)
    chunks = split_chunks(costs, 8, [break_strength(w) for w in words])
    assert chunks[0] == (0, 4) and chunks[0][1] - 1 == words.index(".")
    assert [w for a, b in chunks for w in words[a:b]] == words
    assert all(b - a <= 8 for a, b in chunks)
    spans = [TokenSpan(5, 10, "X")]
    chunks = span_chunks(costs, spans, 6)
    assert any(a <= 5 and 10 <= b for a, b in chunks)
    assert [w for a, b in chunks for w in words[a:b]] == words
    assert not any(5 < a < 10 or 5 < b < 10 for a, b in chunks)  # the span stays whole
    # a text without spaces is cut after its sentence ends where it can
    assert split_chunks([1] * 9, 6, [0, 0, 2, 0, 0, 0, 0, 2, 0]) == [(0, 3), (3, 9)]
    assert break_strength("end.") == 2 and break_strength('so,"') == 1 and break_strength("x") == 0


# --------------------------------------------------------------------------- translate


@pytest.fixture(scope="module")
def translator(tiny_nllb):
    from spacy_xlt.backends.translator import Translator

    t = Translator(str(tiny_nllb), max_length=256, num_beams=1, max_new_tokens=8)
    t.load()
    return t


def test_translate_a_2000_token_text_in_chunks(translator, long_pair):
    src = long_pair[0]
    text = " ".join(src)
    n_tokens = len(translator.encode_texts([text], "en", target=False)[0])
    assert n_tokens > 4 * translator.max_length
    chunks = translator.chunk(text, "en")
    lengths = [len(x) for x in translator.encode_texts(chunks, "en", target=False)]
    assert max(lengths) <= translator.max_length and " ".join(chunks) == text
    # cut after a sentence end wherever one lies in the chunk's second half
    assert sum(break_strength(c.split()[-1]) == 2 for c in chunks[:-1]) == len(chunks) - 1
    seen = []
    generate = translator.model.generate

    def spy(**kwargs):
        seen.append(kwargs["input_ids"].shape[0])
        return generate(**kwargs)

    translator.model.generate = spy
    try:
        before = translator.counts.copy()
        out = translator.translate([text, "the river"], "en", "es")
    finally:
        del translator.model.generate
    counts = translator.counts - before
    assert counts["chunked"] == 1 and counts["chunks"] == len(chunks)
    assert counts["translated"] == 2 and counts["truncated"] == 0
    assert sum(seen) == len(chunks) + 1  # every chunk went through the model
    alone = translator.translate(chunks, "en", "es")
    assert out[0] == " ".join(t for t in alone if t)
    assert out[1] == translator.translate(["the river"], "en", "es")[0]


def test_scoring_cuts_long_sequences_and_counts_them(translator):
    before = translator.counts["score_truncated"]
    long_text = " ".join(["river"] * 400)
    scores = translator.score([long_text, "river"], ["río", "río"], "en", "es")
    assert np.isfinite(scores).all()
    assert translator.counts["score_truncated"] == before + 1


# --------------------------------------------------------------------------- T-Projection


def _tprojection(tiny_mt5, tiny_nllb, **translator):
    nlp = spacy.blank("es")
    pipe = nlp.add_pipe(
        "xlt_tprojection",
        config={
            "generator": {
                "@misc": "spacy_xlt.Seq2SeqGenerator.v1",
                "name": str(tiny_mt5),
                "max_length": 256,
                "max_new_tokens": 12,
            },
            "translator": {"@misc": "spacy_xlt.Translator.v1", "name": str(tiny_nllb), **translator},
            "trainer": {"@misc": "spacy_xlt.Trainer.v1", "optimizer": "adamw", "learning_rate": 0.001},
            "num_beams": 2,
            "target_lang": "es",
        },
    )
    nlp.initialize(lambda: [])
    return nlp, pipe


@pytest.fixture(scope="module")
def tprojection(tiny_mt5, tiny_nllb):
    return _tprojection(tiny_mt5, tiny_nllb)


def _pair_doc(nlp, src, tgt, spans):
    source = Doc(nlp.vocab, words=src)
    set_doc_spans(source, spans)
    return make_pair(source, Doc(nlp.vocab, words=tgt), source_lang="en")


def _spy(generator):
    seen = []
    generate = generator.generate

    def spy(inputs, **kwargs):
        seen.extend(inputs)
        return generate(inputs, **kwargs)

    generator.generate = spy
    return seen


def _placeholders(src, spans):
    from spacy_xlt.markup import tprojection_input

    return tprojection_input(src, spans)[len(" ".join(src)) + 1 :]


def _window_words(text, marks):
    assert text.endswith(" " + marks)
    return text[: -len(marks) - 1].split(" ")


def test_tprojection_reads_a_2000_token_target_in_windows_with_every_placeholder(tprojection, long_pair):
    nlp, pipe = tprojection
    src, tgt, src_spans, _, _ = long_pair
    spans = _spread(src_spans, 6)
    generator = pipe.method.generator
    seen = _spy(generator)
    pipe.stats.clear()
    try:
        doc = pipe(_pair_doc(nlp, src, tgt, spans))
    finally:
        del generator.generate
    stats = pipe.stats
    assert stats["truncated_inputs"] == 1 and stats["split_placeholders"] == 0
    assert stats["generator_windows"] == len(seen) > 1
    # every input fits and ends with every placeholder; the windows cover every target word
    assert max(generator.input_lengths(seen)) <= generator.max_length
    marks = _placeholders(src, spans)
    covered, pos = set(), 0
    for text in seen:
        words = _window_words(text, marks)
        start = next(i for i in range(pos, len(tgt)) if tgt[i : i + len(words)] == words)
        covered.update(range(start, start + len(words)))
        pos = start + 1
    assert covered == set(range(len(tgt)))
    # every source span is projected or reported
    assert stats["source_spans"] == len(spans)
    assert stats["projected"] + stats["unaligned"] + stats["conflict"] == len(spans)
    record = doc.user_data[PROJECTION_KEY]
    assert len(record["unaligned"]) == stats["unaligned"]
    assert record["generator_windows"] == len(seen)
    assert generator.counts["truncated"] == 0  # nothing was cut by the generator
    check_spans(doc_spans(doc), len(doc))


class _Oracle:
    """A generator that writes, for each input, the gold target spans that lie whole in its
    window (with the real tokenizer's lengths, so that T-Projection windows as for the real
    generator)."""

    def __init__(self, generator, tgt, tgt_spans):
        self.max_length = generator.max_length
        self.input_lengths = generator.input_lengths
        self.tgt, self.tgt_spans = tgt, tgt_spans
        self.inputs = []

    def generate(self, inputs, num_beams=16, num_return_sequences=None):
        names = LabelMap()
        out = []
        for text in inputs:
            self.inputs.append(text)
            words = text[: text.index("<")].split()
            window = " ".join(words)
            segs = [
                f"<{names.name(s.label)}>{' '.join(self.tgt[s.start : s.end])}</{names.name(s.label)}>"
                for s in self.tgt_spans
                if f" {' '.join(self.tgt[s.start : s.end])} " in f" {window} "
            ]
            out.append(["".join(segs)] * (num_return_sequences or num_beams))
        return out


def test_tprojection_groups_placeholders_that_do_not_fit_and_counts_scorer_cuts(tiny_mt5, tiny_nllb, long_pair):
    """Many spans: their placeholders alone take more than half an input, so they go in
    groups, each read with the part of the target where its spans lie. With an oracle
    generator every source span gets candidates; span texts longer than the scorer's
    max_length are cut and counted in the pipe's stats."""
    nlp, pipe = _tprojection(tiny_mt5, tiny_nllb, max_length=6)
    src, tgt, src_spans, tgt_spans, _ = long_pair
    spans = _spread(src_spans, 60)
    oracle = _Oracle(pipe.method.generator, tgt, tgt_spans)
    pipe.method.generator = oracle
    doc = pipe(_pair_doc(nlp, src, tgt, spans))
    stats = pipe.stats
    assert stats["truncated_inputs"] == 1 and stats["split_placeholders"] == 1
    assert stats["generator_windows"] == len(oracle.inputs)
    assert max(oracle.input_lengths(oracle.inputs)) <= oracle.max_length
    assert stats["unaligned"] == 0  # every span got candidates
    assert stats["projected"] + stats["conflict"] == len(spans)
    assert stats["projected"] >= 0.8 * len(spans)
    assert stats["scorer_truncated"] > 0
    assert stats["scorer_truncated"] == pipe.translator.counts["score_truncated"]
    check_spans(doc_spans(doc), len(doc))


def test_placeholder_groups_keep_every_placeholder_once_in_source_order(tprojection, long_pair):
    from spacy_xlt.projection.tprojection import fit_generator_inputs

    _, pipe = tprojection
    generator = pipe.method.generator
    src, tgt, src_spans, _, _ = long_pair
    # one label per span, so that each placeholder can be told apart
    spans = [TokenSpan(s.start, s.end, f"L{k}") for k, s in enumerate(_spread(src_spans, 40))]
    counts = Counter()
    texts = fit_generator_inputs(src, spans, tgt, generator.max_length, generator.input_lengths, counts=counts)
    assert counts["split_placeholders"] == 1 and counts["generator_windows"] == len(texts)
    assert max(generator.input_lengths(texts)) <= generator.max_length
    tails = [t[t.index("<") :] for t in texts]
    groups = list(dict.fromkeys(tails))
    assert len(groups) > 1 and "".join(groups) == _placeholders(src, spans)
    for group in groups:  # a group's windows cover the part of the target its spans lie in
        first = int(group[2 : group.index(">")])
        last = int(group[group.rindex("</L") + 3 : -1])
        words = set()
        for text, tail in zip(texts, tails):
            if tail == group:
                window = _window_words(text, tail)
                start = next(i for i in range(len(tgt)) if tgt[i : i + len(window)] == window)
                words.update(range(start, start + len(window)))
        lo, hi = min(words), max(words) + 1
        assert words == set(range(lo, hi))
        assert lo <= spans[first].start * len(tgt) / len(src) and spans[last].end * len(tgt) / len(src) <= hi


def test_tprojection_trains_on_a_long_example_in_windows(tprojection, long_pair):
    nlp, pipe = tprojection
    src, _, src_spans, _, _ = long_pair
    doc = Doc(nlp.vocab, words=src)
    set_doc_spans(doc, src_spans)
    pipe.stats.clear()
    pairs = pipe.training_pairs(doc)
    generator = pipe.generator
    assert pipe.stats["training_windowed"] == 1 and pipe.stats["training_windows"] == len(pairs) > 1
    assert pipe.stats["training_cut"] == 0
    assert max(generator.input_lengths([t for p in pairs for t in p])) <= generator.max_length
    # the windows hold every word and every gold span once
    assert " ".join(p[0][: p[0].index("<")].strip() for p in pairs) == " ".join(src)
    assert sum(p[1].count("</") for p in pairs) == len(src_spans)
    before = generator.counts["truncated"]
    losses = pipe.update([Example(Doc(nlp.vocab, words=src), doc)], sgd=False)
    assert math.isfinite(losses[pipe.name])
    assert generator.counts["truncated"] == before and generator.counts["truncated_targets"] == 0


# --------------------------------------------------------------------------- tagger


@pytest.fixture(scope="module")
def tagger(tiny_mt5):
    nlp = spacy.blank("xx")
    nlp.add_pipe(
        "xlt_text2text_tagger",
        config={
            "model": {"name": str(tiny_mt5), "max_length": 64},
            "num_beams": 1,
            "labels": ["DATE", "LOC", "ORG", "PER"],
            "trainer": {"learning_rate": 0.001},
        },
    )
    nlp.initialize(lambda: [])
    return nlp, nlp.get_pipe("xlt_text2text_tagger")


def test_tagger_tags_a_2000_token_sentence_in_windows(tagger, long_pair):
    from spacy_xlt.decoding.tagging import tag_batch

    nlp, pipe = tagger
    words = long_pair[0]
    codec = pipe.codec
    windows = codec.windows(words)
    assert len(windows) > 10 and windows[0][0] == 0 and windows[-1][1] == len(words)
    assert max(codec.input_length(words[a:b]) for a, b in windows) <= 64
    pipe.stats.clear()
    doc = pipe(Doc(nlp.vocab, words=words))
    stats = pipe.stats
    assert stats["sentences"] == 1 and stats["windowed"] == 1 and stats["windows"] == len(windows)
    assert stats["truncated"] == 0 and stats["truncated_input"] == 0 and stats["truncated_output"] == 0
    assert pipe.backend.counts["truncated"] == 0  # no input was cut
    spans = doc_spans(doc)
    assert check_spans(spans, len(words)) == spans and {s.label for s in spans} <= set(pipe.labels)
    # every window's constrained output was a complete tagging (all its words copied)
    (result,) = tag_batch(codec, [words], num_beams=1)
    assert result.windows == len(windows) and not result.truncated
    assert result.spans == spans


_ODD_WORDS = ["<Person>", "a\\b", "東京", "</s>", "።", ",", "(", "Москва"]


@settings(max_examples=25, deadline=None)
@given(
    picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=80),
    max_length=st.integers(4, 40),
    cap=st.one_of(st.none(), st.integers(8, 60)),
)
def test_tagger_windows_merge_into_one_valid_tagging(tagger, long_pair, picks, max_length, cap):
    """Random word lists, window sizes (the model's max_length) and caps of new tokens: one
    valid tagging of the given words, made of complete window taggings."""
    from spacy_xlt.decoding.tagging import tag_batch

    _, pipe = tagger
    vocab = list(long_pair[0][:200]) + _ODD_WORDS
    words = [vocab[k % len(vocab)] for k in picks]
    codec = pipe.codec
    before = pipe.backend.max_length
    pipe.backend.max_length = max_length
    try:
        windows = codec.windows(words, cap)
        (result,) = tag_batch(codec, [words], num_beams=1, max_new_tokens=cap)
    finally:
        pipe.backend.max_length = before
    assert result.windows == len(windows) and windows[0][0] == 0 and windows[-1][1] == len(words)
    assert check_spans(result.spans, len(words)) == result.spans
    assert {s.label for s in result.spans} <= set(pipe.labels)
    for a, b in windows:  # a window of several words fits, in input and in new tokens
        if b - a > 1:
            assert codec.input_length(words[a:b]) <= max_length
            assert cap is None or codec.need(words[a:b]) <= cap
    if all(b - a > 1 or (codec.input_length(words[a:b]) <= max_length and (cap is None or codec.need(words[a:b]) <= cap)) for a, b in windows):
        assert not result.truncated and not result.input_truncated


def test_tagger_windows_for_a_cap_of_new_tokens(tagger, long_pair):
    from spacy_xlt.decoding.tagging import tag_batch

    _, pipe = tagger
    codec = pipe.codec
    words = long_pair[0][:120]
    assert codec.input_length(words) > 64 and codec.need(words) > 40
    windows = codec.windows(words, max_new_tokens=40)
    assert all(codec.need(words[a:b]) <= 40 for a, b in windows)
    (result,) = tag_batch(codec, [words], num_beams=1, max_new_tokens=40)
    assert not result.truncated and result.windows == len(windows) > 1
    check_spans(result.spans, len(words))


def test_tagger_trains_on_a_long_example_in_windows(tagger, long_pair):
    nlp, pipe = tagger
    words, spans = long_pair[0], long_pair[2]
    codec = pipe.codec
    windows = codec.training_windows(words, spans)
    assert len(windows) > 1 and all(fits for _, _, fits in windows)
    for a, b, _ in windows:  # no border inside a gold span
        assert not any(s.start < a < s.end or s.start < b < s.end for s in spans)
    assert [w for a, b, _ in windows for w in words[a:b]] == list(words)
    ref = Doc(nlp.vocab, words=words)
    set_doc_spans(ref, spans)
    pipe.stats.clear()
    before = pipe.backend.counts["truncated"]
    losses = pipe.update([Example(Doc(nlp.vocab, words=words), ref)], sgd=False)
    assert math.isfinite(losses[pipe.name])
    assert pipe.stats["training_windowed"] == 1 and pipe.stats["training_windows"] == len(windows)
    assert pipe.stats["training_cut"] == 0 and pipe.backend.counts["truncated"] == before


# --------------------------------------------------------------------------- encoder aligners


@pytest.fixture(scope="module")
def encoder(tiny_bert):
    from spacy_xlt.backends.encoder import HFEncoder

    enc = HFEncoder(str(tiny_bert), layer=2, max_length=32, batch_size=16)
    assert enc.on_long == "window"  # the default
    enc.load()
    return enc


def test_encoder_windows_give_every_word_its_owner_windows_vector(encoder, long_pair):
    words = long_pair[0]
    before = encoder.counts.copy()
    vectors = encoder.embed([words, words[:5]])
    counts = encoder.counts - before
    assert counts["windowed_sentences"] == 1 and counts["windows"] > 10
    assert vectors[0].shape == (len(words), encoder.hidden_size)
    assert np.any(vectors[0] != 0, axis=1).all()  # every word a real vector
    # a word's vector is the one it gets in the window that gives it the most context
    # (a window is run as a sentence of its own: the same special tokens)
    n_pieces = [len(encoder.tokenizer(w, add_special_tokens=False)["input_ids"]) for w in words]
    windows = plan_windows(n_pieces, encoder.max_length - 2, 0.5)
    owners = window_owners(n_pieces, windows)
    for w in (0, 1, len(words) // 2, len(words) - 2, len(words) - 1):
        a, b = windows[owners[w]]
        alone = encoder.embed([words[a:b]])[0][w - a]
        np.testing.assert_allclose(vectors[0][w], alone, atol=1e-5)
    # pieces: every piece of every word, in order; pooled they are the word vectors
    from spacy_xlt.backends.encoder import pool_pieces

    pieces = encoder.embed_pieces([words])[0]
    assert pieces.word_ids.tolist() == [w for w, n in enumerate(n_pieces) for _ in range(n)]
    np.testing.assert_allclose(pool_pieces(pieces, len(words)), vectors[0], atol=1e-5)
    # a sentence that fits: the vectors it always had
    short = words[:8]
    from spacy_xlt.backends.encoder import HFEncoder

    strict = HFEncoder(encoder.name, layer=2, max_length=32, on_long="error")
    strict.load()
    np.testing.assert_allclose(encoder.embed([short])[0], strict.embed([short])[0], atol=1e-6)


def test_simalign_projector_aligns_a_2000_token_pair_to_its_end(encoder, long_pair):
    from spacy_xlt.projection.embedding import EmbeddingAligner

    src, tgt, src_spans, _, _ = long_pair
    nlp = spacy.blank("es")
    pipe = nlp.add_pipe("xlt_alignment_projector", config={"aligner": {"@misc": "spacy_xlt.StatisticalAligner.v1"}})
    pipe.aligner = EmbeddingAligner(encoder, "itermax")
    (links,) = pipe.aligner.align([(src, tgt)])
    rows = {i for i, _ in links}
    cols = {j for _, j in links}
    assert max(rows) >= len(src) - 3 and max(cols) >= len(tgt) - 3
    # links all along the sentence (a random tiny encoder: no more than that)
    assert {10 * i // len(src) for i in rows} == set(range(10))
    assert {10 * j // len(tgt) for j in cols} == set(range(10))
    spans = _spread(src_spans, 12)
    pair = _pair_doc(nlp, src, tgt, spans)
    pipe.stats.clear()
    doc = next(pipe.pipe([pair]))
    stats = pipe.stats
    assert stats["windowed_sentences"] == 2 and stats["windows"] > 20
    assert stats["truncated_sentences"] == 0 and stats["truncated_words"] == 0
    assert stats["projected"] + stats["unaligned"] + stats["conflict"] == len(spans)
    check_spans(doc_spans(doc), len(doc))


def test_predict_prints_the_taggers_window_counts(tmp_path, tiny_mt5, long_pair):
    """`spacy xlt predict` says what an over-long sentence cost (never silent)."""
    from typer.testing import CliRunner

    from spacy_xlt.cli import xlt_cli
    from spacy_xlt.pairs import write_docs

    nlp = spacy.blank("xx")
    nlp.add_pipe(
        "xlt_text2text_tagger",
        config={"model": {"name": str(tiny_mt5), "max_length": 64}, "labels": ["PER"], "num_beams": 1},
    )
    nlp.initialize()
    nlp.to_disk(tmp_path / "tagger")
    words = list(long_pair[1][:300])
    write_docs([Doc(nlp.vocab, words=words), Doc(nlp.vocab, words=words[:5])], tmp_path / "gold.spacy")
    result = CliRunner().invoke(
        xlt_cli, ["predict", str(tmp_path / "tagger"), str(tmp_path / "gold.spacy"), str(tmp_path / "out.spacy")]
    )
    assert result.exit_code == 0, result.output
    assert "xlt_text2text_tagger: windowed 1 (this run)" in result.output
