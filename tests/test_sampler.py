"""The native eflomal sampler (spacy_xlt.projection.sampler) and the aligner's native engine."""

import json
import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_statistical_aligner import FAST, _check_well_formed, make_corpus, precision_recall

from spacy_xlt.errors import XLTError
from spacy_xlt.projection import sampler
from spacy_xlt.projection.statistical import SYMMETRIZATIONS, StatisticalAligner, symmetrize

sentences = st.lists(
    st.tuples(
        st.lists(st.integers(1, 6), min_size=1, max_size=7),
        st.lists(st.integers(0, 4), min_size=1, max_size=7),
    ),
    min_size=1,
    max_size=12,
)


@settings(max_examples=60, deadline=None)
@given(sentences)
def test_pair_index_names_every_cell_by_its_key(pairs):
    corpus = sampler.Corpus.build([e for e, _ in pairs], [f for _, f in pairs], 7, 5)
    keys = corpus.pair_keys
    assert len(set(keys.tolist())) == len(keys)  # one index per distinct (e, f)
    for s, (e, f) in enumerate(pairs):
        base = int(corpus.k_off[s])
        for j, fj in enumerate(f):
            for i, ei in enumerate(e):
                assert keys[corpus.pair_index[base + j * len(e) + i]] == ei * 5 + fj
    expected = {ei * 5 + fj for e, f in pairs for ei in e for fj in f}
    assert set(keys.tolist()) == expected


def test_pair_index_grows_its_table():
    """More distinct pairs than the first table holds (2**15)."""
    rng = np.random.default_rng(0)
    e = [rng.integers(1, 400, size=20).tolist() for _ in range(400)]
    f = [rng.integers(0, 400, size=20).tolist() for _ in range(400)]
    corpus = sampler.Corpus.build(e, f, 400, 400)
    assert len(corpus.pair_keys) > 2**15
    got = corpus.pair_keys[corpus.pair_index]
    want = np.concatenate(
        [(np.array(a)[None, :] * 400 + np.array(b)[:, None]).ravel() for a, b in zip(e, f)]
    )
    assert np.array_equal(got, want)


def _trained(seed=0, n_threads=1, schedule=(2, 2, 4)):
    pairs, _ = make_corpus(120, seed=3)
    source, target = {}, {}
    e = [[source.setdefault(w, len(source) + 1) for w in s] for s, _ in pairs]
    f = [[target.setdefault(w, len(target)) for w in t] for _, t in pairs]
    corpus = sampler.Corpus.build(e, f, len(source) + 1, len(target))
    links, models = sampler.train(corpus, schedule, seed=seed, n_threads=n_threads)
    return corpus, links, models


def test_counts_agree_with_the_links():
    corpus, links, models = _trained()
    for reverse, (flat, model) in enumerate(zip(links, models)):
        d = sampler.Direction.of(corpus, bool(reverse))
        n_tokens = len(d.f_tok)
        assert len(flat) == n_tokens
        assert model.lex.sum() + model.null.sum() == n_tokens == model.total.sum()
        assert model.null.sum() == (flat == -1).sum()
        assert np.all(model.lex > 0) and np.all(np.diff(model.pair_keys) > 0)
        # the counts are those of the final links (chain 0 after the argmax pass)
        expected = {}
        for s in range(corpus.n_sentences):
            e = d.e_tok[d.e_off[s] : d.e_off[s + 1]]
            for j, i in enumerate(flat[d.f_off[s] : d.f_off[s + 1]]):
                assert -1 <= i < len(e)
                if i >= 0:
                    key = int(e[i]) * d.n_f_types + int(d.f_tok[d.f_off[s] + j])
                    expected[key] = expected.get(key, 0) + 1
        assert dict(zip(model.pair_keys.tolist(), model.lex.tolist())) == expected
        # the jump counts: the prior plus one per jump between non-NULL links, ends included
        assert np.all(model.jump[: sampler.JUMP_SUM] >= 0.5 - 1e-9)
        jumps = model.jump[: sampler.JUMP_SUM].sum() - 0.5 * sampler.JUMP_SUM
        assert jumps == pytest.approx(model.jump[sampler.JUMP_SUM] - 50.0)


