"""StatisticalAligner (sil-thot) on generated parallel text with a known word mapping."""

import random

import pytest
from spacy.util import registry

from spacy_xlt.errors import XLTError
from spacy_xlt.projection.statistical import (
    ITERATIONS,
    MODELS,
    StatisticalAligner,
    TokenNormalizer,
    eflomal_schedule,
    read_parallel_text,
)
from spacy_xlt.ty import Aligner

#: A short eflomal schedule: enough for these small corpora, and quick.
FAST = {"ibm1": 4, "hmm": 4, "fertility": 12}

SYLLABLES = ["ka", "lo", "mi", "ne", "ru", "ta", "vo", "zi", "pe", "su", "da", "fi"]


def _vocab(rng, n, length):
    words = set()
    while len(words) < n:
        words.add("".join(rng.choice(SYLLABLES) for _ in range(length)))
    return sorted(words)


def make_corpus(n_pairs=300, seed=0, swap=0.2, insert=0.1, min_len=3, max_len=9):
    """Source sentences over a Zipf-like vocabulary; each target is the word-by-word cipher,
    with neighbours swapped (prob ``swap``) and a filler word inserted (prob ``insert``).
    Returns the pairs and, per pair, the true links."""
    rng = random.Random(seed)
    src_vocab = _vocab(rng, 80, 2)
    tgt_vocab = _vocab(random.Random(seed + 1), 80, 3)
    cipher = dict(zip(src_vocab, tgt_vocab))
    weights = [1.0 / (k + 1) for k in range(len(src_vocab))]
    pairs, gold = [], []
    for _ in range(n_pairs):
        src = rng.choices(src_vocab, weights, k=rng.randint(min_len, max_len))
        order = list(range(len(src)))
        k = 0
        while k < len(order) - 1:
            if rng.random() < swap:
                order[k], order[k + 1] = order[k + 1], order[k]
                k += 2
            else:
                k += 1
        tgt, links = [], []
        for i in order:
            if rng.random() < insert:
                tgt.append("xu")  # filler word with no source counterpart
            links.append((i, len(tgt)))
            tgt.append(cipher[src[i]])
        pairs.append((src, tgt))
        gold.append(sorted(links))
    return pairs, gold


def precision_recall(pred, gold):
    tp = sum(len(set(p) & set(g)) for p, g in zip(pred, gold))
    n_pred = sum(len(p) for p in pred)
    n_gold = sum(len(g) for g in gold)
    return tp / max(n_pred, 1), tp / max(n_gold, 1)


def _check_well_formed(pairs, alignments):
    assert len(alignments) == len(pairs)
    for (src, tgt), links in zip(pairs, alignments):
        assert links == sorted(set(links))
        for i, j in links:
            assert isinstance(i, int) and isinstance(j, int)
            assert 0 <= i < len(src) and 0 <= j < len(tgt)


@pytest.fixture(scope="module")
def corpus():
    return make_corpus()


@pytest.fixture(scope="module")
def eflomal_links(corpus):
    pairs, _ = corpus
    return StatisticalAligner(iterations=FAST, seed=7).align(pairs)


def test_protocol():
    assert isinstance(StatisticalAligner(), Aligner)


def test_eflomal_recovers_the_cipher(corpus, eflomal_links):
    pairs, gold = corpus
    _check_well_formed(pairs, eflomal_links)
    p, r = precision_recall(eflomal_links, gold)
    assert p >= 0.95 and r >= 0.95, (p, r)


def test_same_seed_same_alignments(corpus, eflomal_links):
    pairs, _ = corpus
    again = StatisticalAligner(iterations=FAST, seed=7).align(pairs)
    assert again == eflomal_links
    # and the aligner object is reusable: a second call trains afresh, identically
    aligner = StatisticalAligner(iterations=FAST, seed=7)
    assert aligner.align(pairs) == aligner.align(pairs) == eflomal_links


