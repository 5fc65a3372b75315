"""``xlt_marker_projector`` (EasyProject, CODEC) on a tiny offline NLLB: the standard component
tests (STYLE.md), projection records and counts, translate-and-project, and
``spacy xlt project --method codec``."""

import pytest
import spacy
from spacy.tokens import Doc

from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, read_docs, set_doc_spans, source_spans, write_pairs
from spacy_xlt.pipes.util import PROJECTION_KEY, PROJECTION_STATS
from spacy_xlt.testing import generate_parallel

pytestmark = pytest.mark.usefixtures("one_torch_thread")


def _config(tiny_nllb, **extra):
    return {
        "translator": {"@misc": "spacy_xlt.Translator.v1", "name": str(tiny_nllb), "max_new_tokens": 24, "num_beams": 1},
        "num_beams": 2,
        "n_best": 2,
        "target_lang": "es",
        **extra,
    }


def _pairs(nlp, n=4, seed=3):
    out = []
    for ex in generate_parallel(n, "en", "es", seed=seed):
        src = set_doc_spans(Doc(nlp.vocab, words=ex.src_words), [TokenSpan(*s) for s in ex.src_spans])
        out.append(make_pair(src, Doc(nlp.vocab, words=ex.tgt_words), source_lang="en"))
    return out


def _spans(docs, key=None):
    return [[(s.start, s.end, s.label_) for s in (d.ents if key is None else d.spans.get(key, []))] for d in docs]


@pytest.fixture(scope="module")
def codec(tiny_nllb):
    nlp = spacy.blank("es")
    pipe = nlp.add_pipe("xlt_marker_projector", config=_config(tiny_nllb))
    nlp.initialize()
    return nlp, pipe


def test_default_config_builds_without_loading():
    nlp = spacy.blank("es")
    pipe = nlp.add_pipe("xlt_marker_projector")
    assert pipe.translator.name == "ychenNLP/nllb-200-3.3B-easyproject" and not pipe.translator.loaded
    assert pipe.method.method == "codec" and pipe.method.search == "auto" and pipe.target_lang == "es"


def test_use_before_initialize_is_an_error(tiny_nllb):
    nlp = spacy.blank("es")
    nlp.add_pipe("xlt_marker_projector", config=_config(tiny_nllb))
    with pytest.raises(XLTError, match="XLTE321"):
        nlp(_pairs(nlp, 1)[0])


def test_codec_projects_valid_spans_with_records_and_counts(codec):
    nlp, pipe = codec
    pipe.stats.clear()
    docs = list(nlp.pipe(_pairs(nlp, 5), batch_size=2))
    for doc in docs:
        record = doc.user_data[PROJECTION_KEY]
        assert record["method"] == pipe.name
        assert len(doc.ents) + len(record["unaligned"]) + len(record["conflicts"]) == len(source_spans(doc))
        assert all(ent.text == " ".join(t.text for t in ent) for ent in doc.ents)  # runs of its own tokens
    stats = pipe.stats
    assert set(PROJECTION_STATS) <= set(stats) and stats["pairs"] == 5
    assert stats["source_spans"] == stats["projected"] + stats["unaligned"] + stats["conflict"]
    assert stats["inserted"] == stats["projected"] and stats["broken_markers"] == 0


def test_pipe_equals_call(codec):
    nlp, _ = codec
    a = [nlp(doc) for doc in _pairs(nlp, 3, seed=5)]
    b = list(nlp.pipe(_pairs(nlp, 3, seed=5)))
    assert _spans(a) == _spans(b)


def test_empty_target_and_no_spans(codec):
    nlp, _ = codec
    src = set_doc_spans(Doc(nlp.vocab, words=["Amina", "left"]), [TokenSpan(0, 1, "PER")])
    empty = nlp(make_pair(src, Doc(nlp.vocab, words=[]), source_lang="en"))
    assert not empty.ents and empty.user_data[PROJECTION_KEY]["unaligned"] == [[0, 1, "PER"]]
    none = nlp(make_pair(Doc(nlp.vocab, words=["Nobody", "left"]), Doc(nlp.vocab, words=["Nadie", "salió"]), source_lang="en"))
    assert not none.ents and none.user_data[PROJECTION_KEY]["unaligned"] == []
    with pytest.raises(XLTError, match="XLTE042"):
        nlp(Doc(nlp.vocab, words=["not", "a", "pair"]))


