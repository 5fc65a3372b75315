"""Projectors from config (spacy_xlt.projectors) and the ``spacy xlt project`` / ``align`` /
``project-config`` commands that drive them: --method blocks, --config files, --set
overrides, given Pharaoh alignments as a registered aligner, and the errors of each."""

from __future__ import annotations

import pytest
import spacy
from spacy.tokens import Doc
from thinc.api import Config
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.errors import XLTError
from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, read_docs, set_doc_spans, write_pairs
from spacy_xlt.projection.given import PharaohAlignments
from spacy_xlt.projectors import (
    apply_overrides,
    build_projector,
    device_overrides,
    method_config,
    project_file,
    read_projector_config,
)
from spacy_xlt.ty import Aligner

runner = CliRunner()

PAIRS = [
    ("Obama visited Paris .", "Obama visitó París .", [(0, 1, "PER"), (2, 3, "LOC")]),
    ("Merkel met Macron in Berlin", "Merkel se reunió con Macron en Berlín", [(0, 1, "PER"), (2, 3, "PER"), (4, 5, "LOC")]),
    ("The river was long", "El río era largo", []),
]
#: hand alignments of PAIRS, one Pharaoh line each
LINKS = ["0-0 1-1 2-2 3-3", "0-0 1-1 1-2 1-3 2-4 3-5 4-6", "0-0 1-1 2-2 3-3"]


def _pairs(vocab=None):
    nlp = spacy.blank("es") if vocab is None else None
    vocab = vocab or nlp.vocab
    out = []
    for src, tgt, spans in PAIRS:
        s = set_doc_spans(Doc(vocab, words=src.split()), [TokenSpan(*x) for x in spans])
        out.append(make_pair(s, Doc(vocab, words=tgt.split()), source_lang="en"))
    return out


@pytest.fixture()
def files(tmp_path):
    pairs = tmp_path / "pairs.spacy"
    write_pairs(_pairs(), pairs)
    links = tmp_path / "links.talp"
    links.write_text("\n".join(LINKS) + "\n", encoding="utf8")
    return pairs, links


def _ents(path):
    return [[(e.start, e.end, e.label_) for e in d.ents] for d in read_docs(path)]


EXPECTED = [[(0, 1, "PER"), (2, 3, "LOC")], [(0, 1, "PER"), (4, 5, "PER"), (6, 7, "LOC")], []]


def test_method_blocks_and_overrides():
    config = method_config("simalign")
    assert config["projector"]["factory"] == "xlt_alignment_projector"
    assert config["projector"]["aligner"]["encoder"]["name"] == "bert-base-multilingual-cased"
    changed = apply_overrides(config, {"max_gap": 3, "aligner.encoder.layer": 6, "projector.policy": "hull"})
    assert changed["projector"]["max_gap"] == 3 and changed["projector"]["policy"] == "hull"
    assert changed["projector"]["aligner"]["encoder"]["layer"] == 6
    assert config["projector"]["aligner"]["encoder"]["layer"] == 8  # the input is not changed
    with pytest.raises(XLTError, match="XLTE331"):
        apply_overrides(config, {"aligner.method.x": 1})
    with pytest.raises(XLTError, match="XLTE221"):
        method_config("magic")
    assert method_config("tprojection")["projector"]["factory"] == "xlt_tprojection"


def test_device_overrides_find_every_model_block():
    from spacy_xlt.projectors import _with_defaults

    block = _with_defaults(method_config("tprojection")["projector"])
    assert device_overrides(block, "cuda:1") == {"generator.device": "cuda:1", "translator.device": "cuda:1"}
    assert device_overrides(method_config("statistical")["projector"], "cuda:1") == {}