@pytest.mark.parametrize("model", [m for m in MODELS if m != "eflomal"])
def test_other_models(corpus, model):
    pairs, gold = corpus
    links = StatisticalAligner(model, seed=1).align(pairs)
    _check_well_formed(pairs, links)
    p, r = precision_recall(links, gold)
    # every model learns a one-to-one cipher from 300 pairs; ibm1 has no position model
    assert p >= 0.8 and r >= 0.8, (model, p, r)


def test_symmetrizations_nest(corpus):
    pairs, gold = corpus
    pairs, gold = pairs[:150], gold[:150]
    results = {
        name: StatisticalAligner("fast_align", name).align(pairs)
        for name in ("intersection", "grow-diag-final-and", "union", "none")
    }
    for k in range(len(pairs)):
        inter = set(results["intersection"][k])
        gdfa = set(results["grow-diag-final-and"][k])
        union = set(results["union"][k])
        assert inter <= gdfa <= union
        assert inter <= set(results["none"][k]) <= union


def test_normalisation_keeps_original_indices():
    clean, gold = make_corpus(200, seed=3)
    rng = random.Random(5)

    def noisy(word):
        word = word.capitalize() if rng.random() < 0.3 else word
        return word + rng.choice(["", "", ",", ".", "!"]) if rng.random() < 0.4 else "«" + word

    dirty = [([noisy(w) for w in s], [noisy(w) for w in t]) for s, t in clean]
    # with whole words, the noisy words normalise to exactly the clean ones
    aligner = StatisticalAligner(iterations=FAST, seed=2, prefix_length=0)
    assert aligner.align(dirty) == aligner.align(clean)
    p, r = precision_recall(aligner.align(dirty), gold)
    assert p >= 0.9 and r >= 0.9
    # without normalisation the noisy text is harder, but indices still refer to its words
    raw = StatisticalAligner(
        iterations=FAST, seed=2, lowercase=False, strip_punct=False, prefix_length=0
    ).align(dirty)
    _check_well_formed(dirty, raw)
    assert precision_recall(raw, gold)[1] < r


def test_prefix_truncation_keeps_indices():
    pairs, gold = make_corpus(200, seed=4)
    # inflect the targets: random suffixes that a 3-character prefix removes
    rng = random.Random(9)
    inflected = [(s, [w + rng.choice(["", "s", "es", "ón"]) for w in t]) for s, t in pairs]
    links = StatisticalAligner(iterations=FAST, seed=1, prefix_length=3).align(inflected)
    _check_well_formed(inflected, links)
    p, r = precision_recall(links, gold)
    assert p >= 0.9 and r >= 0.9


def test_token_normalizer():
    norm = TokenNormalizer(prefix_length=0)
    assert norm("Sushi.") == "sushi"
    assert norm("¡Una") == "una"
    assert norm('"(hello)"') == "hello"
    assert norm("...") == "..."  # punctuation-only words are kept
    assert norm("don't") == "don't"  # inner punctuation stays
    assert norm("ﬁne") == "fine"  # NFKC
    assert norm("ＡＢＣ") == "abc"
    assert norm("New York") == "new_york"
    assert norm("") == "<empty>"
    assert TokenNormalizer(prefix_length=4)("Porciones,") == "porc"
    assert TokenNormalizer(lowercase=False, prefix_length=0)("Sushi.") == "Sushi"
    assert TokenNormalizer(strip_punct=False, prefix_length=0)("Sushi.") == "sushi."
    assert TokenNormalizer(nfkc=False, prefix_length=0)("ﬁne") == "ﬁne"
    assert norm.normalize(["A,", "b"]) == ["a", "b"]
    with pytest.raises(XLTError, match="XLTE162"):
        TokenNormalizer(prefix_length=-1)


@pytest.mark.parametrize(
    "normalizer",
    [
        TokenNormalizer(),
        TokenNormalizer(prefix_length=0),
        TokenNormalizer(lowercase=False, strip_punct=False, nfkc=False, prefix_length=2),
    ],
)
def test_cached_normalizer_gives_the_same_forms(normalizer):
    rng = random.Random(3)
    alphabet = list("aAbBçÇñ.,;!?¡«»\"'()-ﬁＡ ") + ["", "...", "New York", "porciones,"]
    words = ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 6))) for _ in range(400)]
    sentences = [rng.sample(words, rng.randint(0, 12)) for _ in range(300)]
    cached = normalizer.cached()
    for sentence in sentences + sentences:  # second pass: every word from the cache
        assert cached(sentence) == normalizer.normalize(sentence)
    # one form object per distinct word, shared by its occurrences
    forms = cached(["Sushi.", "x", "Sushi."])
    assert forms[0] is forms[2] and forms == normalizer.normalize(["Sushi.", "x", "Sushi."])
    assert cached([]) == []


