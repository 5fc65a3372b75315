"""``xlt_translate_test``: translate, tag with a source pipeline, project back; the standard
component tests (STYLE.md), saving (the translator, the source pipeline, the projector),
``spacy xlt translate-test`` with resume, and ``spacy package`` + offline load (slow)."""

from __future__ import annotations

import shutil

import pytest
import spacy
from spacy.tokens import Doc
from spacy.util import registry

from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import SOURCE_KEY, read_docs, set_doc_spans, write_docs
from spacy_xlt.pipes.translate_test import TRANSLATE_TEST_KEY
from spacy_xlt.pipes.util import PROJECTION_KEY
from spacy_xlt.testing import generate_parallel

pytestmark = pytest.mark.usefixtures("one_torch_thread")


class CopyTranslator:
    """'Translates' by copying: the source pipeline then tags the target's own words, so the
    projection can be checked exactly. Counts its calls."""

    def __init__(self):
        self.calls = []

    def translate(self, texts, src, tgt):
        self.calls.append(len(texts))
        return list(texts)

    def score(self, sources, targets, src, tgt):
        return [1.0] * len(sources)


@registry.misc("spacy_xlt_test.CopyTranslator.v1")
def make_copy_translator() -> CopyTranslator:
    return CopyTranslator()


class IdentityAligner:
    """Aligns word i to word i where they are the same (a copied sentence)."""

    def align(self, pairs):
        return [[(i, i) for i, (a, b) in enumerate(zip(src, tgt)) if a == b] for src, tgt in pairs]


@registry.misc("spacy_xlt_test.IdentityAligner.v1")
def make_identity_aligner() -> IdentityAligner:
    return IdentityAligner()


