"""The standard component tests for ``xlt_alignment_projector`` and its CLI drivers."""

import json

import pytest
import spacy
from spacy.tokens import Doc, Span
from spacy.training import Example
from thinc.api import Config
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.errors import XLTError
from spacy_xlt.evaluation import evaluate_files
from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import doc_spans, make_pair, read_docs, write_pairs
from spacy_xlt.pipes.alignment_projector import AlignmentProjector
from spacy_xlt.pipes.util import PROJECTION_KEY
from spacy_xlt.projection.embedding import EmbeddingAligner
from spacy_xlt.sample import load_sample_pairs
from spacy_xlt.testing.encoders import OneHotEncoder


def _pair(nlp_src, nlp_tgt, src_words, spans, tgt_words):
    src = Doc(nlp_src.vocab, words=src_words)
    src.ents = [Span(src, s, e, label=lab) for s, e, lab in spans]
    return make_pair(src, Doc(nlp_tgt.vocab, words=tgt_words))


@pytest.fixture
def pairs():
    en, es = spacy.blank("en"), spacy.blank("es")
    return [
        _pair(en, es, ["Obama", "visited", "Paris", "."], [(0, 1, "PER"), (2, 3, "LOC")], ["Obama", "visitó", "Paris", "."]),
        _pair(en, es, ["New", "York", "is", "big"], [(0, 2, "LOC")], ["New", "York", "es", "grande"]),
        _pair(en, es, ["nothing", "here"], [], ["nada", "aquí"]),
    ]


def _onehot_projector(nlp, **kwargs):
    return AlignmentProjector(nlp.vocab, EmbeddingAligner(OneHotEncoder(), "itermax"), **kwargs)


def test_default_config_resolves():
    nlp = spacy.blank("es")
    pipe = nlp.add_pipe("xlt_alignment_projector")
    assert pipe.aligner.__class__.__name__ == "StatisticalAligner"
    cfg = nlp.config["components"]["xlt_alignment_projector"]
    assert cfg["aligner"]["@misc"] == "spacy_xlt.StatisticalAligner.v1"
    # the config written by add_pipe parses back to the same pipeline config
    nlp2 = spacy.util.load_model_from_config(Config().from_str(nlp.config.to_str()), auto_fill=True)
    assert nlp2.config["components"] == nlp.config["components"]


def test_projects_identical_words(pairs):
    nlp = spacy.blank("es")
    proj = _onehot_projector(nlp)
    out = list(proj.pipe(pairs))
    assert doc_spans(out[0]) == [TokenSpan(0, 1, "PER"), TokenSpan(2, 3, "LOC")]
    assert doc_spans(out[1]) == [TokenSpan(0, 2, "LOC")]
    assert doc_spans(out[2]) == []
    assert proj.stats["source_spans"] == 3 and proj.stats["projected"] == 3
    assert out[0].user_data[PROJECTION_KEY]["unaligned"] == []


def test_call_equals_pipe(pairs):
    nlp = spacy.blank("es")
    proj = _onehot_projector(nlp)
    one_by_one = [doc_spans(proj(doc.copy())) for doc in pairs]
    # Doc.copy keeps user_data, so the copies are pairs too
    batched = [doc_spans(doc) for doc in proj.pipe([d.copy() for d in pairs])]
    assert one_by_one == batched


def test_unaligned_span_counted():
    en, es = spacy.blank("en"), spacy.blank("es")
    doc = _pair(en, es, ["Obama", "came"], [(0, 1, "PER")], ["llegó", "ayer"])
    proj = _onehot_projector(spacy.blank("es"), save_alignments=True)
    (out,) = proj.project([doc], [[(1, 0)]])
    assert doc_spans(out) == []
    assert out.user_data[PROJECTION_KEY]["unaligned"] == [[0, 1, "PER"]]
    assert out.user_data[PROJECTION_KEY]["alignment"] == [[1, 0]]
    assert proj.stats["unaligned"] == 1