def test_pharaoh_alignments_aligner(files):
    _, links = files
    aligner = PharaohAlignments(links)
    assert isinstance(aligner, Aligner)
    words = [(s.split(), t.split()) for s, t, _ in PAIRS]
    assert aligner.align(words[:2])[1][-1] == (4, 6)
    assert aligner.align(words[2:])[0] == [(0, 0), (1, 1), (2, 2), (3, 3)]
    aligner.finish()
    with pytest.raises(XLTError, match="XLTE142"):  # no line left for a fourth pair
        aligner.align(words[:1])
    short = PharaohAlignments(links)
    short.align(words[:2])
    with pytest.raises(XLTError, match="XLTE335"):  # a line nobody used
        short.finish()
    with pytest.raises(XLTError, match=r"XLTE141.*links.talp:1"):  # a link beyond the words
        PharaohAlignments(links).align([(["a"], ["b"])])


def test_build_and_project_given_alignments(files, tmp_path):
    pairs, links = files
    nlp, pipe = build_projector(apply_overrides(method_config("alignments"), {"aligner.path": str(links)}))
    counts = project_file(pairs, tmp_path / "out.spacy", pipe, progress=False)
    assert counts["pairs"] == 3 and counts["source_spans"] == 5 and counts["projected"] == 5
    assert _ents(tmp_path / "out.spacy") == EXPECTED
    with pytest.raises(XLTError, match="XLTE222"):
        build_projector(method_config("alignments"))


def test_cli_method_set_and_config_agree(files, tmp_path):
    pairs, links = files
    args = ["project", str(pairs)]
    by_method = runner.invoke(xlt_cli, [*args, str(tmp_path / "a.spacy"), "--method", "alignments", "--set", f"aligner.path={links}"])
    assert by_method.exit_code == 0, by_method.output
    short = runner.invoke(xlt_cli, [*args, str(tmp_path / "b.spacy"), "--alignments", str(links)])
    assert short.exit_code == 0, short.output
    cfg = tmp_path / "projector.cfg"
    cfg.write_text(
        "[paths]\nlinks = null\n\n[projector]\nfactory = \"xlt_alignment_projector\"\npolicy = \"hull\"\n\n"
        "[projector.aligner]\n@misc = \"spacy_xlt.PharaohAlignments.v1\"\npath = ${paths.links}\n",
        encoding="utf8",
    )
    by_config = runner.invoke(xlt_cli, [*args, str(tmp_path / "c.spacy"), "--config", str(cfg), "--set", f"paths.links={links}"])
    assert by_config.exit_code == 0, by_config.output
    assert _ents(tmp_path / "a.spacy") == _ents(tmp_path / "b.spacy") == _ents(tmp_path / "c.spacy") == EXPECTED
    assert "source spans" in by_config.output and "5" in by_config.output