def test_save_load_same_predictions_offline(codec, tmp_path, tiny_nllb):
    nlp, pipe = codec
    nlp.to_disk(tmp_path / "pipeline")
    assert (tmp_path / "pipeline" / pipe.name / "translator" / "model.safetensors").exists()
    loaded = spacy.load(tmp_path / "pipeline", config={f"components.{pipe.name}.translator.name": str(tmp_path / "gone")})
    assert _spans(nlp.pipe(_pairs(nlp, 4, seed=9))) == _spans(loaded.pipe(_pairs(loaded, 4, seed=9)))
    # to_bytes / from_bytes, before initialize (nothing loaded) and after
    fresh = spacy.blank("es").add_pipe("xlt_marker_projector", config=_config(tiny_nllb))
    blank_bytes = fresh.to_bytes()
    fresh.from_bytes(pipe.to_bytes())
    assert fresh.translator.loaded
    other = spacy.blank("es").add_pipe("xlt_marker_projector", config=_config(tiny_nllb))
    other.from_bytes(blank_bytes)
    assert not other.translator.loaded
    unloaded = spacy.blank("es")
    unloaded.add_pipe("xlt_marker_projector", config=_config(tiny_nllb))
    unloaded.to_disk(tmp_path / "unloaded")
    assert not (tmp_path / "unloaded" / "xlt_marker_projector" / "translator").exists()
    spacy.load(tmp_path / "unloaded")


def test_config_string_equals_add_pipe_config(tiny_nllb):
    nlp = spacy.blank("es")
    nlp.add_pipe("xlt_marker_projector", config=_config(tiny_nllb, method="easyproject"))
    reloaded = spacy.util.load_model_from_config(nlp.config.copy(), auto_fill=True)
    assert reloaded.config["components"]["xlt_marker_projector"] == nlp.config["components"]["xlt_marker_projector"]
    assert reloaded.get_pipe("xlt_marker_projector").method.method == "easyproject"


@pytest.mark.parametrize(
    "key,value",
    [("method", "magic"), ("search", "greedy"), ("rerank", "forward"), ("fuzzy", "worst"), ("n_best", 0),
     ("num_beams", 0), ("threshold", 1.5), ("batch_size", 0), ("delta_window", -1), ("max_candidates", 0)],
)  # fmt: skip
def test_bad_settings_are_rejected(tiny_nllb, key, value):
    with pytest.raises(XLTError, match="XLTE326"):
        spacy.blank("es").add_pipe("xlt_marker_projector", config=_config(tiny_nllb, **{key: value}))


def test_bad_markers_are_rejected(tiny_nllb):
    with pytest.raises(XLTError, match="XLTE484"):
        spacy.blank("es").add_pipe("xlt_marker_projector", config=_config(tiny_nllb, open_marker="[", close_marker="["))


def test_registry_names_resolve():
    from spacy.language import Language

    from spacy_xlt.projectors import METHODS, build_projector, method_config

    assert "xlt_marker_projector" in Language.factories
    assert {"easyproject", "codec"} <= set(METHODS)
    assert method_config("easyproject")["projector"] == {"factory": "xlt_marker_projector", "method": "easyproject"}
    assert callable(build_projector)


def test_target_language_needed(tiny_nllb, codec):
    _, pipe = codec
    xx = spacy.blank("xx")
    other = xx.add_pipe("xlt_marker_projector", config=_config(tiny_nllb, target_lang=None))
    other.translator = pipe.translator
    other.method.translator = pipe.translator
    with pytest.raises(XLTError, match="XLTE295"):
        other(_pairs(xx, 1)[0])


class Copier:
    """A translator that copies its input (markers included) with some words changed."""

    def __init__(self, change):
        self.change = change

    def translate(self, texts, src, tgt):
        return [" ".join(self.change.get(w, w) for w in t.split()) for t in texts]

    def score(self, sources, targets, src, tgt):
        return [0.5] * len(sources)