def test_empty_target_doc():
    en, es = spacy.blank("en"), spacy.blank("es")
    src = Doc(en.vocab, words=["Hi"])
    doc = make_pair(src, Doc(es.vocab, words=[]))
    (out,) = _onehot_projector(spacy.blank("es")).pipe([doc])
    assert len(out) == 0 and doc_spans(out) == []


def test_not_a_pair_is_an_error():
    nlp = spacy.blank("es")
    with pytest.raises(XLTError, match="XLTE042"):
        _onehot_projector(nlp)(nlp("no source here"))


def test_bad_settings_rejected():
    nlp = spacy.blank("es")
    with pytest.raises(XLTError, match="XLTE143"):
        nlp.add_pipe("xlt_alignment_projector", config={"policy": "bogus"})
    with pytest.raises(XLTError, match="XLTE220"):
        AlignmentProjector(nlp.vocab, object())


def test_external_alignments(pairs):
    proj = _onehot_projector(spacy.blank("es"))
    out = proj.project(pairs[:2], [[(0, 1), (2, 2)], [(0, 0)]])
    assert doc_spans(out[0]) == [TokenSpan(1, 2, "PER"), TokenSpan(2, 3, "LOC")]
    assert doc_spans(out[1]) == [TokenSpan(0, 1, "LOC")]
    with pytest.raises(XLTError, match="XLTE146"):
        proj.project(pairs, [[]])


def test_spans_key(pairs):
    proj = _onehot_projector(spacy.blank("es"), spans_key="sc")
    # pairs store source spans from ents; the projector writes to the span group
    out = list(proj.pipe(pairs))
    assert out[0].ents == () and doc_spans(out[0], "sc") == [TokenSpan(0, 1, "PER"), TokenSpan(2, 3, "LOC")]


def test_score(pairs):
    nlp = spacy.blank("es")
    proj = _onehot_projector(nlp)
    gold = [d.copy() for d in pairs]
    for g in gold:
        g.ents = [Span(g, s, e, label=lab) for s, e, lab in
                  ([(0, 1, "PER"), (2, 3, "LOC")] if len(g) == 4 and g[0].text == "Obama" else [])]
    predicted = list(proj.pipe([d.copy() for d in pairs]))
    scores = proj.score([Example(p, g) for p, g in zip(predicted, gold)])
    assert scores["ents_p"] == pytest.approx(2 / 3)
    assert scores["ents_r"] == pytest.approx(1.0)


def test_serialization_round_trip(tmp_path, tiny_bert, pairs):
    """The encoder loads in initialize and is saved in the pipeline: the saved pipeline
    aligns the same with the encoder's folder gone."""
    import shutil

    copy = tmp_path / "bert"
    shutil.copytree(tiny_bert, copy)
    nlp = spacy.blank("es")
    nlp.add_pipe(
        "xlt_alignment_projector",
        config={
            "aligner": {
                "@misc": "spacy_xlt.SimAlignAligner.v1",
                "method": "itermax",
                "encoder": {"@misc": "spacy_xlt.HFEncoder.v1", "name": str(copy), "layer": 1},
            }
        },
    )
    proj = nlp.get_pipe("xlt_alignment_projector")
    with pytest.raises(XLTError, match="XLTE321"):
        list(proj.pipe([d.copy() for d in pairs]))
    nlp.initialize()
    before = [doc_spans(d) for d in proj.pipe([d.copy() for d in pairs])]
    nlp.to_disk(tmp_path / "pipeline")
    assert (tmp_path / "pipeline" / "xlt_alignment_projector" / "encoder" / "model.safetensors").exists()
    shutil.rmtree(copy)
    nlp2 = spacy.load(tmp_path / "pipeline")
    proj2 = nlp2.get_pipe("xlt_alignment_projector")
    after = [doc_spans(d) for d in proj2.pipe([d.copy() for d in pairs])]
    assert before == after
    config = {k: v for k, v in nlp.config["components"]["xlt_alignment_projector"].items() if k != "factory"}
    fresh = spacy.blank("es").add_pipe("xlt_alignment_projector", config=config)
    fresh.from_bytes(proj2.to_bytes())
    assert [doc_spans(d) for d in fresh.pipe([d.copy() for d in pairs])] == before
    # a statistical projector stores nothing but its cfg
    stat = spacy.blank("es")
    stat.add_pipe("xlt_alignment_projector")
    stat.to_disk(tmp_path / "stat")
    assert sorted(p.name for p in (tmp_path / "stat" / "xlt_alignment_projector").iterdir()) == ["cfg"]
    assert spacy.load(tmp_path / "stat").get_pipe("xlt_alignment_projector").backends == {}


