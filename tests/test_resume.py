"""The one resume mechanism (spacy_xlt.resume) and the commands that use it: the resume file's
header, records and errors, the output lock, and ``translate``, ``project`` and ``predict``
continuing after an interruption to the output of an uninterrupted run, byte for byte.
Also: a reader's coded error under ``python -m spacy train`` (spacy_xlt.usererrors)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import spacy
from cli_helpers import (
    alignments_file,
    count_rows,
    crash_on_call,
    flat,
    gold_file,
    invoke,
    pairs_file,
    sources_file,
    translate_args,
)
from spacy.tokens import Doc, DocBin

from spacy_xlt.errors import XLTError
from spacy_xlt.pairs import read_docs
from spacy_xlt.resume import (
    FORMAT,
    ResumeFile,
    lock_path,
    output_lock,
    read_resume_file,
    resume_path,
)

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def xlt(*args, timeout=300) -> subprocess.CompletedProcess:
    """``python -m spacy_xlt ARGS`` in a subprocess."""
    cmd = [sys.executable, "-m", "spacy_xlt", *[str(a) for a in args]]
    return subprocess.run(cmd, capture_output=True, text=True, env=ENV, timeout=timeout)


# ---------------------------------------------------------------------------------------
# the resume file

JOB = {"input_sha256": "ab12", "n_docs": 3, "tgt": "es"}


def _state(tmp_path, job=JOB, command="translate") -> ResumeFile:
    return ResumeFile(tmp_path / "out.spacy", command, job)


def test_header_is_written_with_the_first_record(tmp_path):
    state = _state(tmp_path)
    assert state.load() == [] and not state.path.exists()
    assert state.path == tmp_path / "out.spacy.partial.jsonl"
    back = state.append(2, {"translations": ["a", "b"]})
    assert back == {"start": 0, "n": 2, "translations": ["a", "b"]}
    lines = state.path.read_text(encoding="utf8").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"format": FORMAT, "version": 1, "command": "translate", "job": JOB},
        {"start": 0, "n": 2, "translations": ["a", "b"]},
    ]
    state.append(1, {"translations": ["\ud800 ¿c?"]})  # any string round-trips
    again = _state(tmp_path)
    records = again.load()
    assert [(r.line, r.start, r.n) for r in records] == [(2, 0, 2), (3, 2, 1)]
    assert records[1].data["translations"] == ["\ud800 ¿c?"] and again.done == again.resumed == 3
    again.finish()
    assert not state.path.exists()


def test_first_write_fails_whole(tmp_path, monkeypatch):
    """Header and first record go in one atomic write: if it fails, nothing is left, and a
    corrected run starts cleanly."""
    real = os.replace

    def full_disk(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(XLTError, match="(XLTE394|XLTE343).*No space left"):
        _state(tmp_path).append(1, {"translations": ["a"]})
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    monkeypatch.setattr(os, "replace", real)
    state = _state(tmp_path)
    assert state.load() == []
    state.append(1, {"translations": ["a"]})
    assert len(_state(tmp_path).load()) == 1


@pytest.mark.parametrize("tail", ['{"start": 2, "n": 1, "transl', '{"start": 2, "n"\n', "\x00\x00\x00"])
def test_a_broken_last_line_is_dropped(tmp_path, tail):
    state = _state(tmp_path)
    state.append(2, {"translations": ["a", "b"]})
    good = state.path.read_bytes()
    with state.path.open("a", encoding="utf8") as f:
        f.write(tail)
    again = _state(tmp_path)
    assert [r.start for r in again.load()] == [0] and again.dropped == 1
    assert state.path.read_bytes() == good  # cut off, so that appends stay well-formed
    again.append(1, {"translations": ["c"]})
    assert [r.start for r in _state(tmp_path).load()] == [0, 2]


def test_a_broken_line_before_the_last_is_an_error(tmp_path):
    state = _state(tmp_path)
    state.append(1, {"translations": ["a"]})
    with state.path.open("a", encoding="utf8") as f:
        f.write('not json\n{"start": 1, "n": 1, "translations": ["b"]}\n')
    with pytest.raises(XLTError, match=r"XLTE291.*partial.jsonl:3.*--restart"):
        _state(tmp_path).load()
    with state.path.open("a", encoding="utf8") as f:
        f.write('{"start": 7, "n": 1}\n{"start": 8, "n": 1}\n')  # a gap is as bad
    with pytest.raises(XLTError, match="XLTE291"):
        _state(tmp_path).load()


@pytest.mark.parametrize(
    "content,code",
    [
        ("", "XLTE391"),  # empty
        ("\n\n", "XLTE391"),
        ('{"start": 0, "n": 1, "translations": ["a"]}\n', "XLTE392"),  # no header
        ("plain text\n", "XLTE392"),
        ('{"format": "spacy_xlt.resume", "version": 1', "XLTE392"),  # no complete line
        ('{"job": {"model": "m"}}\n{"start": 0, "translations": ["a"]}\n', "XLTE393"),  # old sidecar
        ('{"format": "spacy_xlt.resume", "version": 99, "command": "translate", "job": {}}\n', "XLTE393"),
    ],
)
def test_unusable_resume_files_say_what_to_do(tmp_path, content, code):
    state = _state(tmp_path)
    state.path.write_text(content, encoding="utf8")
    with pytest.raises(XLTError, match=f"{code}.*--restart") as err:
        state.load()
    assert str(state.path) in str(err.value)
    assert state.load(restart=True) == [] and state.discarded and not state.path.exists()


def test_another_jobs_resume_file(tmp_path):
    _state(tmp_path).append(1, {"translations": ["a"]})
    with pytest.raises(XLTError, match="XLTE290.*tgt: \"es\" in the file, \"fr\" now.*--restart"):
        _state(tmp_path, {**JOB, "tgt": "fr"}).load()
    with pytest.raises(XLTError, match="XLTE290.*input_sha256: the file was started with other content"):
        _state(tmp_path, {**JOB, "input_sha256": "cd34"}).load()
    with pytest.raises(XLTError, match="XLTE290.*spacy xlt translate.*spacy xlt project"):
        _state(tmp_path, command="project").load()
    # a job that keeps no resume file still refuses to pass over another job's work
    with pytest.raises(XLTError, match="XLTE290"):
        ResumeFile(tmp_path / "out.spacy", "project", {"x": 1}, enabled=False).load()


def test_the_lock_fails_at_once_naming_output_and_lock(tmp_path):
    out = tmp_path / "sub" / "out.spacy"
    with output_lock(out) as held:
        assert held == lock_path(out) == tmp_path / "sub" / ".out.spacy.lock"
        start = time.perf_counter()
        with pytest.raises(XLTError, match="XLTE390") as err:
            with output_lock(out):
                pass
        assert time.perf_counter() - start < 1.0
        assert str(out) in str(err.value) and str(held) in str(err.value)
    with output_lock(out):  # released when the block ends
        pass


# ---------------------------------------------------------------------------------------
# translate


class Crashing:
    """A translator that fails on call ``fail_at``."""

    def __init__(self, inner, fail_at):
        self.inner, self.fail_at, self.calls = inner, fail_at, 0
        self.counts = inner.counts

    def translate(self, texts, src, tgt):
        self.calls += 1
        if self.calls == self.fail_at:
            raise RuntimeError("simulated crash")
        return self.inner.translate(texts, src, tgt)


def test_translate_failed_starts_leave_nothing_in_the_way(tmp_path, tiny_nllb):
    src = sources_file(tmp_path / "src.spacy", 5)
    out = tmp_path / "out.spacy"
    bad_lang = invoke(*translate_args(src, out, tiny_nllb)[:6], "bbj")
    assert bad_lang.exit_code == 1 and "XLTE281" in bad_lang.output
    missing = invoke(*translate_args(src, out, tmp_path / "no_model"))
    assert missing.exit_code == 1 and "Could not load the translation model" in flat(missing.output)
    assert not resume_path(out).exists() and not out.exists()
    good = invoke(*translate_args(src, out, tiny_nllb))
    assert good.exit_code == 0, good.output
    assert "Resumed" not in good.output and len(list(read_docs(out))) == 6
    assert not resume_path(out).exists()


def test_translate_resumes_to_the_uninterrupted_output(tmp_path, tiny_nllb, monkeypatch):
    from spacy_xlt.backends.translator import Translator
    from spacy_xlt.translation import translate_docs

    src = sources_file(tmp_path / "src.spacy", 5)
    full, out = tmp_path / "full.spacy", tmp_path / "out.spacy"
    assert invoke(*translate_args(src, full, tiny_nllb)).exit_code == 0
    # interrupted in the second chunk
    real = Translator.translate
    monkeypatch.setattr(Translator, "translate", crash_on_call(real, 2))
    crashed = invoke(*translate_args(src, out, tiny_nllb))
    assert isinstance(crashed.exception, RuntimeError) and not out.exists()
    monkeypatch.setattr(Translator, "translate", real)
    kept = read_resume_file(out)
    assert [(r.start, r.n) for r in kept.records] == [(0, 2)] and kept.found_header["command"] == "translate"
    again = invoke(*translate_args(src, out, tiny_nllb))
    assert again.exit_code == 0, again.output
    assert "Resumed after 2 finished docs" in again.output
    assert out.read_bytes() == full.read_bytes() and not resume_path(out).exists()
    # the translator's counts are those of the whole job, earlier runs included
    out2 = tmp_path / "out2.spacy"
    kwargs = dict(model=str(tiny_nllb), src="en", tgt="es", chunk_size=2, num_beams=1, max_new_tokens=6, progress=False)
    translator = Translator(str(tiny_nllb), num_beams=1, max_new_tokens=6, max_length=4)
    translator.load()
    with pytest.raises(RuntimeError):
        translate_docs(src, out2, translator=Crashing(translator, 2), max_length=4, **kwargs)
    translator.counts.clear()
    counts = translate_docs(src, out2, translator=translator, max_length=4, **kwargs)
    assert counts["resumed"] == 2 and counts["translator_counts"]["translated"] == 5
    # every non-empty doc is longer than 4 tokens: chunked (or, by an older translator, truncated)
    long = counts["long_inputs"]
    assert long.get("chunked", long.get("truncated")) == 5
    assert all(counts["translator_counts"][key] == n for key, n in long.items())


def test_translate_prints_long_input_counts(tmp_path, tiny_nllb):
    src = sources_file(tmp_path / "src.spacy", 5)
    result = invoke(*translate_args(src, tmp_path / "out.spacy", tiny_nllb, "--max-length", "4"))
    assert result.exit_code == 0, result.output
    assert "Inputs longer than --max-length 4 tokens" in flat(result.output)
    assert "chunked 5" in flat(result.output) or "truncated 5" in flat(result.output)
    plain = invoke(*translate_args(src, tmp_path / "plain.spacy", tiny_nllb))
    assert "--max-length" not in plain.output


def test_translate_other_job_and_empty_resume_file(tmp_path, tiny_nllb):
    src = sources_file(tmp_path / "src.spacy", 5)
    out = tmp_path / "out.spacy"
    side = resume_path(out)
    side.write_text("", encoding="utf8")
    empty = invoke(*translate_args(src, out, tiny_nllb))
    assert empty.exit_code == 1 and "XLTE391" in empty.output and "--restart" in flat(empty.output)
    other = ResumeFile(out, "translate", {"input_sha256": "x"})
    other.load(restart=True)
    other.append(1, {"translations": ["x"], "counts": {}})
    refused = invoke(*translate_args(src, out, tiny_nllb))
    assert refused.exit_code == 1 and "XLTE290" in refused.output
    assert side.exists() and not out.exists()  # its work is not lost unasked
    restarted = invoke(*translate_args(src, out, tiny_nllb, "--restart"))
    assert restarted.exit_code == 0, restarted.output
    assert "Discarded the resume file" in flat(restarted.output) and not side.exists()
    assert len(list(read_docs(out))) == 6


LAUNCHER = """
import os, sys, time
from spacy_xlt.backends.translator import Translator
real, calls = Translator.translate, []

