"""SIGKILL ``spacy xlt convert``, ``project`` and ``translate`` at random (seeded) moments over
an existing good output: after every kill the old output is byte-identical or the new one
complete (readable, every Doc there), any resume file left reads back, and after a rerun the
outputs of ``project`` and ``translate`` equal an uninterrupted run's, byte for byte.

The moments are drawn from three kinds: anywhere in the run's expected lifetime, within its
work (after its first chunk is kept in the resume file), and while it writes the output (as
soon as the output's temporary file appears). Tiny models, small inputs, one torch thread:
about two minutes on two cores. Slow: run with ``--runslow``.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import List, Sequence

import pytest
import spacy
from spacy.tokens import Doc, DocBin

from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, read_docs, set_doc_spans
from spacy_xlt.resume import read_resume_file, resume_path
from spacy_xlt.testing import detokenize, generate_parallel

pytestmark = pytest.mark.slow

ENV = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
KILLS = 5
MAX_ATTEMPTS = 30


def _command(args: Sequence[object]) -> List[str]:
    return [sys.executable, "-m", "spacy_xlt", *[str(a) for a in args]]


def _temp_files(folder: Path, output: Path) -> set:
    """The temporary files of ``output``'s atomic write (not those of its resume file)."""
    prefix, resume = f".{output.name}.", f".{resume_path(output).name}."
    return {p.name for p in folder.iterdir() if p.name.startswith(prefix) and not p.name.startswith(resume) and p.name.endswith(".part")}


def _uninterrupted(args, output: Path) -> tuple:
    """Run to the end; (seconds, seconds until the first chunk was kept or None)."""
    start = time.perf_counter()
    proc = subprocess.Popen(_command(args), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = None
    while proc.poll() is None:
        if first is None and resume_path(output).exists():
            first = time.perf_counter() - start
        time.sleep(0.005)
    assert proc.returncode == 0, proc.stderr.read()
    return time.perf_counter() - start, first


def _run_and_kill(args, output: Path, mode: str, delay: float) -> bool:
    """Start the command and SIGKILL it per ``mode``; whether it was killed (not finished)."""
    before = _temp_files(output.parent, output)
    start = time.perf_counter()
    proc = subprocess.Popen(_command(args), env=ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if mode == "write":  # as soon as the output's temporary file appears
            while proc.poll() is None and not (_temp_files(output.parent, output) - before):
                time.sleep(0.002)
        elif mode == "work":  # within the work: after the first chunk is kept
            while proc.poll() is None and not resume_path(output).exists():
                time.sleep(0.005)
            time.sleep(delay)
        else:
            while proc.poll() is None and time.perf_counter() - start < delay:
                time.sleep(0.005)
        if proc.poll() is not None:
            return False
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=60)
        return True
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=60)


def _check_after_kill(output: Path, old: bytes, new: bytes, n_docs: int, resumable: bool) -> None:
    data = output.read_bytes()
    assert data in (old, new), "the output is neither the old one nor the new one"
    if data == new:
        assert len(list(read_docs(output))) == n_docs
    if resumable and resume_path(output).exists():
        kept = read_resume_file(output)  # a kill leaves nothing unreadable but a last line
        assert kept.done <= n_docs


def _kill_repeatedly(args, output: Path, old: bytes, new: bytes, n_docs: int, modes, seconds: float, work: float, seed: int):
    rng = random.Random(seed)
    kills, attempts, seen = 0, 0, set()
    while kills < KILLS and attempts < MAX_ATTEMPTS:
        attempts += 1
        mode = modes[attempts % len(modes)] if attempts <= len(modes) else rng.choice(modes)
        delay = rng.uniform(0, work) if mode == "work" else rng.uniform(0.2, seconds)
        if _run_and_kill(args, output, mode, delay):
            kills += 1
            seen.add(mode)
        _check_after_kill(output, old, new, n_docs, resumable="work" in modes)
        print(f"attempt {attempts} {mode} delay {delay:.2f} killed {kills}", flush=True)
    assert kills >= KILLS, f"only {kills} kills in {attempts} runs"
    return seen


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    from spacy_xlt.testing import get_tiny_model

    folder = tmp_path_factory.getbasetemp() / "tiny_models"
    return {kind: get_tiny_model(kind, folder) for kind in ("mt5", "nllb")}