def test_cli_sample_project_evaluate(tmp_path):
    runner = CliRunner()
    result = runner.invoke(xlt_cli, ["sample", str(tmp_path), "--limit", "120"])
    assert result.exit_code == 0, result.output
    pairs, gold = load_sample_pairs()
    assert len(list(read_docs(tmp_path / "pairs.spacy"))) == 120
    out = tmp_path / "projected.spacy"
    metrics = tmp_path / "metrics" / "projection.json"
    result = runner.invoke(
        xlt_cli,
        ["project", str(tmp_path / "pairs.spacy"), str(out), "--gold", str(tmp_path / "gold.spacy"), "--metrics", str(metrics)],
    )
    assert result.exit_code == 0, result.output
    assert "projected" in result.output and "strict IOB2" in result.output
    # --metrics writes what `spacy xlt evaluate GOLD PRED --output` writes
    assert json.loads(metrics.read_text(encoding="utf8")) == evaluate_files(tmp_path / "gold.spacy", out)
    result = runner.invoke(xlt_cli, ["project", str(tmp_path / "pairs.spacy"), str(out), "--metrics", str(metrics)])
    assert result.exit_code == 1 and "XLTE099" in result.output
    projected = list(read_docs(out))
    assert len(projected) == 120
    for doc in projected:
        for span in doc_spans(doc):
            assert 0 <= span.start < span.end <= len(doc)


def test_cli_external_alignments(tmp_path, pairs):
    write_pairs(pairs[:2], tmp_path / "pairs.spacy")
    (tmp_path / "links.txt").write_text("0-1 2-2\n0-0\n", encoding="utf8")
    runner = CliRunner()
    out = tmp_path / "out.spacy"
    result = runner.invoke(
        xlt_cli,
        ["project", str(tmp_path / "pairs.spacy"), str(out), "--method", "alignments", "--alignments", str(tmp_path / "links.txt")],
    )
    assert result.exit_code == 0, result.output
    docs = list(read_docs(out))
    assert doc_spans(docs[0]) == [TokenSpan(1, 2, "PER"), TokenSpan(2, 3, "LOC")]
    result = runner.invoke(xlt_cli, ["project", str(tmp_path / "pairs.spacy"), str(out), "--method", "alignments"])
    assert result.exit_code == 1 and "XLTE222" in result.output


def test_cli_align_writes_pharaoh(tmp_path, pairs):
    write_pairs(pairs, tmp_path / "pairs.spacy")
    runner = CliRunner()
    result = runner.invoke(xlt_cli, ["align", str(tmp_path / "pairs.spacy"), str(tmp_path / "a.txt")])
    assert result.exit_code == 0, result.output
    lines = (tmp_path / "a.txt").read_text(encoding="utf8").split("\n")
    assert len(lines) >= 3
    for line, doc in zip(lines, pairs):
        for link in line.split():
            i, j = map(int, link.split("-"))
            assert 0 <= j < len(doc)


def test_projection_json_in_results(tmp_path):
    # the project CLI's --gold output and evaluate's JSON agree on what a projection is
    runner = CliRunner()
    runner.invoke(xlt_cli, ["sample", str(tmp_path), "--limit", "30"])
    runner.invoke(xlt_cli, ["project", str(tmp_path / "pairs.spacy"), str(tmp_path / "p.spacy")])
    result = runner.invoke(
        xlt_cli, ["evaluate", str(tmp_path / "gold.spacy"), str(tmp_path / "p.spacy"), "--output", str(tmp_path / "r.json")]
    )
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["n_docs"] == 30 and 0.0 <= data["strict"]["micro"]["f"] <= 1.0