def test_same_seed_same_result_on_any_thread_count():
    _, one, _ = _trained(seed=4, n_threads=1)
    _, two, _ = _trained(seed=4, n_threads=2)
    _, other, _ = _trained(seed=5, n_threads=2)
    assert all(np.array_equal(a, b) for a, b in zip(one, two))
    assert not all(np.array_equal(a, b) for a, b in zip(one, other))


def test_chains_run_in_threads_and_errors_reach_the_caller(monkeypatch):
    seen = set()
    original = sampler._sweeps

    def record(*args, **kwargs):
        seen.add(threading.current_thread().name)
        return original(*args, **kwargs)

    monkeypatch.setattr(sampler, "_sweeps", record)
    _trained(n_threads=2)
    assert len(seen) >= 2 and threading.current_thread().name not in seen

    def fail(*args, **kwargs):
        raise RuntimeError("a chain failed")

    monkeypatch.setattr(sampler, "_sweeps", fail)
    with pytest.raises(RuntimeError, match="a chain failed"):
        _trained(n_threads=2)


def test_gamma_draws_have_the_right_mean_and_variance():
    state = sampler.seed_state(0, 0)
    for alpha in (0.5, 1.0, 3.5):
        draws = np.array([sampler._gamma(state, alpha) for _ in range(20000)])
        assert draws.min() > 0
        assert draws.mean() == pytest.approx(alpha, rel=0.05)
        assert draws.var() == pytest.approx(alpha, rel=0.1)
    uniforms = np.array([sampler._uniform(state) for _ in range(20000)])
    assert 0 <= uniforms.min() and uniforms.max() < 1
    assert uniforms.mean() == pytest.approx(0.5, abs=0.01)
    assert not np.array_equal(sampler.seed_state(0, 1), sampler.seed_state(0, 2))


def test_decode_keeps_the_models_counts_and_handles_new_words():
    corpus, links, models = _trained()
    before = [m.to_arrays() for m in models]
    pairs = [([1, 2, 3], [0, 1, 2]), ([500, 2], [900, 1, 0])]  # 500 / 900: unseen types
    new = sampler.Corpus.build([e for e, _ in pairs], [f for _, f in pairs], 501, 901)
    out = sampler.decode(new, models, seed=1)
    assert [len(x) for x in out] == [len(new.f_tok), len(new.e_tok)]
    for m, arrays in zip(models, before):
        for key, value in m.to_arrays().items():
            assert np.array_equal(value, arrays[key])
    smaller = sampler.Corpus.build([[1]], [[0]], 2, 1)
    with pytest.raises(ValueError, match="extend"):
        sampler.decode(smaller, models)


def _thot_directional(model, src, tgt):
    """thot's best alignment of one direction as a list of positions per column."""
    _, matrix = model.get_best_alignment(src, tgt)
    array = matrix.to_numpy()[: len(src), : len(tgt)]
    return [int(np.flatnonzero(array[:, j])[0]) if array[:, j].any() else -1 for j in range(len(tgt))]


@pytest.mark.parametrize("heuristic", SYMMETRIZATIONS)
def test_symmetrize_equals_thots_symmetrized_model(heuristic):
    import thot.alignment as ta

    from spacy_xlt.projection.statistical import _heuristic

    pairs, _ = make_corpus(80, seed=5, swap=0.4, insert=0.3)
    forward, reverse = ta.FastAlignModel(), ta.FastAlignModel()
    for s, t in pairs:
        forward.add_sentence_pair(s, t, 1)
        reverse.add_sentence_pair(t, s, 1)
    for model in (forward, reverse):
        model.start_training()
        model.train()  # one sweep: a poor model, so the two directions disagree
        model.end_training()
    both = ta.SymmetrizedAlignmentModel(forward, reverse)
    both.heuristic = _heuristic(heuristic)
    differ = 0
    for s, t in pairs:
        fwd = _thot_directional(forward, s, t)
        rev = _thot_directional(reverse, t, s)
        _, matrix = both.get_best_alignment(s, t)
        rows, cols = matrix.to_numpy()[: len(s), : len(t)].nonzero()
        assert symmetrize(len(s), len(t), fwd, rev, heuristic) == list(zip(rows.tolist(), cols.tolist()))
        differ += fwd != [-1] * len(t) and set(enumerate(fwd)) != {(i, j) for i, j in enumerate(rev)}
    assert differ  # the directions did disagree somewhere