def translate(self, texts, src, tgt):  # after the first chunk is kept: wait for the test
    calls.append(1)
    if len(calls) == 2:
        deadline = time.time() + 240
        while not os.path.exists(os.environ["XLT_TEST_GO"]) and time.time() < deadline:
            time.sleep(0.05)
    return real(self, texts, src, tgt)

Translator.translate = translate
from spacy_xlt.cli import xlt_cli
xlt_cli(sys.argv[1:], prog_name="spacy xlt")
"""


def test_two_concurrent_translate_runs(tmp_path, tiny_nllb):
    """The second run on an output fails at once naming the output and the lock; the first
    (held in its second chunk until the second has failed) completes correctly."""
    src = sources_file(tmp_path / "src.spacy", 7)
    ref, out = tmp_path / "ref.spacy", tmp_path / "out.spacy"
    assert xlt(*translate_args(src, ref, tiny_nllb)).returncode == 0
    go = tmp_path / "go"
    args = [str(a) for a in translate_args(src, out, tiny_nllb)]
    first = subprocess.Popen(
        [sys.executable, "-c", LAUNCHER, *args],
        env={**ENV, "XLT_TEST_GO": str(go)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.time() + 120
        while not resume_path(out).exists() and time.time() < deadline and first.poll() is None:
            time.sleep(0.05)
        assert resume_path(out).exists(), first.communicate()[0]
        kept = resume_path(out).read_bytes()
        second = xlt(*args)
        text = flat(second.stdout + second.stderr)
        assert second.returncode == 1 and "XLTE390" in text, text
        assert str(out) in text and str(lock_path(out)) in text
        assert "translate:" not in text  # it failed before translating anything
        assert resume_path(out).read_bytes() == kept and first.poll() is None
    finally:
        go.touch()
        output = first.communicate(timeout=120)[0]
    assert first.returncode == 0, output
    assert out.read_bytes() == ref.read_bytes() and not resume_path(out).exists()
    # a lock the test holds: the command fails at once too
    with output_lock(out):
        held = xlt(*args)
    assert held.returncode == 1 and "XLTE390" in flat(held.stdout + held.stderr)


# ---------------------------------------------------------------------------------------
# project


def test_project_tprojection_resumes_to_the_uninterrupted_output(tmp_path, tiny_mt5, tiny_nllb, monkeypatch):
    from spacy_xlt.pipes.tprojection import TProjectionPipe

    pairs = pairs_file(tmp_path / "pairs.spacy", 6)
    full, out = tmp_path / "full.spacy", tmp_path / "out.spacy"

    def args(output, *extra):
        return ["project", pairs, output, "--generator", tiny_mt5, "--set", f"translator.name={tiny_nllb}",
                "--set", "num_beams=2", "--set", "generator.max_new_tokens=8", "--set", "batch_size=2",
                "--set", "save_candidates=true", "--lang", "es", *extra]  # fmt: skip

    uninterrupted = invoke(*args(full))
    assert uninterrupted.exit_code == 0, uninterrupted.output
    monkeypatch.setattr(TProjectionPipe, "project", crash_on_call(TProjectionPipe.project, 3))
    crashed = invoke(*args(out))
    assert isinstance(crashed.exception, RuntimeError) and not out.exists()
    assert [r.n for r in read_resume_file(out).records] == [2, 2]
    monkeypatch.undo()
    # another setting is another job: refused, the work kept
    other = invoke(*args(out, "--set", "num_beams=3"))
    assert other.exit_code == 1 and "XLTE290" in other.output and "num_beams" in other.output
    again = invoke(*args(out))
    assert again.exit_code == 0, again.output
    assert "Resumed after 4 finished pairs" in again.output
    assert out.read_bytes() == full.read_bytes() and not resume_path(out).exists()
    assert count_rows(again.output) == count_rows(uninterrupted.output) and count_rows(again.output)
    # the output is what the projector itself writes (the library path, no resume file)
    from spacy_xlt.pairs import write_pairs
    from spacy_xlt.projectors import apply_overrides, build_projector, method_config, project_docs

    config = apply_overrides(method_config("tprojection"), {
        "generator.name": str(tiny_mt5), "translator.name": str(tiny_nllb), "num_beams": 2,
        "generator.max_new_tokens": 8, "batch_size": 2, "save_candidates": True,
    })  # fmt: skip
    nlp, pipe = build_projector(config, lang="es")
    docs, _ = project_docs(pipe, list(read_docs(pairs, pipe.vocab)), progress=False)
    write_pairs(docs, tmp_path / "direct.spacy")
    assert (tmp_path / "direct.spacy").read_bytes() == full.read_bytes()


def test_project_alignments_resume_and_statistical_does_not(tmp_path, monkeypatch):
    from spacy_xlt.projection.given import PharaohAlignments

    pairs = pairs_file(tmp_path / "pairs.spacy", 6)
    links = alignments_file(tmp_path / "links.talp", 6)
    full, out = tmp_path / "full.spacy", tmp_path / "out.spacy"
    args = ["project", pairs, None, "--alignments", links, "--set", "batch_size=2"]
    uninterrupted = invoke(*[full if a is None else a for a in args])
    assert uninterrupted.exit_code == 0, uninterrupted.output
    assert int(count_rows(uninterrupted.output)[2][1]) > 0  # spans were projected
    monkeypatch.setattr(PharaohAlignments, "align", crash_on_call(PharaohAlignments.align, 2))
    crashed = invoke(*[out if a is None else a for a in args])
    assert isinstance(crashed.exception, RuntimeError)
    monkeypatch.undo()
    again = invoke(*[out if a is None else a for a in args])
    assert again.exit_code == 0, again.output
    assert "Resumed after 2 finished pairs" in again.output
    assert out.read_bytes() == full.read_bytes()
    assert count_rows(again.output) == count_rows(uninterrupted.output)
    # a Pharaoh file changed in between is another job
    stale = tmp_path / "stale.spacy"
    monkeypatch.setattr(PharaohAlignments, "align", crash_on_call(PharaohAlignments.align, 2))
    invoke(*[stale if a is None else a for a in args])
    monkeypatch.undo()
    links.write_text(links.read_text(encoding="utf8").replace("0-0", "0-1", 1), encoding="utf8")
    changed = invoke(*[stale if a is None else a for a in args])
    assert changed.exit_code == 1 and "XLTE290" in changed.output and "data_sha256" in changed.output
    # the statistical aligner learns from every pair at once: no resume file, one batch
    from spacy_xlt.projection.statistical import StatisticalAligner

    seen = []
    real = StatisticalAligner.align

    def spy(self, word_pairs):
        seen.append(len(word_pairs))
        assert not resume_path(tmp_path / "stat.spacy").exists()
        return real(self, word_pairs)

    monkeypatch.setattr(StatisticalAligner, "align", spy)
    stat = invoke("project", pairs, tmp_path / "stat.spacy", "--set", "batch_size=2")
    assert stat.exit_code == 0, stat.output
    assert seen == [6] and not resume_path(tmp_path / "stat.spacy").exists()


# ---------------------------------------------------------------------------------------
# predict


def _ruler_pipeline(path: Path) -> Path:
    nlp = spacy.blank("xx")
    ruler = nlp.add_pipe("entity_ruler")
    ruler.add_patterns([{"label": "PER", "pattern": "Tomi"}, {"label": "LOC", "pattern": "Vessa"}])
    nlp.to_disk(path)
    return path


def test_predict_resumes_to_the_uninterrupted_output(tmp_path, monkeypatch):
    import spacy_xlt.prediction as predict

    model, gold = _ruler_pipeline(tmp_path / "model"), gold_file(tmp_path / "gold.spacy", 5)
    full, out = tmp_path / "full.spacy", tmp_path / "out.spacy"
    uninterrupted = invoke("predict", model, gold, full, "--chunk-size", "2")
    assert uninterrupted.exit_code == 0, uninterrupted.output
    monkeypatch.setattr(predict, "_docbin_text", crash_on_call(predict._docbin_text, 2))
    crashed = invoke("predict", model, gold, out, "--chunk-size", "2")
    assert isinstance(crashed.exception, RuntimeError) and not out.exists()
    monkeypatch.undo()
    again = invoke("predict", model, gold, out, "--chunk-size", "2", "--metrics", tmp_path / "m.json")
    assert again.exit_code == 0, again.output
    assert "Resumed after 2 finished docs" in again.output and "5 docs, 4 predicted spans" in flat(again.output)
    assert out.read_bytes() == full.read_bytes() and not resume_path(out).exists()
    # the output is what the pipeline writes without a resume file in between
    from spacy_xlt.pairs import write_docs

    nlp = spacy.load(model)
    docs = [d for d in DocBin().from_disk(gold).get_docs(nlp.vocab)]
    bare = [Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in docs]
    write_docs(list(nlp.pipe(bare)), tmp_path / "direct.spacy")
    assert (tmp_path / "direct.spacy").read_bytes() == full.read_bytes()
    # another pipeline (its config changed) is another job; --restart starts over
    monkeypatch.setattr(predict, "_docbin_text", crash_on_call(predict._docbin_text, 2))
    invoke("predict", model, gold, out, "--chunk-size", "2")
    monkeypatch.undo()
    refused = invoke("predict", model, gold, out, "--set", "components.entity_ruler.overwrite_ents=true")
    assert refused.exit_code == 1 and "XLTE290" in refused.output
    restarted = invoke("predict", model, gold, out, "--restart", "--chunk-size", "2")
    assert restarted.exit_code == 0 and "Discarded" in restarted.output
    assert out.read_bytes() == full.read_bytes()


def test_predict_lock_is_taken_before_the_pipeline_loads(tmp_path, monkeypatch):
    model, gold = _ruler_pipeline(tmp_path / "model"), gold_file(tmp_path / "gold.spacy", 5)
    out = tmp_path / "out.spacy"
    loads = []
    real = spacy.load
    monkeypatch.setattr(spacy, "load", lambda *a, **k: loads.append(a) or real(*a, **k))
    with output_lock(out):
        result = invoke("predict", model, gold, out)
    assert result.exit_code == 1 and "XLTE390" in result.output and loads == []


# ---------------------------------------------------------------------------------------
# spacy train with a bad corpus file (item 6)

TRAIN_CONFIG = """
[paths]
train = null
dev = null

