"""Build a synthetic tagging task for the text-to-text tagger: tag every run of capitalised
words as one entity (label ``CAP``).

    python examples/make_capitalised.py corpus/          # corpus/train.conll, corpus/dev.conll
    python examples/make_capitalised.py corpus/ --n-train 400 --n-dev 100 --seed 0 --langs en,es

Sentences come from ``spacy_xlt.testing.generate_corpus`` (seven languages, four scripts;
lines written in inline markup are skipped), tokenized by spaCy's blank ``xx`` tokenizer. A
token is capitalised when its first character is an upper-case letter; scripts without case
(Amharic, Chinese) never are. Written as CoNLL files (``word TAG``, IOB2, a blank line
between sentences), which ``spacy_xlt.ConllCorpus.v1`` reads. Used by ``examples/text2text_tagger.cfg`` and its smoke test:
a tiny random model learns it in a few minutes on a CPU.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import List, Optional, Sequence

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


def make_docs(n: int, seed: int, langs: Optional[Sequence[str]] = None):
    """``n`` Docs with their capitalised runs as entities (sentences in ``langs``)."""
    import spacy

    from spacy_xlt.pairs import set_doc_spans
    from spacy_xlt.testing import generate_corpus

    nlp = spacy.blank("xx")
    docs = []
    batch = 0
    while len(docs) < n:
        for line in generate_corpus(2 * n, seed=seed * 1000 + batch, langs=langs):
            if "<" in line or "[None]" in line:
                continue
            doc = nlp.make_doc(line)
            set_doc_spans(doc, capitalised_spans([t.text for t in doc]))
            docs.append(doc)
            if len(docs) == n:
                break
        batch += 1
    return docs


def write_conll(docs, path: Path) -> None:
    from spacy_xlt.labels import spans_to_tags
    from spacy_xlt.pairs import doc_spans

    lines = []
    for doc in docs:
        tags = spans_to_tags(doc_spans(doc), len(doc))
        lines.extend(f"{t.text} {tag}" for t, tag in zip(doc, tags))
        lines.append("")
    path.write_text("\n".join(lines), encoding="utf8")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--n-train", type=int, default=400)
    parser.add_argument("--n-dev", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--langs", default=None, help="comma-separated (default: all seven)")
    args = parser.parse_args(argv)
    langs = args.langs.split(",") if args.langs else None
    args.out_dir.mkdir(parents=True, exist_ok=True)
    for name, n, seed in (("train", args.n_train, args.seed), ("dev", args.n_dev, args.seed + 1)):
        write_conll(make_docs(n, seed, langs), args.out_dir / f"{name}.conll")
        print(f"{args.out_dir / name}.conll: {n} sentences")


if __name__ == "__main__":
    main()
