"""xlt_text2text_tagger: config, errors, constrained/unconstrained prediction, training by
teacher forcing, serialization (to_disk / spacy.load offline, to_bytes)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import pytest
import spacy
from spacy.training import Example

from spacy_xlt.decoding.tagging import TagResult
from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan, check_spans
from spacy_xlt.pairs import doc_spans, set_doc_spans

REPO = Path(__file__).resolve().parent.parent
FACTORY = "xlt_text2text_tagger"


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _builder():
    spec = importlib.util.spec_from_file_location(
        "make_capitalised", REPO / "examples" / "make_capitalised.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SENTENCES = [
    ("Amina flew to Lagos with Kofi .", [(0, 1, "PER"), (3, 4, "LOC"), (5, 6, "PER")]),
    ("the river is long", []),
    ("Москва и Париж", [(0, 1, "LOC"), (2, 3, "LOC")]),
    ("東京 <Person> a\\b", [(0, 1, "LOC")]),
]


def _examples(nlp, spans_key=None):
    out = []
    for text, spans in SENTENCES:
        doc = nlp.make_doc(text)
        ref = doc.copy()
        set_doc_spans(ref, [TokenSpan(*s) for s in spans], spans_key)
        out.append(Example(doc, ref))
    return out


def _nlp(path, **config):
    nlp = spacy.blank("xx")
    cfg = {"model": {"name": str(path)}, "num_beams": 2}
    cfg.update(config)
    nlp.add_pipe(FACTORY, config=cfg)
    return nlp


def test_default_config_and_registry():
    nlp = spacy.blank("en")
    pipe = nlp.add_pipe(FACTORY)
    cfg = nlp.config["components"][FACTORY]
    assert cfg["model"]["@misc"] == "spacy_xlt.Text2TextModel.v1"
    assert cfg["model"]["name"] == "bigscience/mt0-xl"
    assert cfg["constrained"] is True and cfg["num_beams"] == 4
    assert cfg["trainer"]["@misc"] == "spacy_xlt.Trainer.v1"
    assert cfg["trainer"]["learning_rate"] == 7e-5 and cfg["model"]["batch_size"] == 8
    assert not pipe.backend.loaded  # nothing is downloaded before initialize
    with pytest.raises(XLTError, match="XLTE321"):
        pipe(nlp("Hello there"))
    # the config string round-trips
    nlp2 = spacy.blank("en").from_config(nlp.config)
    assert nlp2.config["components"][FACTORY] == cfg


@pytest.mark.parametrize(
    "config,code",
    [
        ({"num_beams": 0}, "XLTE326"),
        ({"max_new_tokens": 0}, "XLTE326"),
        ({"unknown_labels": "drop"}, "XLTE326"),
        ({"prompt_template": "no text slot"}, "XLTE247"),
        ({"model": {"batch_size": 0}}, "XLTE283"),
        ({"trainer": {"mixed_precision": "fp8"}}, "XLTE323"),
        ({"trainer": {"optimizer": "lion"}}, "XLTE323"),
        ({"trainer": {"learning_rate": 0}}, "XLTE323"),
        ({"trainer": {"warmup_steps": -1}}, "XLTE323"),
    ],
)
def test_bad_values_rejected(config, code):
    nlp = spacy.blank("en")
    with pytest.raises(XLTError, match=code):
        nlp.add_pipe(FACTORY, config=config)


def test_bad_model_settings_rejected():
    nlp = spacy.blank("en")
    with pytest.raises(XLTError, match="XLTE180"):
        nlp.add_pipe(FACTORY, config={"model": {"dtype": "float8"}})
    with pytest.raises(XLTError, match="XLTE251"):
        nlp.add_pipe(FACTORY, config={"model": {"kind": "encoder"}})


def test_missing_model_is_a_clear_error(tmp_path):
    nlp = _nlp(tmp_path / "nothing-here")
    with pytest.raises(XLTError, match="XLTE320"):
        nlp.initialize(lambda: _examples(nlp))


@pytest.mark.parametrize("kind", ["mt5", "causal_lm"])
def test_initialize_predict_constrained(kind, tiny_mt5, tiny_causal_lm):
    path = tiny_mt5 if kind == "mt5" else tiny_causal_lm
    nlp = _nlp(path)
    examples = _examples(nlp)
    nlp.initialize(lambda: examples)
    pipe = nlp.get_pipe(FACTORY)
    assert pipe.labels == ("LOC", "PER")
    vocab = pipe.backend.tokenizer.get_vocab()
    assert all(tag in vocab for tag in ("<Location>", "</Location>", "<Person>", "</Person>"))
    docs = list(nlp.pipe([eg.text for eg in examples] + [""], batch_size=2))
    assert len(docs[-1]) == 0 and list(docs[-1].ents) == []
    for doc in docs:
        check_spans(doc_spans(doc), len(doc))
        assert {e.label_ for e in doc.ents} <= {"LOC", "PER"}
    # pipe == __call__
    single = [nlp(eg.text) for eg in examples]
    assert [doc_spans(d) for d in single] == [doc_spans(d) for d in docs[:-1]]
    scores = nlp.evaluate(examples)
    assert "ents_f" in scores


def test_unconstrained_counts_dropped(tiny_mt5):
    nlp = _nlp(tiny_mt5, constrained=False, num_beams=1, max_new_tokens=20)
    nlp.initialize(lambda: _examples(nlp))
    pipe = nlp.get_pipe(FACTORY)
    docs = list(nlp.pipe(["Amina flew to Lagos .", "the river"]))
    for doc in docs:
        out = doc.user_data["xlt_text2text"]
        assert isinstance(out["text"], str) and isinstance(out["dropped"], list)
        check_spans(doc_spans(doc), len(doc))
    assert pipe.stats["sentences"] == 2


def test_spans_key_and_labels_from_config(tiny_mt5):
    nlp = _nlp(tiny_mt5, spans_key="sc", labels=["TARGET"], num_beams=1)
    nlp.initialize(lambda: [])
    pipe = nlp.get_pipe(FACTORY)
    assert pipe.labels == ("TARGET",)
    assert "<Target>" in pipe.backend.tokenizer.get_vocab()
    doc = nlp("the food was good")
    assert "sc" in doc.spans and list(doc.ents) == []
    check_spans(doc_spans(doc, "sc"), len(doc))


def test_score_weights_follow_the_spans_key(tiny_mt5):
    """With a span group the training loop weights spans_<key>_f, the score the tagger
    reports (spaCy drops weights of scores nobody reports); doc.ents weights stay hidden."""
    from spacy.training.loop import create_evaluation_callback

    nlp = _nlp(tiny_mt5, spans_key="sc", num_beams=1)
    examples = _examples(nlp, spans_key="sc")
    nlp.initialize(lambda: examples)
    weights = nlp.config["training"]["score_weights"]
    assert weights["spans_sc_f"] == 1.0 and weights.get("ents_f") is None
    # the weighted score spacy train selects model-best by is the span F1
    pipe = nlp.get_pipe(FACTORY)
    pipe.predict = lambda docs: [  # a perfect tagger: the gold spans of each doc
        TagResult(doc_spans(eg.reference, "sc")) for eg in examples for doc in docs if eg.text == doc.text
    ]
    score, scores = create_evaluation_callback(nlp, lambda nlp: examples, weights)()
    assert scores["spans_sc_f"] == 1.0 and score == pytest.approx(1.0)
    plain = _nlp(tiny_mt5, num_beams=1)
    plain.initialize(lambda: _examples(plain))
    assert plain.config["training"]["score_weights"]["ents_f"] == 1.0


def test_no_labels_is_an_error(tiny_mt5):
    nlp = _nlp(tiny_mt5)
    with pytest.raises(XLTError, match="XLTE248"):
        nlp.initialize(lambda: [Example(nlp.make_doc("a b"), nlp.make_doc("a b"))])


def test_update_lowers_the_loss_and_rejects_unknown_labels(tiny_mt5):
    nlp = _nlp(tiny_mt5, trainer={"learning_rate": 3e-3})
    examples = _examples(nlp)
    nlp.initialize(lambda: examples)
    pipe = nlp.get_pipe(FACTORY)
    first = nlp.update(examples)[FACTORY]
    for _ in range(15):
        last = nlp.update(examples)[FACTORY]
    assert last < first * 0.8
    bad = nlp.make_doc("Amina left")
    ref = bad.copy()
    set_doc_spans(ref, [TokenSpan(0, 1, "ORG")])
    with pytest.raises(XLTError, match="XLTE250"):
        pipe.update([Example(bad, ref)])


@pytest.mark.parametrize(
    "settings",
    [
        {"warmup_steps": 4, "decay_steps": 10},
        {"mixed_precision": "bf16", "gradient_checkpointing": True},
        {"optimizer": "adafactor"},
    ],
)
def test_training_settings(tiny_causal_lm, settings):
    """The trainer's schedule, bf16 autocast, gradient checkpointing and Adafactor train a
    decoder-only model (prompt masked out of the loss)."""
    import torch

    nlp = _nlp(tiny_causal_lm, trainer={"learning_rate": 3e-3, **settings})
    examples = _examples(nlp)
    nlp.initialize(lambda: examples)
    pipe = nlp.get_pipe(FACTORY)
    weights = pipe.backend.model.get_input_embeddings().weight
    start = weights.detach().clone()
    nlp.update(examples)
    assert not torch.equal(start, weights.detach())
    if "warmup_steps" in settings:
        assert pipe.trainer.optimizer.param_groups[0]["lr"] == pytest.approx(3e-3 / 4)
        lrs = [pipe.trainer.lr_at(step) for step in (2, 4, 9, 14, 30)]
        assert lrs == pytest.approx([1.5e-3, 3e-3, 1.5e-3, 0.0, 0.0])
    assert not pipe.backend.model.training  # back in eval mode for prediction
    doc = nlp("Amina flew to Lagos")
    check_spans(doc_spans(doc), len(doc))


def test_gradients_accumulate_until_finish_update(tiny_mt5):
    """spaCy's convention: update() accumulates, finish_update() steps (what [training]
    accumulate_gradient relies on); nlp.update does both."""
    import torch

    nlp = _nlp(tiny_mt5, trainer={"learning_rate": 3e-3})
    examples = _examples(nlp)
    nlp.initialize(lambda: examples)
    pipe = nlp.get_pipe(FACTORY)
    weights = pipe.backend.model.get_input_embeddings().weight
    start = weights.detach().clone()
    pipe.update(examples[:2])
    pipe.update(examples[2:], sgd=False)
    assert torch.equal(start, weights.detach()) and pipe.trainer.pending == 2
    pipe.finish_update(None)
    assert not torch.equal(start, weights.detach())
    assert pipe.trainer.n_steps == 1 and pipe.trainer.pending == 0
    pipe.finish_update(None)  # nothing accumulated: no step
    assert pipe.trainer.n_steps == 1


@pytest.mark.parametrize("kind", ["mt5", "causal_lm"])
def test_to_disk_spacy_load_offline_identical(kind, tiny_mt5, tiny_causal_lm, tmp_path):
    """A saved pipeline carries weights, tokenizer and tag tokens: the original model folder
    can be gone, and predictions are identical (after a few training steps)."""
    src = tiny_mt5 if kind == "mt5" else tiny_causal_lm
    copy = tmp_path / "model"
    shutil.copytree(src, copy)
    nlp = _nlp(copy, trainer={"learning_rate": 3e-3})
    examples = _examples(nlp)
    nlp.initialize(lambda: examples)
    for _ in range(3):
        nlp.update(examples)
    texts = [eg.text for eg in examples]
    before = [doc_spans(d) for d in nlp.pipe(texts)]
    nlp.to_disk(tmp_path / "pipeline")
    shutil.rmtree(copy)
    loaded = spacy.load(tmp_path / "pipeline")
    pipe = loaded.get_pipe(FACTORY)
    assert pipe.labels == ("LOC", "PER")
    assert "<Person>" in pipe.backend.tokenizer.get_added_vocab()
    assert [doc_spans(d) for d in loaded.pipe(texts)] == before
    # bytes round trip, into a pipe that was never initialized
    fresh = spacy.blank("xx")
    fresh.add_pipe(FACTORY, config={"model": {"name": "not-used"}, "num_beams": 2})
    fresh.get_pipe(FACTORY).from_bytes(pipe.to_bytes())
    assert [doc_spans(d) for d in fresh.pipe(texts)] == before


def test_to_disk_before_initialize(tmp_path):
    nlp = spacy.blank("en")
    nlp.add_pipe(FACTORY, config={"labels": ["PER"]})
    nlp.to_disk(tmp_path / "p")
    loaded = spacy.load(tmp_path / "p")
    assert loaded.get_pipe(FACTORY).labels == ("PER",)
    assert not loaded.get_pipe(FACTORY).backend.loaded
    with pytest.raises(XLTError, match="XLTE325"):
        loaded.get_pipe(FACTORY).from_disk(tmp_path / "missing")


def test_synthetic_task_builder(tmp_path):
    builder = _builder()
    assert builder.capitalised_spans(["the", "New", "York", "x", "Ann", "."]) == [
        TokenSpan(1, 3, "CAP"),
        TokenSpan(4, 5, "CAP"),
    ]
    docs = builder.make_docs(20, seed=0, langs=["en", "ru"])
    assert len(docs) == 20
    for doc in docs:
        assert doc_spans(doc) == builder.capitalised_spans([t.text for t in doc])
    builder.write_conll(docs, Path(tmp_path) / "x.conll")
    from spacy_xlt.corpora import read_tagged

    assert len(read_tagged(Path(tmp_path) / "x.conll")) == 20


def test_unknown_labels_ignored_in_training_and_scoring(tiny_mt5):
    nlp = _nlp(tiny_mt5, labels=["PER"], unknown_labels="ignore", num_beams=1)
    examples = _examples(nlp)  # has LOC spans too
    nlp.initialize(lambda: examples)
    pipe = nlp.get_pipe(FACTORY)
    assert pipe.labels == ("PER",) and pipe.is_trainable
    losses = nlp.update(examples)
    assert losses[FACTORY] > 0
    # a perfect PER tagging scores 1.0 although the gold also has LOC spans
    docs = [eg.predicted.copy() for eg in examples]
    for doc, eg in zip(docs, examples):
        set_doc_spans(doc, [s for s in doc_spans(eg.reference) if s.label == "PER"])
    scores = pipe.score([Example(d, eg.reference) for d, eg in zip(docs, examples)])
    assert scores["ents_f"] == 1.0


@pytest.mark.slow
@pytest.mark.parametrize("spans_key", [None, "sc"])
def test_spacy_train_example_config_learns_synthetic_task(tiny_mt5, tmp_path, spans_key):
    """`spacy train` with examples/text2text_tagger.cfg and a tiny random mT5 learns to tag
    runs of capitalised words (dev F1 >= 0.9 within 600 steps, about a minute on CPU);
    the trained pipeline reloads with identical predictions. With a span group, best-model
    selection follows its scores (were the weights left on ents_f, every evaluation would
    score 0 and model-best would be the untrained step-0 model)."""
    import json

    from spacy.cli.train import train

    builder = _builder()
    corpus = tmp_path / "corpus"
    builder.main([str(corpus), "--n-train", "2000", "--n-dev", "100", "--langs", "en,es"])
    overrides = {
        "paths.train": str(corpus / "train.conll"),
        "paths.dev": str(corpus / "dev.conll"),
        "components.xlt_tagger.model.name": str(tiny_mt5),
        "components.xlt_tagger.labels": ["CAP"],
        "components.xlt_tagger.unknown_labels": "error",
        "components.xlt_tagger.trainer.learning_rate": 0.005,
        "components.xlt_tagger.trainer.warmup_steps": 0,
        "components.xlt_tagger.spans_key": spans_key,
        "corpora.train.spans_key": spans_key,
        "corpora.dev.spans_key": spans_key,
        "training.batcher.size": 16,
        "training.max_epochs": 0,
        "training.max_steps": 600,
        "training.eval_frequency": 200,
    }
    train(REPO / "examples" / "text2text_tagger.cfg", tmp_path / "out", overrides=overrides)
    best = tmp_path / "out" / "model-best"
    meta = json.loads((best / "meta.json").read_text(encoding="utf8"))
    key = "ents_f" if spans_key is None else f"spans_{spans_key}_f"
    assert meta["performance"][key] >= 0.9, meta["performance"]
    nlp = spacy.load(best)
    assert nlp.config["training"]["score_weights"][key] == 1.0
    texts = [line for line in (corpus / "dev.conll").read_text(encoding="utf8").split("\n\n")][:20]
    words = [[row.split(" ")[0] for row in block.splitlines()] for block in texts]
    docs = [spacy.tokens.Doc(nlp.vocab, words=w) for w in words]
    before = [doc_spans(d, spans_key) for d in nlp.pipe(docs)]
    nlp.to_disk(tmp_path / "again")
    again = spacy.load(tmp_path / "again")
    docs = [spacy.tokens.Doc(again.vocab, words=w) for w in words]
    assert [doc_spans(d, spans_key) for d in again.pipe(docs)] == before


def test_generate_batches_follow_the_backend_batch_size(tiny_mt5):
    """nlp.pipe's batch_size is the window; the backend sorts it by length and generates
    model.batch_size sentences at a time, results in input order."""
    nlp = _nlp(tiny_mt5, num_beams=1, model={"name": str(tiny_mt5), "batch_size": 3})
    nlp.initialize(lambda: _examples(nlp))
    pipe = nlp.get_pipe(FACTORY)
    sizes = []
    generate = pipe.backend.model.generate

    def counting(**kwargs):
        sizes.append(int((kwargs["attention_mask"].sum(dim=1)).min()))
        sizes.append(kwargs["input_ids"].shape[0])
        return generate(**kwargs)

    pipe.backend.model.generate = counting
    texts = ["a b c d e", "a", "a b c", "a b", "a b c d", "a b c d e f g", "x y"]
    docs = list(nlp.pipe(texts, batch_size=100))
    assert [d.text for d in docs] == texts  # order kept
    assert sizes[1::2] == [3, 3, 1]  # rows per generate() call
    shortest = sizes[0::2]
    assert shortest == sorted(shortest, reverse=True)  # longest inputs first
    assert pipe.backend.counts["batches"] == 3


@pytest.mark.parametrize("kind", ["mt5", "causal_lm"])
def test_special_token_words_are_text_issue_11(kind, tiny_mt5, tiny_causal_lm):
    """A word that is a special token string of the tokenizer (</s>, <pad>, <unk>, <s>) is
    encoded as ordinary pieces: copying it never ends generation, so the tagging covers
    every word (the mT5 tokenizer reads "</s>" in text as the end id otherwise)."""
    nlp = _nlp(tiny_mt5 if kind == "mt5" else tiny_causal_lm, num_beams=2)
    nlp.initialize(lambda: _examples(nlp))
    pipe = nlp.get_pipe(FACTORY)
    tok = pipe.backend.tokenizer
    specials = set(tok.all_special_ids) - {tok.unk_token_id}  # unknown text stays unknown
    words = ["Amina", *tok.all_special_tokens, "</s>", "<s>", "<pad>", "went", "home"]
    for word in words:
        assert not specials & set(pipe.codec.word_ids(word)), word
    target = pipe.codec.target(words, [TokenSpan(0, 1, "PER")])
    assert [i for i in target if i in specials] == [pipe.backend.eos_id]  # only the final end
    doc = nlp(spacy.tokens.Doc(nlp.vocab, words=words))
    assert pipe.stats["truncated"] == 0
    check_spans(doc_spans(doc), len(doc))
    nlp.update([Example(doc.copy(), doc)])  # trains on such words too


def test_special_token_strings_in_generator_and_translator_inputs_issue_11(tiny_mt5, tiny_nllb):
    from spacy_xlt.backends.generator import Seq2SeqGenerator
    from spacy_xlt.backends.translator import Translator

    gen = Seq2SeqGenerator(str(tiny_mt5))
    gen.load()
    ids = gen.encode_input("a </s> b <pad> . <Person>[None]</Person>")
    assert [i for i in ids if i in gen.special_ids] == [gen.eos_id]
    translator = Translator(str(tiny_nllb))
    translator.load()
    (src,) = translator.encode_texts(["</s> <pad> a"], "en", target=False)
    lang = translator.tokenizer.convert_tokens_to_ids("eng_Latn")
    assert [i for i in src if i in translator.special_ids] == [lang, translator.eos_id]
    assert translator.counts["special_strings"] == 2


def test_added_tag_rows_are_the_same_in_every_build(tiny_causal_lm):
    """The new tag embeddings come from generators seeded by the tag text, not from torch's
    global generator: two builds of one config predict the same (they did not, run to run)."""
    import torch

    rows = []
    for seed in (1, 2):
        torch.manual_seed(seed)  # the global generator must not matter
        nlp = _nlp(tiny_causal_lm, num_beams=1)
        examples = _examples(nlp)
        nlp.initialize(lambda: examples)  # noqa: B023 (called here, in this iteration)
        backend = nlp.get_pipe(FACTORY).backend
        ids = [backend.tokenizer.convert_tokens_to_ids(t) for t in ("<Person>", "</Location>")]
        rows.append(backend.model.get_input_embeddings().weight[ids].detach().clone())
    assert torch.equal(rows[0], rows[1])
    assert not torch.equal(rows[0][0], rows[0][1])  # distinct tags, distinct rows
