"""Embedding aligners: the extraction algorithms on hand-made and random matrices, the
Hugging Face encoder backend on tiny random models, and the aligners end to end."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from spacy_xlt.errors import XLTError
from spacy_xlt.projection.embedding import (
    EmbeddingAligner,
    SoftmaxAligner,
    apply_distortion,
    argmax_alignment,
    cosine_similarity,
    itermax_alignment,
    match_alignment,
    softmax_threshold_alignment,
)
from spacy_xlt.testing.encoders import OneHotEncoder
from spacy_xlt.ty import Aligner

# --------------------------------------------------------------------------- strategies


def sim_matrices(min_side=1, max_side=7, low=0.0, high=1.0):
    return st.tuples(st.integers(min_side, max_side), st.integers(min_side, max_side)).flatmap(
        lambda shape: arrays(
            np.float64,
            shape,
            elements=st.floats(low, high, allow_nan=False, allow_infinity=False, width=32),
        )
    )


def distinct_sims(max_side=6):
    """Non-negative matrices without ties (argmax ties are resolved by index, as numpy does)."""
    return st.tuples(st.integers(1, max_side), st.integers(1, max_side), st.integers(0, 2**32 - 1)).map(
        lambda t: np.random.default_rng(t[2]).permutation(t[0] * t[1]).reshape(t[0], t[1]) / (t[0] * t[1])
    )


# --------------------------------------------------------------------------- reference implementations


def reference_argmax(sim):
    """Mutual best matches, cell by cell (first index wins ties, as numpy's argmax)."""
    m, n = sim.shape
    out = set()
    for i in range(m):
        j = int(np.argmax(sim[i]))
        if int(np.argmax(sim[:, j])) == i:
            out.add((i, j))
    return out


def reference_itermax(sim, max_iter=2, alpha=0.9):
    """SimAlign's itermax written from its description, loop by loop."""
    m, n = sim.shape
    links = reference_argmax(sim)
    if min(m, n) <= 2:
        return links
    for _ in range(max_iter - 1):
        rows = {i for i, _ in links}
        cols = {j for _, j in links}
        if len(rows) == m or len(cols) == n:
            break
        weighted = np.zeros_like(sim)
        for i in range(m):
            for j in range(n):
                unaligned = (i not in rows) + (j not in cols)
                weighted[i, j] = sim[i, j] * min(1.0, alpha * unaligned)
        new = {(i, j) for i, j in reference_argmax(weighted) if not (i in rows and j in cols)}
        if not new:
            break
        links |= new
    return links


def brute_force_matching_weight(sim):
    m, n = sim.shape
    if m <= n:
        return max(sum(sim[i, p[i]] for i in range(m)) for p in itertools.permutations(range(n), m))
    return max(sum(sim[p[j], j] for j in range(n)) for p in itertools.permutations(range(m), n))


def softmax(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# --------------------------------------------------------------------------- argmax


def test_argmax_hand_made():
    sim = np.array([[0.9, 0.1, 0.2], [0.8, 0.3, 0.1], [0.1, 0.2, 0.7]])
    # row 1 prefers column 0, which prefers row 0: not mutual; column 1 prefers row 1, but
    # row 1 does not prefer column 1
    assert argmax_alignment(sim) == [(0, 0), (2, 2)]


def test_argmax_empty_and_single():
    assert argmax_alignment(np.zeros((0, 3))) == []
    assert argmax_alignment(np.zeros((3, 0))) == []
    assert argmax_alignment(np.array([[0.2]])) == [(0, 0)]


@given(sim_matrices(low=-1.0))
def test_argmax_is_mutual_best(sim):
    links = argmax_alignment(sim)
    assert set(links) == reference_argmax(sim)
    for i, j in links:
        assert sim[i, j] == sim[i].max() == sim[:, j].max()
    # one link per row and per column at most
    assert len({i for i, _ in links}) == len(links) == len({j for _, j in links})


# --------------------------------------------------------------------------- itermax


def test_itermax_hand_made_adds_many_to_one_link():
    sim = np.array([[0.9, 0.1, 0.2], [0.8, 0.3, 0.1], [0.1, 0.2, 0.7]])
    # round 2: row 1 (unaligned) x column 0 (aligned) weighs 0.9 * 0.8 = 0.72, the best of
    # its row and of its column once both-aligned pairs are zeroed
    assert itermax_alignment(sim) == [(0, 0), (1, 0), (2, 2)]
    assert itermax_alignment(sim, max_iter=1) == argmax_alignment(sim)
    # alpha 0 forbids links touching an aligned word: row 1 then takes the free column 1
    assert itermax_alignment(sim, alpha=0.0) == [(0, 0), (2, 2)]


def test_itermax_keeps_argmax_for_short_sentences():
    sim = np.array([[0.9, 0.8], [0.85, 0.1]])
    assert itermax_alignment(sim, max_iter=5) == argmax_alignment(sim)


@settings(max_examples=200)
@given(sim_matrices(), st.integers(1, 4))
def test_itermax_contains_argmax_and_matches_reference(sim, max_iter):
    links = set(itermax_alignment(sim, max_iter=max_iter))
    assert set(argmax_alignment(sim)) <= links
    assert links == reference_itermax(sim, max_iter=max_iter)


@given(distinct_sims())
def test_itermax_more_rounds_never_remove_links(sim):
    assert set(itermax_alignment(sim, max_iter=2)) <= set(itermax_alignment(sim, max_iter=3))


def test_itermax_rejects_negative_similarities_and_bad_settings():
    with pytest.raises(XLTError, match="XLTE187"):
        itermax_alignment(np.array([[-0.5, 0.2], [0.1, 0.3]]))
    with pytest.raises(XLTError, match="XLTE184"):
        itermax_alignment(np.eye(3), max_iter=0)
    with pytest.raises(XLTError, match="XLTE184"):
        itermax_alignment(np.eye(3), alpha=1.5)


def test_bad_matrices_rejected():
    with pytest.raises(XLTError, match="XLTE187"):
        argmax_alignment(np.zeros(3))
    with pytest.raises(XLTError, match="XLTE187"):
        match_alignment(np.array([[np.nan, 1.0]]))


# --------------------------------------------------------------------------- match


@settings(max_examples=150)
@given(sim_matrices(max_side=5, low=-1.0))
def test_match_is_a_maximum_weight_matching(sim):
    links = match_alignment(sim)
    m, n = sim.shape
    assert len(links) == min(m, n)
    assert len({i for i, _ in links}) == len({j for _, j in links}) == len(links)
    assert sum(sim[i, j] for i, j in links) == pytest.approx(brute_force_matching_weight(sim), abs=1e-9)


def test_match_hand_made():
    # greedy would take (0, 0) = 0.9 and leave 0.1; the matching takes 0.8 + 0.7
    sim = np.array([[0.9, 0.8], [0.7, 0.1]])
    assert match_alignment(sim) == [(0, 1), (1, 0)]
    assert match_alignment(np.zeros((0, 2))) == []


# --------------------------------------------------------------------------- softmax threshold


def test_softmax_threshold_needs_both_directions():
    # row 0 spreads evenly over two columns; column 1 is dominated by row 1
    sim = np.array([[0.0, 0.0], [-20.0, 10.0]])
    row = softmax(sim, 1)
    col = softmax(sim, 0)
    assert row[0, 1] > 1e-3 and col[0, 1] < 1e-3  # kept by rows only
    assert (0, 1) not in softmax_threshold_alignment(sim)
    assert row[1, 0] < 1e-3 and col[1, 0] < 0.5  # dropped by rows
    assert softmax_threshold_alignment(sim) == [(0, 0), (1, 1)]
    # a threshold of 0 keeps everything; a high one only the dominant cells
    assert len(softmax_threshold_alignment(sim, threshold=0.0)) == 4
    assert softmax_threshold_alignment(sim, threshold=0.6) == [(1, 1)]
    with pytest.raises(XLTError, match="XLTE184"):
        softmax_threshold_alignment(sim, threshold=1.0)


@given(sim_matrices(low=-30.0, high=30.0), st.sampled_from([1e-3, 1e-2, 0.1, 0.3]))
def test_softmax_threshold_matches_definition(sim, threshold):
    want = {
        (i, j)
        for i in range(sim.shape[0])
        for j in range(sim.shape[1])
        if softmax(sim, 1)[i, j] > threshold and softmax(sim, 0)[i, j] > threshold
    }
    assert set(softmax_threshold_alignment(sim, threshold)) == want


# --------------------------------------------------------------------------- similarity helpers


def test_distortion_and_cosine():
    sim = np.ones((3, 5))
    assert np.array_equal(apply_distortion(sim, 0.0), sim)
    damped = apply_distortion(sim, 0.5)
    assert damped[0, 0] == damped[2, 4] == 1.0  # on the relative diagonal
    assert damped[0, 4] == pytest.approx(0.5) and damped[2, 0] == pytest.approx(0.5)
    assert np.array_equal(apply_distortion(np.ones((1, 4)), 0.5), np.ones((1, 4)))
    cos = cosine_similarity(np.array([[1.0, 0.0], [0.0, 0.0]]), np.array([[2.0, 0.0], [1.0, 1.0]]))
    assert cos[0] == pytest.approx([1.0, 2**-0.5])
    assert np.array_equal(cos[1], [0.0, 0.0])


# --------------------------------------------------------------------------- aligners on a one-hot encoder

WORDS = "the old farmer sold a green house near the river in May".split()
ALL_SIMALIGN = [("argmax", "word"), ("itermax", "word"), ("match", "word"), ("itermax", "piece")]


@pytest.mark.parametrize("method,level", ALL_SIMALIGN)
def test_identical_sentences_give_the_diagonal(method, level):
    words = [w for w in dict.fromkeys(WORDS)]  # distinct words
    aligner = EmbeddingAligner(OneHotEncoder(pieces_per_word=2), method, level=level)
    assert isinstance(aligner, Aligner)
    assert aligner.align([(words, words)]) == [[(i, i) for i in range(len(words))]]


@pytest.mark.parametrize("level", ["word", "piece"])
def test_softmax_identical_sentences_give_the_diagonal(level):
    words = list(dict.fromkeys(WORDS))
    aligner = SoftmaxAligner(OneHotEncoder(pieces_per_word=3), level=level)
    assert aligner.align([(words, words)]) == [[(i, i) for i in range(len(words))]]


def test_aligners_embed_all_sentences_in_one_call_and_keep_pair_order():
    enc = OneHotEncoder()
    pairs = [(["a", "b"], ["b", "a"]), (["c"], ["x", "c", "y"]), ([], ["z"]), (["d", "e", "f"], [])]
    out = EmbeddingAligner(enc, "argmax").align(pairs)
    assert enc.calls == [8]
    assert out == [[(0, 1), (1, 0)], [(0, 1)], [], []]
    assert EmbeddingAligner(enc).align([]) == []


def test_words_without_pieces_stay_unaligned():
    src = ["a", " ", "b", ""]
    tgt = ["", "b", "\t", "a"]
    for aligner in (EmbeddingAligner(OneHotEncoder(), "match"), SoftmaxAligner(OneHotEncoder())):
        assert aligner.align([(src, tgt)]) == [[(0, 3), (2, 1)]]


def test_aligner_settings_are_checked():
    enc = OneHotEncoder()
    with pytest.raises(XLTError, match="XLTE184"):
        EmbeddingAligner(enc, "intersect")
    with pytest.raises(XLTError, match="XLTE184"):
        EmbeddingAligner(enc, level="char")
    with pytest.raises(XLTError, match="XLTE184"):
        SoftmaxAligner(enc, threshold=-0.1)
    with pytest.raises(XLTError, match="XLTE189"):
        EmbeddingAligner(object())

    class WordsOnly:
        def embed(self, word_lists):
            return OneHotEncoder().embed(word_lists)

    with pytest.raises(XLTError, match="XLTE189"):
        SoftmaxAligner(WordsOnly())
    assert SoftmaxAligner(WordsOnly(), level="word").align([(["a"], ["a"])]) == [[(0, 0)]]

    class Broken:
        def embed(self, word_lists):
            return [np.zeros((1, 4)) for _ in word_lists]

    with pytest.raises(XLTError, match="XLTE188"):
        EmbeddingAligner(Broken()).align([(["a", "b"], ["c"])])


# --------------------------------------------------------------------------- tiny random encoders


@pytest.fixture(scope="module", params=["bert", "xlmr"])
def tiny_encoder_path(request):
    """Each tiny random encoder of the conftest (tiny_bert, tiny_xlmr) in turn."""
    return request.getfixturevalue(f"tiny_{request.param}")


@pytest.fixture(scope="module")
def encoder(tiny_encoder_path):
    return _loaded(str(tiny_encoder_path), layer=2, batch_size=3)


def _loaded(*args, **kwargs):
    """An HFEncoder, loaded (what the projector's initialize does)."""
    from spacy_xlt.backends.encoder import HFEncoder

    encoder = HFEncoder(*args, **kwargs)
    encoder.load()
    return encoder


def _manual_word_vectors(enc, words):
    """Run the model on one sentence by hand and average pieces with word_ids()."""
    import torch

    batch = enc.tokenizer(words, is_split_into_words=True, return_tensors="pt")
    with torch.inference_mode():
        states = enc.model(**batch, output_hidden_states=True).hidden_states[enc.layer][0].numpy()
    word_ids = batch.word_ids(0)
    out = np.zeros((len(words), states.shape[1]), np.float32)
    for w in range(len(words)):
        rows = [k for k, x in enumerate(word_ids) if x == w]
        if rows:
            out[w] = states[rows].mean(0)
    return out, word_ids


def test_encoder_averages_pieces_per_word(encoder):
    words = ["unbelievably", ",", "Daga", "crossed", "the", "bridge", "."]
    vectors, word_ids = _manual_word_vectors(encoder, words)
    # the first word is split into several pieces
    assert word_ids.count(0) > 1
    got = encoder.embed([words])[0]
    assert got.shape == (len(words), encoder.hidden_size) and got.dtype == np.float32
    np.testing.assert_allclose(got, vectors, atol=1e-5)
    pieces = encoder.embed_pieces([words])[0]
    assert pieces.word_ids.tolist() == [w for w in word_ids if w is not None]
    assert len(pieces.vectors) == len(pieces.word_ids)


def test_encoder_restores_order_across_length_sorted_batches(encoder):
    from spacy_xlt.testing import generate_parallel

    sents = [ex.src_words[: 3 + (k * 5) % 11] for k, ex in enumerate(generate_parallel(10, "en", "ru", seed=3))]
    sents.insert(4, [])
    batched = encoder.embed(sents)  # batch_size 3: several padded batches, sorted by length
    for words, got in zip(sents, batched):
        alone = encoder.embed([words])[0]
        assert got.shape == (len(words), encoder.hidden_size)
        np.testing.assert_allclose(got, alone, atol=1e-4)


def test_encoder_zero_piece_words_get_zero_vectors_and_are_counted(encoder):
    before = encoder.counts["empty_words"]
    got = encoder.embed([["river", "\u200b", "house", " "]])[0]
    assert encoder.counts["empty_words"] == before + 2
    assert not got[1].any() and not got[3].any()
    assert got[0].any() and got[2].any()


def test_encoder_long_sentences(tiny_encoder_path):

    words = ["river"] * 20
    strict = _loaded(str(tiny_encoder_path), layer=1, max_length=8, on_long="error")
    with pytest.raises(XLTError, match=r"XLTE183.*Sentence 1 "):
        strict.embed([["a"], words])
    lenient = _loaded(str(tiny_encoder_path), layer=1, max_length=8, on_long="truncate")
    got = lenient.embed([["a"], words])[1]
    assert got.shape == (20, lenient.hidden_size)
    assert got[:6].any(axis=1).all() and not got[6:].any()  # 6 pieces + 2 special tokens
    assert lenient.counts["truncated_sentences"] == 1
    assert lenient.counts["truncated_words"] == 14


def test_encoder_settings_are_checked(tiny_encoder_path):
    from spacy_xlt.backends.encoder import HFEncoder, resolve_device

    with pytest.raises(XLTError, match=r"XLTE180.*'float64'"):
        HFEncoder(str(tiny_encoder_path), layer=1, dtype="float64")
    with pytest.raises(XLTError, match=r"XLTE181.*has 2 layers"):
        _loaded(str(tiny_encoder_path), layer=8)
    with pytest.raises(XLTError, match="XLTE181"):
        _loaded(str(tiny_encoder_path), layer=-4)
    with pytest.raises(XLTError, match="XLTE184"):
        HFEncoder(str(tiny_encoder_path), layer=1, on_long="drop")
    with pytest.raises(XLTError, match="XLTE321"):  # nothing is loaded before initialize
        HFEncoder(str(tiny_encoder_path), layer=1).embed([["a"]])
    with pytest.raises(XLTError, match="XLTE185"):
        resolve_device("tpu:0")
    assert str(resolve_device(-1)) == "cpu" and str(resolve_device(0)) == "cuda:0"
    assert str(resolve_device("cuda:1")) == "cuda:1"
    with pytest.raises(XLTError, match="XLTE320"):
        _loaded(str(tiny_encoder_path) + "-missing", layer=1)
    with pytest.raises(XLTError, match="XLTE190"):
        _loaded(str(tiny_encoder_path), layer=1).embed([["a", None]])
    # capped at the model's positions (the tokenizer's model_max_length)
    assert _loaded(str(tiny_encoder_path), layer=1, max_length=4096).max_length == 512


def test_encoders_satisfy_the_protocols(encoder):
    from spacy_xlt.backends.encoder import Encoder, PieceEncoder

    assert isinstance(encoder, PieceEncoder) and isinstance(encoder, Encoder)
    assert isinstance(OneHotEncoder(), PieceEncoder)


def test_encoder_layers_and_dtypes(tiny_encoder_path):

    words = [["Daga", "visited", "the", "old", "market", "."]]
    full = _loaded(str(tiny_encoder_path), layer=1, skip_upper_layers=False)
    cut = _loaded(str(tiny_encoder_path), layer=1)
    assert len(cut.model.encoder.layer) == 1 and len(full.model.encoder.layer) == 2
    np.testing.assert_allclose(cut.embed(words)[0], full.embed(words)[0], atol=1e-5)
    last = _loaded(str(tiny_encoder_path), layer=-1).embed(words)[0]
    np.testing.assert_allclose(last, _loaded(str(tiny_encoder_path), layer=2).embed(words)[0], atol=1e-6)
    emb0 = _loaded(str(tiny_encoder_path), layer=0).embed(words)[0]
    assert emb0.shape == last.shape
    half = _loaded(str(tiny_encoder_path), layer=2, dtype="bfloat16")
    assert half.model.dtype.__str__() == "torch.bfloat16"
    got = half.embed(words)[0]
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, last, atol=0.15)


@pytest.mark.parametrize("method", ["argmax", "itermax", "match"])
def test_simalign_on_tiny_encoder(encoder, method):
    from spacy_xlt.testing import generate_parallel

    pairs = [(ex.src_words, ex.tgt_words) for ex in generate_parallel(12, "en", "es", seed=7)]
    out = EmbeddingAligner(encoder, method).align(pairs)
    assert len(out) == len(pairs)
    argmax = EmbeddingAligner(encoder, "argmax").align(pairs)
    for (src, tgt), links, base in zip(pairs, out, argmax):
        assert links == sorted(set(links))
        assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in links)
        if method == "itermax":
            assert set(base) <= set(links)
        if method == "match":
            assert len(links) == min(len(src), len(tgt))