[system]
seed = 0
gpu_allocator = null

[nlp]
lang = "xx"
pipeline = ["ner"]

[components]

[components.ner]
factory = "ner"

[corpora]

[corpora.train]
@readers = "spacy_xlt.ConllCorpus.v1"
path = ${{paths.train}}

[corpora.dev]
@readers = "{dev_reader}"
path = ${{paths.dev}}

[training]
train_corpus = "corpora.train"
dev_corpus = "corpora.dev"
max_steps = 1
seed = ${{system.seed}}
gpu_allocator = ${{system.gpu_allocator}}

[initialize]
"""

@pytest.mark.parametrize(
    "train,dev,dev_reader,expected",
    [
        # met where the readers are created: each reads its file there
        ("bad.conll", "good.conll", "spacy_xlt.ConllCorpus.v1", "[XLTE020] bad.conll:2: malformed line 'ran'"),
        ("good.conll", "bad.spacy", "spacy_xlt.PairCorpus.v1", "[XLTE344] bad.spacy is not a readable .spacy file"),
        ("good.conll", "bad.xml", "spacy_xlt.SemEvalCorpus.v1", "[XLTE023] bad.xml: could not parse XML"),
    ],
)
def test_spacy_train_shows_a_readers_coded_error_as_a_message(tmp_path, train, dev, dev_reader, expected):
    (tmp_path / "bad.conll").write_text("Tomi B-PER\nran\n\n", encoding="utf8")
    (tmp_path / "good.conll").write_text("Tomi B-PER\nran O\n\n", encoding="utf8")
    (tmp_path / "bad.spacy").write_bytes(b"not a DocBin")
    (tmp_path / "bad.xml").write_text("<Reviews><Review>", encoding="utf8")
    (tmp_path / "config.cfg").write_text(TRAIN_CONFIG.format(dev_reader=dev_reader), encoding="utf8")
    cmd = [sys.executable, "-m", "spacy", "train", "config.cfg",
           "--paths.train", train, "--paths.dev", dev]  # fmt: skip
    result = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, env=ENV, timeout=300)
    text = result.stdout + result.stderr
    assert result.returncode == 1, text
    assert expected in " ".join(text.split())
    assert "Traceback" not in text


def test_message_errors_are_xlt_errors_for_library_use(tmp_path):
    import click  # noqa: F401  (whichever click typer uses)

    from spacy_xlt.corpora import create_conll_corpus
    from spacy_xlt.usererrors import XLTUserError, _ClickException, message_reader

    hook = sys.excepthook
    (tmp_path / "bad.conll").write_text("Tomi B-PER\nran\n\n", encoding="utf8")
    with pytest.raises(XLTError, match=r"XLTE020") as plain:
        create_conll_corpus(tmp_path / "bad.conll")
    with pytest.raises(XLTUserError) as shown:
        message_reader(create_conll_corpus)(tmp_path / "bad.conll")
    assert isinstance(shown.value, XLTError) and isinstance(shown.value, ValueError)
    assert isinstance(shown.value, _ClickException) and _ClickException is not Exception
    assert str(shown.value) == str(plain.value) and shown.value.format_message() == str(plain.value)
    assert sys.excepthook is hook  # nothing installed
    import pickle

    assert str(pickle.loads(pickle.dumps(shown.value))) == str(plain.value)