def test_native_and_thot_engines(corpus=None):
    pairs, gold = make_corpus()
    for engine in ("native", "thot"):
        links = StatisticalAligner(iterations=FAST, seed=7, engine=engine).align(pairs)
        _check_well_formed(pairs, links)
        p, r = precision_recall(links, gold)
        assert p >= 0.95 and r >= 0.95, (engine, p, r)
    assert StatisticalAligner().engine == "native"
    assert StatisticalAligner("hmm").engine == "thot"
    assert StatisticalAligner(engine="thot").config()["engine"] == "thot"


def test_engine_errors():
    with pytest.raises(XLTError, match="XLTE162.*engine"):
        StatisticalAligner(engine="gpu")
    with pytest.raises(XLTError, match="XLTE162.*only eflomal is native"):
        StatisticalAligner("hmm", engine="native")
    with pytest.raises(XLTError, match="XLTE166.*jump_window.*engine='thot'"):
        StatisticalAligner(model_params={"jump_window": 50})
    StatisticalAligner(model_params={"jump_window": 50}, engine="thot")
    for bad in ({"num_samplers": 0}, {"p0": 1.5}, {"alpha_lex": -1}, {"alpha_jump": "x"}):
        with pytest.raises(XLTError, match="XLTE162"):
            StatisticalAligner(model_params=bad)


def test_a_version_1_model_loads_with_thot(tmp_path):
    """Models saved before the native engine (config version 1, no "engine") are thot's."""
    pairs, _ = make_corpus(150)
    aligner = StatisticalAligner(iterations=FAST, seed=2, engine="thot").fit(pairs[:120])
    aligner.to_disk(tmp_path / "old")
    config = json.loads((tmp_path / "old" / "config.json").read_text())
    del config["engine"]
    config["version"] = 1
    (tmp_path / "old" / "config.json").write_text(json.dumps(config))
    loaded = StatisticalAligner().from_disk(tmp_path / "old")
    assert loaded.engine == "thot"
    assert loaded.align(pairs[120:]) == aligner.align(pairs[120:])


def test_a_broken_native_model_is_named(tmp_path):
    pairs, _ = make_corpus(60)
    aligner = StatisticalAligner(iterations=FAST, seed=2).fit(pairs)
    aligner.to_disk(tmp_path / "m")
    (tmp_path / "m" / "native.npz").write_bytes(b"not numpy")
    with pytest.raises(XLTError, match="XLTE168.*unreadable native model"):
        StatisticalAligner().from_disk(tmp_path / "m")


def test_sentences_longer_than_eflomals_limit():
    """eflomal's buffers stop at 1,024 words; the native sampler sizes its own. One pair
    is 250 generated pairs run together (its gold: their links, shifted)."""
    pairs, gold = make_corpus(400, seed=8)
    long_src, long_tgt, long_gold = [], [], []
    for (s, t), links in zip(pairs[:250], gold[:250]):
        long_gold.extend((i + len(long_src), j + len(long_tgt)) for i, j in links)
        long_src.extend(s)
        long_tgt.extend(t)
    assert len(long_src) > 1024 and len(long_tgt) > 1024
    corpus = [(long_src, long_tgt)] + pairs[250:]
    links = StatisticalAligner(iterations=FAST, seed=1).align(corpus)
    _check_well_formed(corpus, links)
    assert max(i for i, _ in links[0]) > 1024
    # links all along the long pair (a 1,500-word "sentence" over an 80-word vocabulary is
    # ambiguous: the point is that every position can be linked), the short ones as usual
    assert {10 * i // len(long_src) for i, _ in links[0]} == set(range(10))
    assert {10 * j // len(long_tgt) for _, j in links[0]} == set(range(10))
    assert precision_recall(links[1:], gold[250:])[1] >= 0.8