def _good_old_output(path: Path) -> bytes:
    """An existing good output of another run: a small valid .spacy file."""
    nlp = spacy.blank("xx")
    DocBin(docs=[nlp("an older output"), nlp("of two docs")]).to_disk(path)
    return path.read_bytes()


def test_kill_convert(tmp_path):
    lines: List[str] = []
    for ex in generate_parallel(1000, "en", "es", seed=5):
        tags = ["O"] * len(ex.src_words)
        for s, e, label in ex.src_spans:
            tags[s : e] = [f"B-{label}"] + [f"I-{label}"] * (e - s - 1)
        lines += [f"{w} {t}" for w, t in zip(ex.src_words, tags)] + [""]
    corpus = tmp_path / "big.conll"
    corpus.write_text("\n".join(lines) + "\n", encoding="utf8")
    ref, out = tmp_path / "ref.spacy", tmp_path / "out.spacy"
    seconds, _ = _uninterrupted(["convert", corpus, ref], ref)
    new = ref.read_bytes()
    old = _good_old_output(out)
    seen = _kill_repeatedly(["convert", corpus, out], out, old, new, 1000, ("any", "write"), seconds, 0, seed=1)
    assert seen == {"any", "write"}


def _sources(path: Path, n: int) -> Path:
    nlp = spacy.blank("en")
    docs = [nlp(detokenize(ex.src_words)) for ex in generate_parallel(n, "en", "es", seed=2)]
    DocBin(docs=docs, store_user_data=True).to_disk(path)
    return path


def test_kill_translate(tmp_path, models):
    src = _sources(tmp_path / "src.spacy", 400)
    ref, out = tmp_path / "ref.spacy", tmp_path / "out.spacy"

    def args(output):
        return ["translate", src, output, "--model", models["nllb"], "--tgt", "es", "--num-beams", "2",
                "--max-new-tokens", "24", "--chunk-size", "8", "--batch-size", "8"]  # fmt: skip

    seconds, first = _uninterrupted(args(ref), ref)
    new = ref.read_bytes()
    old = _good_old_output(out)
    work = seconds - (first or 0)
    seen = _kill_repeatedly(args(out), out, old, new, 400, ("any", "work", "write"), seconds, work, seed=2)
    assert "work" in seen
    final = subprocess.run(_command(args(out)), env=ENV, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert out.read_bytes() == new and not resume_path(out).exists()


def _pairs(path: Path, n: int) -> Path:
    nlp = spacy.blank("es")
    db = DocBin(store_user_data=True)
    for ex in generate_parallel(n, "en", "es", seed=4):
        s = set_doc_spans(Doc(nlp.vocab, words=ex.src_words), [TokenSpan(*x) for x in ex.src_spans])
        db.add(make_pair(s, Doc(nlp.vocab, words=ex.tgt_words), source_lang="en"))
    db.to_disk(path)
    return path


def test_kill_project(tmp_path, models):
    pairs = _pairs(tmp_path / "pairs.spacy", 200)
    ref, out = tmp_path / "ref.spacy", tmp_path / "out.spacy"

    def args(output):
        return ["project", pairs, output, "--generator", models["mt5"], "--set", f"translator.name={models['nllb']}",
                "--set", "num_beams=4", "--set", "generator.max_new_tokens=12", "--set", "batch_size=4",
                "--set", "save_candidates=true", "--lang", "es"]  # fmt: skip

    seconds, first = _uninterrupted(args(ref), ref)
    new = ref.read_bytes()
    old = _good_old_output(out)
    work = seconds - (first or 0)
    seen = _kill_repeatedly(args(out), out, old, new, 200, ("any", "work", "write"), seconds, work, seed=3)
    assert "work" in seen
    final = subprocess.run(_command(args(out)), env=ENV, capture_output=True, text=True, timeout=300)
    assert final.returncode == 0, final.stderr
    assert out.read_bytes() == new and not resume_path(out).exists()
