"""Build a synthetic tagging task for the text-to-text tagger: tag every run of capitalised
words as one entity (label ``CAP``).

    python examples/make_capitalised.py corpus/            # train.spacy, dev.spacy
    python examples/make_capitalised.py corpus/ --n-train 400 --n-dev 100 --seed 0

Sentences come from ``spacy_xlt.testing.generate_corpus`` (seven languages, four scripts;
lines written in inline markup are skipped), tokenized by spaCy's blank ``xx`` tokenizer. A
token is capitalised when its first character is an upper-case letter; scripts without case
(Amharic, Chinese) never are. Used by ``examples/text2text_tagger.cfg`` and its smoke test:
a tiny random model learns it in a few minutes on a CPU.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List

from spacy_xlt.labels import TokenSpan

LABEL = "CAP"


def capitalised_spans(words: List[str]) -> List[TokenSpan]:
    """(start, end, "CAP") for each maximal run of words starting with an upper-case letter."""
    spans = []
    start = None
    for i, word in enumerate(words + [""]):
        cap = bool(word) and word[0].isupper()
        if cap and start is None:
            start = i
        elif not cap and start is not None:
            spans.append(TokenSpan(start, i, LABEL))
            start = None
    return spans


def make_docs(n: int, seed: int):
    """``n`` Docs with their capitalised runs as entities."""
    import spacy

    from spacy_xlt.pairs import set_doc_spans
    from spacy_xlt.testing import generate_corpus

    nlp = spacy.blank("xx")
    docs = []
    batch = 0
    while len(docs) < n:
        for line in generate_corpus(2 * n, seed=seed * 1000 + batch):
            if "<" in line or "[None]" in line:
                continue
            doc = nlp.make_doc(line)
            set_doc_spans(doc, capitalised_spans([t.text for t in doc]))
            docs.append(doc)
            if len(docs) == n:
                break
        batch += 1
    return docs


def main(argv=None) -> None:
    from spacy.tokens import DocBin

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n-train", type=int, default=400)
    parser.add_argument("--n-dev", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, n, seed in (("train", args.n_train, args.seed), ("dev", args.n_dev, args.seed + 1)):
        DocBin(docs=make_docs(n, seed), store_user_data=False).to_disk(
            args.out_dir / f"{name}.spacy"
        )
        print(f"{args.out_dir / name}.spacy: {n} sentences")


if __name__ == "__main__":
    main()