def test_tiny_encoder_aligns_a_sentence_with_itself_on_the_diagonal(encoder):
    from spacy_xlt.testing import generate_parallel

    # identical inputs give identical vectors, so cosine is 1 exactly on the diagonal;
    # distinct positions differ (position embeddings), so no other cell ties with it
    sents = [words for ex in generate_parallel(8, "en", "el", seed=11) for words in (ex.src_words, ex.tgt_words)]
    diagonals = [[(i, i) for i in range(len(words))] for words in sents]
    for method in ("argmax", "itermax", "match"):
        assert EmbeddingAligner(encoder, method).align([(w, w) for w in sents]) == diagonals


def test_softmax_aligner_on_tiny_encoder(encoder):
    from spacy_xlt.testing import generate_parallel

    pairs = [(ex.src_words, ex.tgt_words) for ex in generate_parallel(12, "en", "am", seed=5)]
    for level in ("piece", "word"):
        out = SoftmaxAligner(encoder, level=level).align(pairs)
        for (src, tgt), links in zip(pairs, out):
            assert links == sorted(set(links))
            assert all(0 <= i < len(src) and 0 <= j < len(tgt) for i, j in links)
    # a lower threshold keeps at least as much
    loose = SoftmaxAligner(encoder, threshold=1e-5).align(pairs)
    strict = SoftmaxAligner(encoder, threshold=1e-1).align(pairs)
    assert all(set(s) <= set(lo) for s, lo in zip(strict, loose))