@pytest.mark.parametrize("model", ["eflomal", "fast_align", "hmm"])
def test_threads_give_the_same_alignments(corpus, model):
    pairs, _ = corpus
    kwargs = dict(iterations=FAST, seed=7) if model == "eflomal" else dict(seed=7)
    results = [
        StatisticalAligner(model, n_threads=n, **kwargs).align(pairs) for n in (1, 2, 3, None)
    ]
    assert all(r == results[0] for r in results[1:])


def test_directions_train_at_the_same_time(corpus, monkeypatch):
    """thot's engine: with two threads or more, one direction trains in a thread of its own;
    with one, both train one after the other in the calling thread."""
    import threading

    pairs, _ = corpus
    original = StatisticalAligner._run_chain
    seen = []

    def record(self, chain, n_pairs):
        seen.append(threading.current_thread())
        return original(self, chain, n_pairs)

    monkeypatch.setattr(StatisticalAligner, "_run_chain", record)
    two = StatisticalAligner(iterations=FAST, seed=7, n_threads=2, engine="thot").align(pairs[:60])
    assert len(seen) == 2 and seen[0] is not seen[1]
    assert threading.main_thread() in seen
    seen.clear()
    one = StatisticalAligner(iterations=FAST, seed=7, n_threads=1, engine="thot").align(pairs[:60])
    assert seen == [threading.main_thread()] * 2
    assert one == two


def test_training_thread_errors_reach_the_caller(corpus, monkeypatch):
    import threading

    pairs, _ = corpus
    original = StatisticalAligner._run_chain

    def fail_in_thread(self, chain, n_pairs):
        if threading.current_thread() is not threading.main_thread():
            raise RuntimeError("thot failed")
        return original(self, chain, n_pairs)

    monkeypatch.setattr(StatisticalAligner, "_run_chain", fail_in_thread)
    with pytest.raises(RuntimeError, match="thot failed"):
        StatisticalAligner(iterations=FAST, seed=7, n_threads=2, engine="thot").align(pairs[:40])


def test_n_threads_setting(monkeypatch):
    from spacy_xlt.projection.statistical import _available_cpus

    for bad in (0, -1, True, 1.5, "2"):
        with pytest.raises(XLTError, match="XLTE162"):
            StatisticalAligner(n_threads=bad)
    assert StatisticalAligner(n_threads=3).n_threads == 3
    assert "n_threads" not in StatisticalAligner(n_threads=3).config()  # results never depend on it
    make = registry.misc.get("spacy_xlt.StatisticalAligner.v1")
    assert make(n_threads=1).n_threads == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "1")
    assert _available_cpus() == 1
    monkeypatch.setenv("OMP_NUM_THREADS", "lots")
    assert _available_cpus() >= 1


def test_empty_sentences(corpus):
    pairs, gold = corpus
    mixed = [([], ["a"]), (["a"], []), ([], [])] + list(pairs[:200])
    links = StatisticalAligner(iterations=FAST, seed=7).align(mixed)
    assert links[:3] == [[], [], []]
    _check_well_formed(mixed, links)
    assert precision_recall(links[3:], gold[:200])[1] >= 0.9
    assert StatisticalAligner().align([]) == []
    assert StatisticalAligner().align([([], []), (["x"], [])]) == [[], []]


