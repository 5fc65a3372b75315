"""``xlt_tprojection`` component on tiny offline models: config, training, projection, saving."""

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from spacy.training import Example

from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, set_doc_spans, source_spans
from spacy_xlt.pipes.util import PROJECTION_KEY
from spacy_xlt.testing import generate_parallel

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _config(tiny_mt5, tiny_nllb, **extra):
    return {
        "generator": {
            "@misc": "spacy_xlt.Seq2SeqGenerator.v1",
            "name": str(tiny_mt5),
            "max_new_tokens": 12,
        },
        "translator": {"@misc": "spacy_xlt.Translator.v1", "name": str(tiny_nllb)},
        "trainer": {"@misc": "spacy_xlt.Trainer.v1", "optimizer": "adamw", "learning_rate": 0.001},
        "num_beams": 3,
        "target_lang": "es",
        **extra,
    }


def _pairs(nlp, n=6, seed=3):
    out = []
    for ex in generate_parallel(n, "en", "es", seed=seed):
        src = Doc(nlp.vocab, words=ex.src_words)
        set_doc_spans(src, [TokenSpan(*s) for s in ex.src_spans])
        tgt = Doc(nlp.vocab, words=ex.tgt_words)
        out.append(make_pair(src, tgt, source_lang="en"))
    return out


def _source_examples(nlp, n=8, seed=1):
    out = []
    for ex in generate_parallel(n, "en", "es", seed=seed):
        doc = Doc(nlp.vocab, words=ex.src_words)
        set_doc_spans(doc, [TokenSpan(*s) for s in ex.src_spans])
        out.append(Example(Doc(nlp.vocab, words=ex.src_words), doc))
    return out


@pytest.fixture(scope="module")
def trained(tiny_mt5, tiny_nllb):
    nlp = spacy.blank("es")
    pipe = nlp.add_pipe("xlt_tprojection", config=_config(tiny_mt5, tiny_nllb))
    examples = _source_examples(nlp)
    nlp.initialize(lambda: examples)
    losses = [pipe.update(examples, sgd=True)[pipe.name] for _ in range(4)]
    return nlp, pipe, losses


def test_default_config_builds_without_loading():
    nlp = spacy.blank("es")
    pipe = nlp.add_pipe("xlt_tprojection")
    assert pipe.generator.name == "google/mt5-large"
    assert not pipe.generator.loaded and not pipe.translator.loaded
    assert pipe.method.num_beams == 16


def test_use_before_initialize_is_an_error(tiny_mt5, tiny_nllb):
    nlp = spacy.blank("es")
    nlp.add_pipe("xlt_tprojection", config=_config(tiny_mt5, tiny_nllb))
    with pytest.raises(XLTError, match="XLTE321"):
        nlp(_pairs(nlp, 1)[0])


def test_training_pairs_are_the_original_formats(trained):
    nlp, pipe, _ = trained
    doc = Doc(nlp.vocab, words="Amina saw Kado and Tunde .".split())
    set_doc_spans(doc, [TokenSpan(0, 1, "PER"), TokenSpan(2, 3, "LOC"), TokenSpan(4, 5, "PER")])
    assert pipe.training_pair(doc) == (
        "Amina saw Kado and Tunde . <Person>[None]</Person><Location>[None]</Location><Person>[None]</Person>",
        "<Person>Amina</Person><Location>Kado</Location><Person>Tunde</Person>",
    )
    empty = Doc(nlp.vocab, words=["Nothing", "."])
    assert pipe.training_pair(empty) == ("Nothing . ", "")


def test_initialize_and_update(trained):
    _, pipe, losses = trained
    assert set(pipe.labels) <= {"PER", "LOC", "ORG", "DATE"} and "PER" in pipe.labels
    assert losses[-1] < losses[0]
    assert pipe.trainer.n_steps == 4


def test_projection_writes_valid_spans_and_records(trained):
    nlp, pipe, _ = trained
    pairs = _pairs(nlp)
    out = list(nlp.pipe(pairs, batch_size=4))
    assert len(out) == len(pairs)
    for doc in out:
        record = doc.user_data[PROJECTION_KEY]
        assert record["method"] == pipe.name
        lost = len(record["unaligned"]) + len(record["conflicts"])
        assert lost + len(doc.ents) == len(source_spans(doc))
        for ent in doc.ents:
            assert 0 <= ent.start < ent.end <= len(doc)
    stats = pipe.stats
    assert stats["pairs"] == len(pairs)
    assert stats["source_spans"] == stats["projected"] + stats["unaligned"] + stats["conflict"]
    assert stats["unaligned"] == pipe.method.counts["no_candidate"]
    # every entity on every target is a run of its own tokens: the generator never invents text
    assert all(ent.text == " ".join(t.text for t in ent) for doc in out for ent in doc.ents)


def test_pipe_equals_call(trained):
    nlp, _, _ = trained
    a = [nlp(doc) for doc in _pairs(nlp, 3, seed=5)]
    b = list(nlp.pipe(_pairs(nlp, 3, seed=5)))
    assert [[(e.start, e.end, e.label_) for e in d.ents] for d in a] == [
        [(e.start, e.end, e.label_) for e in d.ents] for d in b
    ]