def test_easyproject_on_pairs_and_translate_and_project():
    from spacy_xlt.pipes.marker_projector import MarkerProjector

    nlp = spacy.blank("es")
    pipe = MarkerProjector(nlp.vocab, Copier({"Lagos": "Lagós"}), method="easyproject", target_lang="es",
                           tokenizer=nlp.tokenizer, save_candidates=True)  # fmt: skip
    src = set_doc_spans(Doc(nlp.vocab, words="Amina flew to Lagos .".split()), [TokenSpan(0, 1, "PER"), TokenSpan(3, 4, "LOC")])
    pair = make_pair(src, Doc(nlp.vocab, words="Amina voló a Lagós .".split()), source_lang="en")
    [doc] = list(pipe.pipe([pair]))
    assert _spans([doc]) == [[(0, 1, "PER"), (3, 4, "LOC")]]
    record = doc.user_data[PROJECTION_KEY]
    assert record["marked_source"] == "[ Amina ] flew to [ Lagos ] ." and "broken" not in record
    assert pipe.stats["exact"] == 2
    # the published form: new pairs whose target is the marked translation without markers
    [new] = list(pipe.translate_and_project([src]))
    assert new.text == "Amina flew to Lagós ." and _spans([new]) == [[(0, 1, "PER"), (3, 4, "LOC")]]
    assert new._.xlt_source.text == src.text and len(new._.xlt_source.ents) == 2
    # a translation whose markers break: nothing projected, counted, the reason recorded
    broken = MarkerProjector(nlp.vocab, Copier({"]": "}"}), method="easyproject", target_lang="es", tokenizer=nlp.tokenizer)
    [doc] = list(broken.pipe([make_pair(src, Doc(nlp.vocab, words="Amina voló a Lagós .".split()), source_lang="en")]))
    assert not doc.ents and doc.user_data[PROJECTION_KEY]["broken"] == "nested"
    assert broken.stats["broken_markers"] == 1 and broken.stats["unaligned"] == 2
    from spacy_xlt.visualize import render_pairs

    assert 'markers <b class="bad">broken</b> (nested)' in render_pairs([doc])


def test_codec_translate_and_project(codec):
    nlp, pipe = codec
    sources = [set_doc_spans(Doc(nlp.vocab, words=ex.src_words), [TokenSpan(*s) for s in ex.src_spans])
               for ex in generate_parallel(2, "en", "es", seed=1)]  # fmt: skip
    out = list(pipe.translate_and_project(sources))
    assert len(out) == 2 and all(d._.xlt_source is not None for d in out)
    for doc in out:
        record = doc.user_data[PROJECTION_KEY]
        assert len(doc.ents) + len(record["unaligned"]) + len(record["conflicts"]) == len(source_spans(doc))


def test_spans_key(tiny_nllb, codec):
    nlp, pipe = codec
    other = spacy.blank("es")
    keyed = other.add_pipe("xlt_marker_projector", config=_config(tiny_nllb, spans_key="proj", save_candidates=True))
    keyed.from_bytes(pipe.to_bytes())
    [doc] = list(other.pipe(_pairs(other, 1, seed=11)))
    assert not doc.ents and "proj" in doc.spans
    assert "candidates" in doc.user_data[PROJECTION_KEY] and "links" in doc.user_data[PROJECTION_KEY]


def test_spacy_xlt_project_with_codec_resumes(tmp_path, tiny_nllb, monkeypatch):
    """`spacy xlt project --method codec` on pairs: the projector block, its config and a
    resumed run whose output equals an uninterrupted run's."""
    from typer.testing import CliRunner

    from spacy_xlt.cli._app import xlt_cli

    nlp = spacy.blank("es")
    write_pairs(_pairs(nlp, 5, seed=2), tmp_path / "pairs.spacy")
    args = ["project", str(tmp_path / "pairs.spacy"), None, "--method", "codec", "--lang", "es",
            "--set", f"translator.name={tiny_nllb}", "--set", "translator.max_new_tokens=16",
            "--set", "num_beams=2", "--set", "n_best=2", "--set", "batch_size=2"]  # fmt: skip
    runner = CliRunner()
    whole = args.copy()
    whole[2] = str(tmp_path / "whole.spacy")
    result = runner.invoke(xlt_cli, whole)
    assert result.exit_code == 0, result.output
    docs = list(read_docs(tmp_path / "whole.spacy"))
    assert len(docs) == 5 and all(PROJECTION_KEY in d.user_data for d in docs)
    # crashed in the second batch (a resume file holding the first), then resumed
    from spacy_xlt.projection.markers import MarkerProjection

    calls = {"n": 0}
    real = MarkerProjection.project

    def crash_second(self, items):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("killed")
        return real(self, items)

    part = args.copy()
    part[2] = str(tmp_path / "part.spacy")
    monkeypatch.setattr(MarkerProjection, "project", crash_second)
    result = runner.invoke(xlt_cli, part)
    monkeypatch.undo()
    assert isinstance(result.exception, RuntimeError) and (tmp_path / "part.spacy.partial.jsonl").exists()
    result = runner.invoke(xlt_cli, part)
    assert result.exit_code == 0, result.output
    assert "Resumed after 2 finished pairs" in result.output
    assert (tmp_path / "part.spacy").read_bytes() == (tmp_path / "whole.spacy").read_bytes()