def test_one_word_sentences():
    rng = random.Random(0)
    words = [("ka", "lor"), ("mi", "nes"), ("ta", "vuz")]
    pairs = [([s], [t]) for s, t in (rng.choice(words) for _ in range(60))]
    links = StatisticalAligner(iterations=FAST, seed=1).align(pairs)
    assert links == [[(0, 0)]] * len(pairs)
    # one-word pairs inside a corpus of longer ones
    corpus, _ = make_corpus(200, seed=2)
    src, tgt = corpus[0][0][0], corpus[0][1]
    links = StatisticalAligner(iterations=FAST, seed=1).align([([src], [tgt[0]])] + corpus)
    _check_well_formed([([src], [tgt[0]])], links[:1])


def test_extra_parallel_text(tmp_path, corpus):
    pairs, gold = corpus
    few, few_gold = pairs[:20], gold[:20]
    alone = precision_recall(StatisticalAligner(iterations=FAST, seed=1).align(few), few_gold)[1]
    with_extra = StatisticalAligner(iterations=FAST, seed=1, extra_pairs=pairs[20:]).align(few)
    assert len(with_extra) == 20
    assert precision_recall(with_extra, few_gold)[1] > alone
    path = tmp_path / "extra.txt"
    path.write_text(
        "\n".join(" ".join(s) + " ||| " + " ".join(t) for s, t in pairs[20:]) + "\n\n",
        encoding="utf8",
    )
    assert read_parallel_text(path) == [(list(s), list(t)) for s, t in pairs[20:]]
    assert StatisticalAligner(iterations=FAST, seed=1, extra_path=path).align(few) == with_extra


