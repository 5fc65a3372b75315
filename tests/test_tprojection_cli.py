"""``spacy xlt translate`` (resumable: see also tests/test_resume.py) and ``spacy xlt project --method tprojection``."""

import json

import pytest
import spacy
from spacy.tokens import Doc, DocBin
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, read_docs, set_doc_spans, source_words
from spacy_xlt.resume import ResumeFile, resume_path
from spacy_xlt.testing import detokenize, generate_parallel
from spacy_xlt.translation import translate_docs

pytestmark = pytest.mark.usefixtures("one_torch_thread")


runner = CliRunner()


def _write_sources(path, n=5):
    nlp = spacy.blank("en")
    db = DocBin(store_user_data=True)
    for ex in generate_parallel(n, "en", "es", seed=2):
        doc = nlp(detokenize(ex.src_words))
        db.add(doc)
    db.add(Doc(nlp.vocab, words=[]))  # an empty doc stays an empty pair
    db.to_disk(path)
    return path


class Crashing:
    """Wraps a translator and fails on call ``fail_at`` (fault injection for resume tests)."""

    def __init__(self, inner, fail_at):
        self.inner, self.fail_at, self.calls = inner, fail_at, 0

    def translate(self, texts, src, tgt):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("simulated crash")
        return self.inner.translate(texts, src, tgt)


@pytest.fixture(scope="module")
def translator(tiny_nllb):
    from spacy_xlt.backends.translator import Translator

    translator = Translator(str(tiny_nllb), num_beams=1, max_new_tokens=6)
    translator.load()
    return translator


def test_translate_resumes_after_a_crash(tmp_path, translator, tiny_nllb):
    src = _write_sources(tmp_path / "src.spacy")
    kwargs = dict(model=str(tiny_nllb), src="en", tgt="es", chunk_size=2, progress=False)
    full = translate_docs(src, tmp_path / "full.spacy", translator=translator, **kwargs)
    assert full["docs"] == 6 and full["resumed"] == 0 and full["empty"] == 1
    assert not resume_path(tmp_path / "full.spacy").exists()

    out = tmp_path / "out.spacy"
    with pytest.raises(RuntimeError, match="simulated crash"):
        translate_docs(src, out, translator=Crashing(translator, 2), **kwargs)
    assert not out.exists()
    side = resume_path(out)
    # a crash while writing leaves half a line: it is dropped, the batch redone
    with side.open("a", encoding="utf8") as f:
        f.write('{"start": 2, "transl')
    again = translate_docs(src, out, translator=translator, **kwargs)
    assert (
        again["resumed"] == 2 and again["translated"] == 4 and again["dropped_partial_lines"] == 1
    )
    a = [(d.text, source_words(d)) for d in read_docs(tmp_path / "full.spacy")]
    b = [(d.text, source_words(d)) for d in read_docs(out)]
    assert a == b
    assert b[-1] == ("", [])


def test_resume_file_from_another_job_is_an_error(tmp_path, translator, tiny_nllb):
    src = _write_sources(tmp_path / "src.spacy")
    out = tmp_path / "out.spacy"
    kwargs = dict(model=str(tiny_nllb), src="en", tgt="es", translator=translator, progress=False)
    side = resume_path(out)
    # the sidecar of an older spacy_xlt: a clear message, and --restart
    side.write_text(json.dumps({"job": {"model": "other"}}) + "\n", encoding="utf8")
    with pytest.raises(XLTError, match="XLTE393"):
        translate_docs(src, out, **kwargs)
    other = ResumeFile(out, "translate", {"model": "other"})
    other.load(restart=True)
    other.append(1, {"translations": ["x"], "counts": {}})
    with pytest.raises(XLTError, match="XLTE290.*another job.*--restart"):
        translate_docs(src, out, **kwargs)
    side.write_text(
        side.read_text(encoding="utf8") + 'not json\n{"start": 1, "n": 1, "translations": ["y"]}\n',
        encoding="utf8",
    )
    with pytest.raises(XLTError, match="XLTE291.*:3:"):
        ResumeFile(out, "translate", {"model": "other"}).load()
    assert translate_docs(src, out, restart=True, **kwargs)["discarded"]
    assert not side.exists()


def test_translate_cli(tmp_path, tiny_nllb):
    src = _write_sources(tmp_path / "src.spacy", n=2)
    result = runner.invoke(
        xlt_cli,
        [
            "translate",
            str(src),
            str(tmp_path / "out.spacy"),
            "--model",
            str(tiny_nllb),
            "--src",
            "en",
            "--tgt",
            "spa",
            "--num-beams",
            "1",
            "--max-new-tokens",
            "4",
        ],
    )
    assert result.exit_code == 0, result.output
    docs = list(read_docs(tmp_path / "out.spacy"))
    assert len(docs) == 3 and all(d.user_data["xlt_source"]["lang"] == "en" for d in docs)
    bad = runner.invoke(
        xlt_cli,
        [
            "translate",
            str(src),
            str(tmp_path / "x.spacy"),
            "--model",
            str(tiny_nllb),
            "--tgt",
            "bbj",
        ],
    )
    assert bad.exit_code == 1 and "XLTE281" in bad.output