def test_cli_settings_change_the_projection(files, tmp_path):
    """--set reaches the span step: with policy hull, 'Merkel' aligned to 'Merkel' and
    'reunió' projects to the whole extent 'Merkel se reunió'."""
    pairs, _ = files
    gappy = tmp_path / "gappy.talp"
    gappy.write_text("\n".join([LINKS[0], "0-0 0-2 2-4 4-6", LINKS[2]]) + "\n", encoding="utf8")
    result = runner.invoke(
        xlt_cli,
        ["project", str(pairs), str(tmp_path / "hull.spacy"), "--alignments", str(gappy),
         "--set", "policy=hull", "--set", "max_gap=0"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert _ents(tmp_path / "hull.spacy")[1] == [(0, 3, "PER"), (4, 5, "PER"), (6, 7, "LOC")]


@pytest.mark.parametrize(
    "extra,code",
    [
        (["--set", "aligner.seed"], "XLTE082"),
        (["--set", "no_such_setting=1"], "XLTE332"),
        (["--set", "policy=widest"], "XLTE143"),
        (["--method", "alignments"], "XLTE222"),
        (["--method", "tprojection"], "XLTE296"),
        (["--pipeline", "/no/such/pipeline"], "XLTE333"),
        (["--metrics", "m.json"], "XLTE099"),
    ],
)
def test_cli_errors_are_coded(files, tmp_path, extra, code):
    pairs, _ = files
    result = runner.invoke(xlt_cli, ["project", str(pairs), str(tmp_path / "o.spacy"), *extra])
    assert result.exit_code == 1, result.output
    assert code in result.output
    assert "Traceback" not in result.output


def test_config_file_errors(tmp_path):
    bad = tmp_path / "bad.cfg"
    bad.write_text("[projector]\nfactory = \"ner\"\n", encoding="utf8")
    with pytest.raises(XLTError, match="XLTE330"):
        read_projector_config(bad)
    bad.write_text("[nlp]\nlang = \"es\"\n", encoding="utf8")
    with pytest.raises(XLTError, match="XLTE330"):
        read_projector_config(bad)
    bad.write_text("[projector\nfactory", encoding="utf8")
    with pytest.raises(XLTError, match="XLTE330"):
        read_projector_config(bad)
    with pytest.raises(XLTError, match="XLTE021"):
        read_projector_config(tmp_path / "missing.cfg")


def test_pipeline_config_is_a_projector_config(tmp_path, files):
    """A pipeline config with one projector component serves as --config."""
    pairs, _ = files
    nlp = spacy.blank("es")
    nlp.add_pipe("xlt_alignment_projector", config={"max_gap": 1})
    nlp.config.to_disk(tmp_path / "config.cfg")
    config = read_projector_config(tmp_path / "config.cfg")
    assert config["projector"]["factory"] == "xlt_alignment_projector" and config["projector"]["max_gap"] == 1
    result = runner.invoke(xlt_cli, ["project", str(pairs), str(tmp_path / "o.spacy"), "--config", str(tmp_path / "config.cfg")])
    assert result.exit_code == 0, result.output


def test_project_config_command_prints_a_usable_config(tmp_path, files):
    pairs, links = files
    cfg = tmp_path / "alignments.cfg"
    result = runner.invoke(xlt_cli, ["project-config", "alignments", "--set", f"aligner.path={links}", "--output", str(cfg)])
    assert result.exit_code == 0, result.output
    parsed = Config().from_disk(cfg)
    assert parsed["projector"]["max_gap"] == 2 and parsed["projector"]["aligner"]["path"] == str(links)
    assert parsed["projector"]["scorer"]["@scorers"] == "spacy_xlt.span_scorer.v1"
    again = runner.invoke(xlt_cli, ["project", str(pairs), str(tmp_path / "o.spacy"), "--config", str(cfg)])
    assert again.exit_code == 0, again.output
    assert _ents(tmp_path / "o.spacy") == EXPECTED
    printed = runner.invoke(xlt_cli, ["project-config", "simalign"])
    assert printed.exit_code == 0 and "[projector.aligner.encoder]" in printed.output


def test_align_cli_with_config_and_set(files, tmp_path):
    pairs, _ = files
    out = tmp_path / "a.talp"
    result = runner.invoke(xlt_cli, ["align", str(pairs), str(out), "--set", "aligner.symmetrization=intersection", "--set", "aligner.seed=2"])
    assert result.exit_code == 0, result.output
    lines = out.read_text(encoding="utf8").splitlines()
    assert len(lines) == 3
    bad = runner.invoke(xlt_cli, ["align", str(pairs), str(out), "--method", "tprojection"])
    assert bad.exit_code == 1 and "XLTE334" in bad.output


def test_align_and_project_config_outputs_are_checked(files, tmp_path):
    pairs, _ = files
    for args in (["align", str(pairs), str(pairs)], ["align", str(pairs), str(tmp_path)]):
        before = pairs.read_bytes()
        result = runner.invoke(xlt_cli, args)
        assert result.exit_code == 1 and "XLTE34" in result.output and "Traceback" not in result.output
        assert pairs.read_bytes() == before
    result = runner.invoke(xlt_cli, ["project-config", "statistical", "--output", str(tmp_path)])
    assert result.exit_code == 1 and "XLTE342" in result.output


def test_long_input_counts_are_printed(capsys):
    """A non-zero long-input count of the projector (here the encoder's windows) reaches
    the table; zero counts stay out of it."""
    from spacy_xlt.cli.project import print_counts

    print_counts({"pairs": 2, "seconds": 0.1, "windowed_sentences": 3, "truncated_inputs": 0})
    out = capsys.readouterr().out
    assert "windowed sentences" in out and "3" in out and "truncated inputs" not in out