def test_parallel_text_errors(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("a b ||| c\nno bars here\n", encoding="utf8")
    with pytest.raises(XLTError, match=r"XLTE163.*bad.txt:2"):
        read_parallel_text(path)
    with pytest.raises(XLTError, match="XLTE021"):
        read_parallel_text(tmp_path / "missing.txt")


def test_iterations(corpus):
    pairs, _ = corpus
    assert eflomal_schedule(2500) == {"ibm1": 25, "hmm": 25, "fertility": 100}
    assert eflomal_schedule(0) == {"ibm1": 2, "hmm": 1, "fertility": 2}
    few = StatisticalAligner(
        seed=1, iterations={"ibm1": 1, "hmm": 0, "fertility": 0}, model_params={"num_samplers": 1}
    ).align(pairs[:50])
    _check_well_formed(pairs[:50], few)
    hmm = StatisticalAligner("hmm", iterations={"hmm": 2}).align(pairs[:50])
    _check_well_formed(pairs[:50], hmm)
    for model, stages in ITERATIONS.items():
        StatisticalAligner(model, iterations={stage: 1 for stage in stages})
    with pytest.raises(XLTError, match="XLTE165"):
        StatisticalAligner("hmm", iterations={"fertility": 3})
    with pytest.raises(XLTError, match="XLTE162"):
        StatisticalAligner(iterations={"hmm": -1})


def test_model_params(corpus):
    pairs, _ = corpus
    links = StatisticalAligner(
        iterations=FAST, seed=1, model_params={"num_samplers": 1, "p0": 0.1}
    ).align(pairs[:50])
    _check_well_formed(pairs[:50], links)
    with pytest.raises(XLTError, match="XLTE166"):
        StatisticalAligner(model_params={"hmm_p0": 0.1})


def test_bad_settings_and_input():
    with pytest.raises(XLTError, match="XLTE160"):
        StatisticalAligner("giza")
    with pytest.raises(XLTError, match="XLTE161"):
        StatisticalAligner(symmetrization="gdfa")
    with pytest.raises(XLTError, match="XLTE162"):
        StatisticalAligner(seed=-1)
    with pytest.raises(XLTError, match="XLTE164"):
        StatisticalAligner().align([("a b", ["c"])])
    with pytest.raises(XLTError, match="XLTE164"):
        StatisticalAligner().align([(["a", 1], ["c"])])
    with pytest.raises(XLTError, match="XLTE164"):
        StatisticalAligner().align([(["a"],)])
    with pytest.raises(XLTError, match="XLTE164.*not a .source words, target words. pair"):
        StatisticalAligner().align([(["a"], 3)])
    with pytest.raises(XLTError, match="XLTE164.*target word 1 is not a string: None"):
        StatisticalAligner().align([(["a"], ["b", None])])
    with pytest.raises(XLTError, match="XLTE164.*the target side is a string"):
        StatisticalAligner().align([(["a"], "b")])
    with pytest.raises(XLTError, match="XLTE167"):
        StatisticalAligner().to_disk("/nonexistent/never")


def test_fit_save_load(tmp_path, corpus):
    pairs, gold = corpus
    aligner = StatisticalAligner(iterations=FAST, seed=3).fit(pairs[:250])
    assert aligner.is_frozen
    held_out = pairs[250:]
    decoded = aligner.align(held_out)
    _check_well_formed(held_out, decoded)
    assert precision_recall(decoded, gold[250:])[1] >= 0.9
    assert aligner.align(held_out) == decoded  # decoding is deterministic too
    aligner.to_disk(tmp_path / "model")
    loaded = StatisticalAligner(model="hmm", prefix_length=0).from_disk(tmp_path / "model")
    assert loaded.is_frozen and loaded.config() == aligner.config()
    assert loaded.align(held_out) == decoded
    # the registered function loads it too
    make = registry.misc.get("spacy_xlt.StatisticalAligner.v1")
    assert make(model_path=str(tmp_path / "model")).align(held_out) == decoded
    with pytest.raises(XLTError, match="XLTE168"):
        StatisticalAligner().from_disk(tmp_path)


def test_transductive_aligner_can_be_saved(tmp_path, corpus):
    pairs, _ = corpus
    aligner = StatisticalAligner("fast_align")
    aligner.align(pairs[:100])
    assert not aligner.is_frozen
    aligner.to_disk(tmp_path / "fa")
    loaded = StatisticalAligner().from_disk(tmp_path / "fa")
    assert loaded.model == "fast_align"
    _check_well_formed(pairs[100:120], loaded.align(pairs[100:120]))


def test_registered_function_and_config(corpus):
    from thinc.api import Config

    cfg = Config().from_str(
        """
        [aligner]
        @misc = "spacy_xlt.StatisticalAligner.v1"
        model = "hmm"
        symmetrization = "union"
        seed = 4
        iterations = {"ibm1": 3, "hmm": 2}
        prefix_length = 0
        lowercase = false
        """
    )
    aligner = registry.resolve(cfg)["aligner"]
    assert isinstance(aligner, StatisticalAligner)
    assert aligner.config()["iterations"] == {"ibm1": 3, "hmm": 2}
    assert aligner.symmetrization == "union" and aligner.seed == 4
    assert aligner.normalizer == TokenNormalizer(lowercase=False, prefix_length=0)
    pairs, _ = corpus
    _check_well_formed(pairs[:30], aligner.align(pairs[:30]))


def test_entry_point_declared():
    from pathlib import Path

    setup = (Path(__file__).resolve().parent.parent / "setup.cfg").read_text(encoding="utf8")
    assert (
        "spacy_xlt.StatisticalAligner.v1 = spacy_xlt.projection.statistical:make_statistical_aligner"
        in setup
    )


@pytest.mark.parametrize("model,engine", [(m, "auto") for m in MODELS] + [("eflomal", "thot")])
def test_save_load_every_model(tmp_path, corpus, model, engine):
    pairs, _ = corpus
    aligner = StatisticalAligner(
        model, iterations=FAST if model == "eflomal" else None, seed=5, engine=engine
    )
    aligner.fit(pairs[:250])
    decoded = aligner.align(pairs[250:])
    _check_well_formed(pairs[250:], decoded)
    loaded = StatisticalAligner().from_disk(aligner.to_disk(tmp_path / model))
    assert loaded.model == model and loaded.engine == aligner.engine
    assert loaded.align(pairs[250:]) == decoded


def test_extra_text_not_utf8_is_named_by_line(tmp_path):
    from spacy_xlt.projection.statistical import read_parallel_text

    path = tmp_path / "extra.txt"
    path.write_bytes("a b ||| c d\n\ncaf\xe9 ||| x\n".encode("latin-1"))
    with pytest.raises(XLTError, match=r"XLTE028.*extra.txt:3:4"):
        read_parallel_text(path)