def test_save_load_same_predictions_offline(trained, tmp_path, tiny_mt5, tiny_nllb):
    """The pipeline stores both models: it loads and projects with the configured model
    folders gone (their names no longer resolve)."""
    nlp, pipe, _ = trained
    nlp.to_disk(tmp_path / "pipeline")
    for folder in ("generator", "translator"):
        assert (tmp_path / "pipeline" / pipe.name / folder / "model.safetensors").exists()
    overrides = {f"components.{pipe.name}.{b}.name": str(tmp_path / "gone") for b in ("generator", "translator")}
    loaded = spacy.load(tmp_path / "pipeline", config=overrides)
    before = [
        [(e.start, e.end, e.label_) for e in d.ents] for d in nlp.pipe(_pairs(nlp, 4, seed=9))
    ]
    after = [
        [(e.start, e.end, e.label_) for e in d.ents] for d in loaded.pipe(_pairs(loaded, 4, seed=9))
    ]
    assert before == after
    assert loaded.get_pipe(pipe.name).labels == pipe.labels
    # to_bytes / from_bytes of the component alone
    fresh = spacy.blank("es").add_pipe("xlt_tprojection", config=_config(tiny_mt5, tiny_nllb))
    fresh.from_bytes(pipe.to_bytes())
    assert fresh.generator.loaded and fresh.translator.loaded and fresh.labels == pipe.labels
    # a second save over the first rewrites the generator but reuses the frozen translator
    weights = tmp_path / "pipeline" / pipe.name / "translator" / "model.safetensors"
    stamp = weights.stat().st_mtime_ns
    nlp.to_disk(tmp_path / "pipeline")
    assert weights.stat().st_mtime_ns == stamp


def test_save_candidates_and_span_group(trained, tmp_path, tiny_mt5, tiny_nllb):
    nlp, pipe, _ = trained
    nlp.to_disk(tmp_path / "p")
    other = spacy.load(
        tmp_path / "p",
        config={"components": {pipe.name: {"save_candidates": True, "spans_key": "proj"}}},
    )
    [doc] = list(other.pipe(_pairs(other, 1, seed=11)))
    record = doc.user_data[PROJECTION_KEY]
    assert "candidates" in record and "scores" in record and "links" in record
    assert "proj" in doc.spans and not doc.ents


def test_target_language_needed_and_pair_needed(tiny_mt5, tiny_nllb, trained):
    nlp, pipe, _ = trained
    with pytest.raises(XLTError, match="XLTE042"):
        nlp(Doc(nlp.vocab, words=["a"]))
    pipe_xx = spacy.blank("xx").add_pipe(
        "xlt_tprojection", config=_config(tiny_mt5, tiny_nllb, target_lang=None)
    )
    pipe_xx.replace_backend("generator", pipe.generator)
    pipe_xx.replace_backend("translator", pipe.translator)
    with pytest.raises(XLTError, match="XLTE295"):
        pipe_xx(_pairs(nlp, 1)[0])


def test_pair_corpus_keeps_the_source_side(tmp_path):
    from spacy.util import registry

    nlp = spacy.blank("es")
    db = DocBin(store_user_data=True)
    for doc in _pairs(nlp, 3):
        db.add(doc)
    db.to_disk(tmp_path / "dev.spacy")
    reader = registry.resolve(
        {"r": {"@readers": "spacy_xlt.PairCorpus.v1", "path": str(tmp_path / "dev.spacy")}}
    )["r"]
    examples = list(reader(nlp))
    assert len(examples) == 3
    assert all(eg.predicted._.xlt_source is not None and not eg.predicted.ents for eg in examples)


def test_bad_settings_are_rejected(tiny_mt5, tiny_nllb):
    for key, value, code in (("num_beams", 0, "XLTE283"), ("batch_size", 0, "XLTE326")):
        with pytest.raises(XLTError, match=code):
            spacy.blank("es").add_pipe(
                "xlt_tprojection", config=_config(tiny_mt5, tiny_nllb, **{key: value})
            )
    bad = _config(tiny_mt5, tiny_nllb)
    bad["trainer"]["optimizer"] = "sgd"
    with pytest.raises(XLTError, match="XLTE323"):
        spacy.blank("es").add_pipe("xlt_tprojection", config=bad)
    with pytest.raises(XLTError, match="XLTE320"):
        from spacy_xlt.backends.generator import Seq2SeqGenerator

        Seq2SeqGenerator("/nonexistent/generator").load()


def test_config_string_equals_add_pipe_config(tiny_mt5, tiny_nllb):
    from spacy.util import registry

    nlp = spacy.blank("es")
    nlp.add_pipe("xlt_tprojection", config=_config(tiny_mt5, tiny_nllb))
    reloaded = spacy.util.load_model_from_config(nlp.config.copy(), auto_fill=True)
    assert (
        reloaded.config["components"]["xlt_tprojection"]
        == nlp.config["components"]["xlt_tprojection"]
    )
    made = registry.resolve({"g": {"@misc": "spacy_xlt.Seq2SeqGenerator.v1", "name": str(tiny_mt5)}})["g"]
    assert not made.loaded and made.max_length == 256
    trainer = nlp.config["components"]["xlt_tprojection"]["trainer"]
    assert spacy.blank("es").add_pipe("xlt_tprojection").trainer.optimizer_name == "adafactor"
    assert trainer["optimizer"] == "adamw"  # the test's own


def test_empty_target_and_no_spans(trained):
    nlp, pipe, _ = trained
    src = set_doc_spans(Doc(nlp.vocab, words=["Amina", "left"]), [TokenSpan(0, 1, "PER")])
    empty = nlp(make_pair(src, Doc(nlp.vocab, words=[]), source_lang="en"))
    assert len(empty) == 0 and not empty.ents
    assert empty.user_data[PROJECTION_KEY]["unaligned"] == [[0, 1, "PER"]]
    plain = Doc(nlp.vocab, words=["Nadie", "salió"])
    none = nlp(make_pair(Doc(nlp.vocab, words=["Nobody", "left"]), plain, source_lang="en"))
    assert not none.ents and none.user_data[PROJECTION_KEY]["unaligned"] == []