def _write_pairs(path):
    nlp = spacy.blank("es")
    db = DocBin(store_user_data=True)
    for ex in generate_parallel(4, "en", "es", seed=4):
        s = Doc(nlp.vocab, words=ex.src_words)
        set_doc_spans(s, [TokenSpan(*x) for x in ex.src_spans])
        t = Doc(nlp.vocab, words=ex.tgt_words)
        db.add(make_pair(s, t, source_lang="en"))
    db.to_disk(path)
    return path


def test_project_cli_tprojection(tmp_path, tiny_mt5, tiny_nllb):
    pairs = _write_pairs(tmp_path / "pairs.spacy")
    out = tmp_path / "projected.spacy"
    args = [
        "project", str(pairs), str(out), "--method", "tprojection",
        "--set", f"translator.name={tiny_nllb}", "--set", "num_beams=2",
        "--set", "generator.max_new_tokens=8", "--lang", "es",
    ]  # fmt: skip
    missing = runner.invoke(xlt_cli, args)
    assert missing.exit_code == 1 and "XLTE296" in missing.output
    result = runner.invoke(xlt_cli, args + ["--set", f"generator.name={tiny_mt5}"])
    assert result.exit_code == 0, result.output
    assert "source spans" in result.output
    docs = list(read_docs(out))
    assert len(docs) == 4 and all("xlt_projection" in d.user_data for d in docs)
    # --generator is the same as --method tprojection --set generator.name=G
    short_args = args[:2] + [str(tmp_path / "short.spacy")] + args[5:]
    short = runner.invoke(xlt_cli, short_args + ["--generator", str(tiny_mt5)])
    assert short.exit_code == 0, short.output
    assert [d.to_json()["ents"] for d in read_docs(tmp_path / "short.spacy")] == [
        d.to_json()["ents"] for d in docs
    ]
    clash = runner.invoke(xlt_cli, [*args[:4], "statistical", "--generator", str(tiny_mt5)])
    assert clash.exit_code == 1 and "XLTE099" in clash.output


def _saved_pipeline(path, tiny_mt5, tiny_nllb):
    nlp = spacy.blank("es")
    nlp.add_pipe(
        "xlt_tprojection",
        config={
            "generator": {"@misc": "spacy_xlt.Seq2SeqGenerator.v1", "name": str(tiny_mt5), "max_new_tokens": 8},
            "translator": {"@misc": "spacy_xlt.Translator.v1", "name": str(tiny_nllb)},
            "num_beams": 2,
        },
    )
    nlp.initialize(lambda: [])
    nlp.to_disk(path)
    return path


def test_project_cli_with_a_saved_pipeline(tmp_path, tiny_mt5, tiny_nllb):
    saved = _saved_pipeline(tmp_path / "pipeline", tiny_mt5, tiny_nllb)
    # saved as trained on a GPU: --device cpu must still load it here
    cfg = saved / "config.cfg"
    cfg.write_text(cfg.read_text(encoding="utf8").replace('device = "cpu"', 'device = "cuda:0"'), encoding="utf8")
    assert cfg.read_text(encoding="utf8").count('device = "cuda:0"') == 2
    pairs = _write_pairs(tmp_path / "pairs.spacy")
    out = tmp_path / "projected.spacy"
    args = [
        "project", str(pairs), str(out), "--pipeline", str(saved), "--device", "cpu",
        "--set", "num_beams=2", "--set", "save_candidates=true", "--lang", "es",
    ]  # fmt: skip
    result = runner.invoke(xlt_cli, args)
    assert result.exit_code == 0, result.output
    docs = list(read_docs(out))
    assert len(docs) == 4 and all("candidates" in d.user_data["xlt_projection"] for d in docs)
    # --generator takes a saved pipeline too
    again = runner.invoke(xlt_cli, [*args[:3], "--generator", str(saved), *args[5:]])
    assert again.exit_code == 0, again.output
    both = runner.invoke(xlt_cli, [*args, "--method", "statistical"])
    assert both.exit_code == 1 and "XLTE099" in both.output


def test_project_cli_another_translator_for_a_saved_pipeline(tmp_path, tiny_mt5, tiny_nllb, tiny_m2m100):
    """--set translator.name=X loads X in place of the stored translator."""
    saved = _saved_pipeline(tmp_path / "pipeline", tiny_mt5, tiny_nllb)
    from spacy_xlt.projectors import load_projector_pipeline

    _, pipe = load_projector_pipeline(str(saved), {"translator.name": str(tiny_m2m100)})
    assert pipe.translator.style == "m2m100" and pipe.method.scorer.scorer is pipe.translator
    _, kept = load_projector_pipeline(str(saved))
    assert kept.translator.style == "nllb"