def test_awesome_style_checkpoint_loads_through_automodel(tmp_path, tiny_bert):
    """awesome-align's fine-tuned checkpoints are BertForMaskedLM folders: AutoModel takes
    the BERT body from them, so the vectors equal those of the body alone."""
    from transformers import BertForMaskedLM


    base = tiny_bert
    mlm = BertForMaskedLM.from_pretrained(str(base))
    mlm.save_pretrained(tmp_path)
    from transformers import AutoTokenizer

    AutoTokenizer.from_pretrained(str(base)).save_pretrained(tmp_path)
    words = [["Daga", "sold", "the", "green", "house", "."]]
    got = _loaded(str(tmp_path), layer=2).embed(words)[0]
    want = _loaded(str(base), layer=2).embed(words)[0]
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_registered_aligners_resolve_from_config(tiny_encoder_path):
    from spacy.util import registry
    from thinc.api import Config

    import spacy_xlt.backends.encoder  # noqa: F401  (registers spacy_xlt.HFEncoder.v1)
    from spacy_xlt.projection.embedding import DEFAULT_AWESOME_CONFIG, DEFAULT_SIMALIGN_CONFIG

    for text, cls in ((DEFAULT_SIMALIGN_CONFIG, EmbeddingAligner), (DEFAULT_AWESOME_CONFIG, SoftmaxAligner)):
        config = Config().from_str(text)
        assert config["aligner"]["encoder"]["name"] == "bert-base-multilingual-cased"
        assert config["aligner"]["encoder"]["layer"] == 8
        config["aligner"]["encoder"]["name"] = str(tiny_encoder_path)
        config["aligner"]["encoder"]["layer"] = 2
        aligner = registry.resolve(config)["aligner"]
        assert isinstance(aligner, cls) and isinstance(aligner, Aligner)
        assert not aligner.encoder.loaded  # resolving a config downloads nothing
        aligner.initialize()
        assert aligner.encoder.layer == 2
        out = aligner.align([(["Daga", "sold", "it"], ["Daga", "lonós", "lo"])])
        assert all(0 <= i < 3 and 0 <= j < 3 for i, j in out[0])
    assert registry.misc.get("spacy_xlt.SimAlignAligner.v1") is not None


def test_setup_cfg_entry_points_name_the_registered_functions():
    """spaCy finds the registered names without an import through setup.cfg's spacy_misc."""
    import configparser
    import importlib
    from pathlib import Path

    cfg = configparser.ConfigParser()
    cfg.read(Path(__file__).resolve().parent.parent / "setup.cfg")
    lines = [x.strip() for x in cfg["options.entry_points"]["spacy_misc"].strip().splitlines()]
    entries = dict(x.split(" = ") for x in lines)
    for name in ("spacy_xlt.HFEncoder.v1", "spacy_xlt.SimAlignAligner.v1", "spacy_xlt.AwesomeAligner.v1"):
        module, func = entries[name].split(":")
        target = getattr(importlib.import_module(module), func)
        from spacy.util import registry

        assert registry.misc.get(name) is target
