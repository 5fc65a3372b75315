"""What the command tests of translate, project and predict share (tests/test_resume.py runs
them in one process, tests/test_ray.py on Ray and compares the bytes): the CLI runner, the
small input files they run on, and a crash injected into a call."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

import spacy
from spacy.tokens import Doc, DocBin
from typer.testing import CliRunner

from spacy_xlt.cli import xlt_cli
from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, set_doc_spans
from spacy_xlt.testing import detokenize, generate_parallel

runner = CliRunner()


def invoke(*args):
    return runner.invoke(xlt_cli, [str(a) for a in args])


def flat(text: str) -> str:
    """Output with wasabi's line wrapping undone."""
    return " ".join(text.split())


def sources_file(path: Path, n: int) -> Path:
    """``n`` English source Docs (seed 2) and an empty one, which stays an empty pair."""
    nlp = spacy.blank("en")
    db = DocBin(store_user_data=True)
    for ex in generate_parallel(n, "en", "es", seed=2):
        db.add(nlp(detokenize(ex.src_words)))
    db.add(Doc(nlp.vocab, words=[]))
    db.to_disk(path)
    return path


def translate_args(src, out, model, *extra) -> list:
    """``spacy xlt translate`` of ``src`` into Spanish, short and greedy, in chunks of 2."""
    return ["translate", src, out, "--model", model, "--tgt", "es", "--num-beams", "1",
            "--max-new-tokens", "6", "--chunk-size", "2", *extra]  # fmt: skip


def pairs_file(path: Path, n: int) -> Path:
    """``n`` English-Spanish pairs (seed 4) with their source spans."""
    nlp = spacy.blank("es")
    db = DocBin(store_user_data=True)
    for ex in generate_parallel(n, "en", "es", seed=4):
        s = Doc(nlp.vocab, words=ex.src_words)
        set_doc_spans(s, [TokenSpan(*x) for x in ex.src_spans])
        db.add(make_pair(s, Doc(nlp.vocab, words=ex.tgt_words), source_lang="en"))
    db.to_disk(path)
    return path


def alignments_file(path: Path, n: int) -> Path:
    """The word alignments of :func:`pairs_file`'s pairs, one Pharaoh line a pair."""
    lines = [" ".join(f"{i}-{j}" for i, j in ex.alignment) for ex in generate_parallel(n, "en", "es", seed=4)]
    path.write_text("\n".join(lines) + "\n", encoding="utf8")
    return path


def count_rows(output: str) -> list:
    """The rows of the printed counts table but the seconds."""
    rows = [line.split() for line in output.splitlines()]
    names = ("pairs", "source", "projected", "unaligned", "lost")
    return [row for row in rows if row and row[0] in names]


#: The words of the gold Docs that the predict tests tag (Tomi: PER, Vessa: LOC).
GOLD_WORDS = [["Tomi", "ran", "home"], ["Bela", "saw", "Kurno", "near", "Vessa"], ["Tomi", "left"],
              ["Vessa", "is", "far"], ["nobody"], ["Kurno", "and", "Tomi", "met"]]  # fmt: skip


def gold_file(path: Path, n: int = len(GOLD_WORDS)) -> Path:
    """The first ``n`` Docs of :data:`GOLD_WORDS`, unannotated."""
    vocab = spacy.blank("xx").vocab
    DocBin(docs=[Doc(vocab, words=w) for w in GOLD_WORDS[:n]], store_user_data=True).to_disk(path)
    return path


def crash_on_call(real: Callable, at: int) -> Callable:
    """``real``, but its call number ``at`` (from 1) raises ``RuntimeError("simulated crash")``
    (set it on a class to crash a method)."""
    calls = []

    def crashing(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == at:
            raise RuntimeError("simulated crash")
        return real(*args, **kwargs)

    return crashing