@pytest.fixture(scope="module")
def source_pipeline(tmp_path_factory):
    """A blank English pipeline with an entity ruler (OntoNotes labels), saved to a folder."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([
        {"label": "PERSON", "pattern": [{"TEXT": {"IN": ["Amina", "Kado", "Tunde"]}}]},
        {"label": "GPE", "pattern": [{"TEXT": {"IN": ["Lagos", "Accra"]}}]},
        {"label": "DATE", "pattern": [{"IS_DIGIT": True}]},
    ])  # fmt: skip
    path = tmp_path_factory.mktemp("source") / "en_ruler"
    nlp.to_disk(path)
    return path


TEXTS = ["Amina met Kado in Lagos in 2020 .", "Tunde left Accra .", "Nothing here ."]


def _copy_config(source_pipeline, **extra):
    return {
        "translator": {"@misc": "spacy_xlt_test.CopyTranslator.v1"},
        "pipeline": str(source_pipeline),
        "projector": {"factory": "xlt_alignment_projector", "aligner": {"@misc": "spacy_xlt_test.IdentityAligner.v1"}},
        "target_lang": "yo",
        **extra,
    }


def _tiny_config(source_pipeline, tiny_nllb, **extra):
    return {
        "translator": {"@misc": "spacy_xlt.Translator.v1", "name": str(tiny_nllb), "max_new_tokens": 16, "num_beams": 1},
        "pipeline": str(source_pipeline),
        "projector": {"factory": "xlt_marker_projector", "translator": {"name": str(tiny_nllb), "max_new_tokens": 16},
                      "num_beams": 2, "n_best": 2},  # fmt: skip
        "target_lang": "yo",
        "unmapped": "keep",
        **extra,
    }


def _ents(docs, key=None):
    return [[(s.start, s.end, s.label_) for s in (d.ents if key is None else d.spans.get(key, []))] for d in docs]


@pytest.fixture(scope="module")
def copying(source_pipeline):
    nlp = spacy.blank("yo")
    pipe = nlp.add_pipe("xlt_translate_test", config=_copy_config(source_pipeline))
    nlp.initialize()
    return nlp, pipe


@pytest.fixture(scope="module")
def tiny(source_pipeline, tiny_nllb):
    nlp = spacy.blank("yo")
    pipe = nlp.add_pipe("xlt_translate_test", config=_tiny_config(source_pipeline, tiny_nllb))
    nlp.initialize()
    return nlp, pipe


def test_default_config_builds_without_loading():
    nlp = spacy.blank("yo")
    pipe = nlp.add_pipe("xlt_translate_test")
    assert pipe.translator.name == "facebook/nllb-200-3.3B" and not pipe.translator.loaded
    assert pipe.pipeline == "en_core_web_lg" and pipe.source_nlp is None
    assert pipe.projector.method.method == "codec" and pipe.target_lang == "yo"
    assert pipe.label_map["PERSON"] == "PER" and pipe.label_map["GPE"] == "LOC"


def test_use_before_initialize_is_an_error(source_pipeline, tiny_nllb):
    nlp = spacy.blank("yo")
    pipe = nlp.add_pipe("xlt_translate_test", config=_tiny_config(source_pipeline, tiny_nllb))
    with pytest.raises(XLTError, match="XLTE321"):
        nlp("Amina ti lọ .")
    pipe.translator.load()
    with pytest.raises(XLTError, match="XLTE487"):
        nlp("Amina ti lọ .")


def test_translates_tags_maps_and_projects(copying):
    nlp, pipe = copying
    docs = list(nlp.pipe(TEXTS))
    # the copied sentence is tagged by the ruler; the label map keeps PER and LOC, drops DATE
    assert _ents(docs) == [[(0, 1, "PER"), (2, 3, "PER"), (4, 5, "LOC")], [(0, 1, "PER"), (2, 3, "LOC")], []]
    assert all(not (set(d.user_data) & {SOURCE_KEY, PROJECTION_KEY, TRANSLATE_TEST_KEY}) for d in docs)
    assert pipe.stats["source_predictions"] == 6 and pipe.stats["dropped_labels"] == 1
    assert pipe.cfg["source"]["labels"] == ["DATE", "GPE", "PERSON"]


def test_pipe_batches_the_translation_and_equals_call(copying):
    nlp, pipe = copying
    pipe.translator.calls.clear()
    batched = list(nlp.pipe(TEXTS * 2, batch_size=6))
    assert pipe.translator.calls == [6]  # one translate call for the batch
    single = [nlp(t) for t in TEXTS * 2]
    assert _ents(batched) == _ents(single)


def test_empty_doc(copying):
    nlp, _ = copying
    assert not nlp("").ents and len(nlp("")) == 0


def test_keep_unmapped_labels_and_save_translation(source_pipeline):
    from spacy_xlt.visualize import render_pairs

    nlp = spacy.blank("yo")
    nlp.add_pipe("xlt_translate_test", config=_copy_config(source_pipeline, unmapped="keep", save_translation=True,
                                                           label_map={"PERSON": "PER"}))  # fmt: skip
    nlp.initialize()
    [doc] = list(nlp.pipe(TEXTS[:1]))
    assert _ents([doc]) == [[(0, 1, "PER"), (2, 3, "PER"), (4, 5, "GPE"), (6, 7, "DATE")]]
    record = doc.user_data[TRANSLATE_TEST_KEY]
    assert record["translation"] == TEXTS[0] and record["source_lang"] == "en"
    assert record["predictions"][0] == [0, 1, "PERSON"] and record["dropped"] == []
    assert doc._.xlt_source.text == TEXTS[0] and PROJECTION_KEY in doc.user_data
    page = render_pairs([doc])
    assert "translate-test: translated into en" in page and ">translation" in page
    dropping = spacy.blank("yo")
    dropping.add_pipe("xlt_translate_test", config=_copy_config(source_pipeline, save_translation=True))
    dropping.initialize()
    [doc] = list(dropping.pipe(TEXTS[:1]))
    assert doc.user_data[TRANSLATE_TEST_KEY]["dropped"] == [[6, 7, "DATE"]]
    assert "dropped by the label map" in render_pairs([doc])


def test_a_pair_keeps_its_own_source(copying):
    nlp, _ = copying
    doc = nlp.make_doc(TEXTS[1])
    doc.user_data[SOURCE_KEY] = {"mine": True}
    out = nlp(doc)
    assert out.user_data[SOURCE_KEY] == {"mine": True} and PROJECTION_KEY not in out.user_data


def test_span_group_source_and_target(tmp_path, source_pipeline):
    src = spacy.blank("en")
    ruler = src.add_pipe("span_ruler", config={"spans_key": "sc"})
    ruler.add_patterns([{"label": "PERSON", "pattern": "Amina"}, {"label": "GPE", "pattern": "Lagos"}])
    src.to_disk(tmp_path / "spans")
    nlp = spacy.blank("yo")
    nlp.add_pipe("xlt_translate_test", config=_copy_config(tmp_path / "spans", source_spans_key="sc", spans_key="proj"))
    nlp.initialize()
    [doc] = list(nlp.pipe(TEXTS[:1]))
    assert _ents([doc], "proj") == [[(0, 1, "PER"), (4, 5, "LOC")]] and not doc.ents
    # a source pipeline that writes no span group: an error at initialize
    wrong = spacy.blank("yo")
    wrong.add_pipe("xlt_translate_test", config=_copy_config(source_pipeline, source_spans_key="sc"))
    with pytest.raises(XLTError, match="XLTE492"):
        wrong.initialize()


def test_save_load_same_predictions_offline(tiny, tmp_path, source_pipeline, tiny_nllb):
    nlp, pipe = tiny
    before = _ents(nlp.pipe(TEXTS))
    nlp.to_disk(tmp_path / "pipeline")
    folder = tmp_path / "pipeline" / pipe.name
    for part in ("cfg", "translator/model.safetensors", "source_pipeline/config.cfg",
                 "projector/translator/model.safetensors"):  # fmt: skip
        assert (folder / part).exists(), part
    gone = str(tmp_path / "gone")
    loaded = spacy.load(tmp_path / "pipeline", config={
        f"components.{pipe.name}.translator.name": gone, f"components.{pipe.name}.pipeline": gone,
        f"components.{pipe.name}.projector.translator.name": gone,
    })  # fmt: skip
    assert _ents(loaded.pipe(TEXTS)) == before
    assert loaded.get_pipe(pipe.name).cfg["pipeline"] == str(source_pipeline)
    # to_bytes / from_bytes of the component alone
    fresh = spacy.blank("yo").add_pipe("xlt_translate_test", config=_tiny_config(source_pipeline, tiny_nllb))
    fresh.from_bytes(pipe.to_bytes())
    assert fresh.translator.loaded and fresh.source_nlp is not None and fresh.projector.translator.loaded
    # before initialize: nothing to store, and loading that back leaves it unloaded
    blank = spacy.blank("yo")
    blank.add_pipe("xlt_translate_test", config=_tiny_config(source_pipeline, tiny_nllb))
    blank.to_disk(tmp_path / "blank")
    assert spacy.load(tmp_path / "blank").get_pipe("xlt_translate_test").source_nlp is None
    other = spacy.blank("yo").add_pipe("xlt_translate_test", config=_tiny_config(source_pipeline, tiny_nllb))
    other.from_bytes(blank.get_pipe("xlt_translate_test").to_bytes())
    assert other.source_nlp is None


def test_config_string_equals_add_pipe_config(source_pipeline, tiny_nllb):
    nlp = spacy.blank("yo")
    nlp.add_pipe("xlt_translate_test", config=_tiny_config(source_pipeline, tiny_nllb))
    reloaded = spacy.util.load_model_from_config(nlp.config.copy(), auto_fill=True)
    assert reloaded.config["components"]["xlt_translate_test"] == nlp.config["components"]["xlt_translate_test"]
    inner = reloaded.get_pipe("xlt_translate_test").projector
    assert inner.translator.name == str(tiny_nllb) and inner.method.num_beams == 2


@pytest.mark.parametrize(
    "extra,code",
    [
        ({"unmapped": "maybe"}, "XLTE326"),
        ({"batch_size": 0}, "XLTE326"),
        ({"label_map": {"PERSON": ""}}, "XLTE491"),
        ({"projector": {"factory": "xlt_translate_test"}}, "XLTE488"),
        ({"projector": {"factory": "xlt_alignment_projector", "num_beams": 3}}, "XLTE489"),
        ({"projector": {"factory": "xlt_marker_projector", "method": "magic"}}, "XLTE326"),
    ],
)
def test_bad_settings_are_rejected(source_pipeline, extra, code):
    with pytest.raises(XLTError, match=code):
        spacy.blank("yo").add_pipe("xlt_translate_test", config=_copy_config(source_pipeline, **extra))


def test_missing_source_pipeline(tmp_path):
    nlp = spacy.blank("yo")
    nlp.add_pipe("xlt_translate_test", config=_copy_config(tmp_path / "nowhere"))
    with pytest.raises(XLTError, match="XLTE486"):
        nlp.initialize()


def test_registry_and_factory():
    from spacy.language import Language

    assert "xlt_translate_test" in Language.factories
    with pytest.raises(XLTError, match="XLTE326"):
        spacy.blank("yo").add_pipe("xlt_translate_test", config={"translator": {"@misc": "spacy_xlt.StatisticalAligner.v1"}})


def _gold(path, n=5):
    nlp = spacy.blank("yo")
    docs = [set_doc_spans(Doc(nlp.vocab, words=ex.tgt_words), [TokenSpan(*s) for s in ex.tgt_spans])
            for ex in generate_parallel(n, "en", "es", seed=4)]  # fmt: skip
    write_docs(docs, path)
    return path


def test_cli_translate_test_resumes_and_scores(tmp_path, source_pipeline, tiny_nllb, monkeypatch):
    from typer.testing import CliRunner

    from spacy_xlt.cli._app import xlt_cli
    from spacy_xlt.pipes.translate_test import TranslateTest

    gold = _gold(tmp_path / "gold.spacy")
    args = ["translate-test", str(gold), None, "--pipeline", str(source_pipeline), "--model", str(tiny_nllb),
            "--tgt", "yo", "--marker-model", str(tiny_nllb), "--max-new-tokens", "12", "--num-beams", "1",
            "--chunk-size", "2", "--set", "projector.num_beams=2", "--set", "projector.n_best=2",
            "--keep-unmapped"]  # fmt: skip
    runner = CliRunner()
    whole = [str(tmp_path / "whole.spacy") if a is None else a for a in args]
    result = runner.invoke(xlt_cli, whole + ["--metrics", str(tmp_path / "m.json"), "--save-translation"])
    assert result.exit_code == 0, result.output
    docs = list(read_docs(tmp_path / "whole.spacy"))
    assert len(docs) == 5 and all(TRANSLATE_TEST_KEY in d.user_data for d in docs)
    assert (tmp_path / "m.json").exists() and "source predictions" in result.output
    # an uninterrupted run without --save-translation, then one crashed in its second chunk
    plain = [str(tmp_path / "plain.spacy") if a is None else a for a in args]
    assert runner.invoke(xlt_cli, plain).exit_code == 0
    calls = {"n": 0}
    real = TranslateTest.predict_docs

    def crash_second(self, docs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        return real(self, docs)

    part = [str(tmp_path / "part.spacy") if a is None else a for a in args]
    monkeypatch.setattr(TranslateTest, "predict_docs", crash_second)
    crashed = runner.invoke(xlt_cli, part)
    monkeypatch.undo()
    assert isinstance(crashed.exception, RuntimeError) and (tmp_path / "part.spacy.partial.jsonl").exists()
    again = runner.invoke(xlt_cli, part)
    assert again.exit_code == 0, again.output
    assert "Resumed after 2 finished docs" in again.output
    assert (tmp_path / "part.spacy").read_bytes() == (tmp_path / "plain.spacy").read_bytes()
    # another setting is another job
    other = runner.invoke(xlt_cli, part[:-1] + ["--set", "projector.n_best=1"])
    assert other.exit_code == 0  # the finished output is no resume file: a new run


def test_cli_saved_pipeline(tmp_path, tiny):
    from typer.testing import CliRunner

    from spacy_xlt.cli._app import xlt_cli

    nlp, _ = tiny
    nlp.to_disk(tmp_path / "tt")
    gold = _gold(tmp_path / "gold.spacy", 3)
    result = CliRunner().invoke(xlt_cli, ["translate-test", str(gold), str(tmp_path / "out.spacy"), "--saved", str(tmp_path / "tt"), "--tgt", "yo"])
    assert result.exit_code == 0, result.output
    expected = _ents(nlp.pipe([Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in read_docs(gold)]))
    assert _ents(read_docs(tmp_path / "out.spacy")) == expected


@pytest.mark.slow
def test_package_installs_and_loads_offline(tmp_path, source_pipeline, tiny_nllb):
    """spacy package + a fresh venv + every model folder and the source pipeline deleted:
    the installed package predicts what the original pipeline did."""
    from test_package import _package_and_install, _predict_installed

    trans, src = tmp_path / "nllb", tmp_path / "en_ruler"
    shutil.copytree(tiny_nllb, trans)
    shutil.copytree(source_pipeline, src)
    nlp = spacy.blank("yo")
    nlp.add_pipe("xlt_translate_test", config=_tiny_config(src, trans))
    nlp.initialize()
    data = [{"words": t.split()} for t in TEXTS]
    before = _ents(nlp.pipe([Doc(nlp.vocab, words=d["words"]) for d in data]))
    nlp.to_disk(tmp_path / "pipeline")
    python = _package_and_install(tmp_path / "pipeline", "xlt_test_tt", tmp_path)
    for path in (trans, src, tmp_path / "pipeline"):
        shutil.rmtree(path)
    assert _predict_installed(python, "yo_xlt_test_tt", data, tmp_path) == [[list(e) for e in doc] for doc in before]
