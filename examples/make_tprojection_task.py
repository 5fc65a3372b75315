"""Build a synthetic projection task for T-Projection on tiny models, and the models.

    python examples/make_tprojection_task.py task/     # task/train.spacy, task/dev.spacy, task/models/
    python -m spacy train examples/tprojection_tiny.cfg --output task/training \\
        --paths.train task/train.spacy --paths.dev task/dev.spacy \\
        --paths.generator task/models/mt5-small --paths.translator task/models/nllb

Sentences come from ``spacy_xlt.testing.generate_parallel`` (English -> Spanish; the names are
shared by both languages, the context words are not): ``train.spacy`` holds English gold
(``doc.ents``), the generator's training data; ``dev.spacy`` holds gold pairs (Spanish gold
+ English source side), so the dev score is projection F1. The generator is a small random
mT5 (d128), the translator a tiny random NLLB: the scores it gives are noise, so what the
recipe shows is that generation, filtering and assignment learn (dev F1 > 0.5 after 300
steps, a few minutes on a CPU; ``tests/test_examples.py``, slow).
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Optional

import spacy
from spacy.tokens import Doc

from spacy_xlt.labels import TokenSpan
from spacy_xlt.pairs import make_pair, set_doc_spans, write_docs
from spacy_xlt.testing import generate_parallel, get_tiny_model


def _gold(vocab, words, spans) -> Doc:
    return set_doc_spans(Doc(vocab, words=list(words)), [TokenSpan(*s) for s in spans])


def write_task(out: Path, n_train: int = 300, n_dev: int = 30, seed: int = 11) -> dict:
    """Write ``train.spacy`` and ``dev.spacy`` under ``out``; the numbers written."""
    vocab = spacy.blank("es").vocab
    train = [_gold(vocab, ex.src_words, ex.src_spans) for ex in generate_parallel(n_train, "en", "es", seed=seed)]
    dev = [
        make_pair(_gold(vocab, ex.src_words, ex.src_spans), _gold(vocab, ex.tgt_words, ex.tgt_spans), source_lang="en")
        for ex in generate_parallel(n_dev, "en", "es", seed=seed + 88)
    ]
    return {"train": write_docs(train, out / "train.spacy"), "dev": write_docs(dev, out / "dev.spacy")}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--n-train", type=int, default=300)
    parser.add_argument("--n-dev", type=int, default=30)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--no-models", action="store_true", help="write the data only")
    args = parser.parse_args(argv)
    counts = write_task(args.out, args.n_train, args.n_dev, args.seed)
    print(f"{counts['train']} training docs, {counts['dev']} dev pairs in {args.out}")
    if not args.no_models:
        for kind, size in (("mt5", "small"), ("nllb", "tiny")):
            print(get_tiny_model(kind, args.out / "models", size=size))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
