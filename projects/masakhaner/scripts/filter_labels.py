"""Keep only some span labels (PER/ORG/LOC) in a .spacy file, or in every .spacy file of a
folder, optionally keeping only the first N documents.

    python scripts/filter_labels.py --keep PER,ORG,LOC IN OUT LIMIT [IN OUT LIMIT ...]

LIMIT 0 keeps every document (several jobs in one process: Python starts once).

The papers train on CoNLL-2003 English without MISC and score MasakhaNER 2.0 without DATE:
spans of other labels become O. Prints what it dropped.
"""
import argparse
from collections import Counter
from pathlib import Path

import spacy
from spacy.tokens import DocBin


def filter_file(src: Path, dst: Path, keep: set, limit: int) -> None:
    vocab = spacy.blank("xx").vocab
    docs = list(DocBin().from_disk(src).get_docs(vocab))
    if limit > 0:
        docs = docs[:limit]
    dropped: Counter = Counter()
    kept: Counter = Counter()
    for doc in docs:
        ents = []
        for ent in doc.ents:
            if ent.label_ in keep:
                ents.append(ent)
                kept[ent.label_] += 1
            else:
                dropped[ent.label_] += 1
        doc.set_ents(ents, default="outside")
    dst.parent.mkdir(parents=True, exist_ok=True)
    DocBin(docs=docs, store_user_data=True).to_disk(dst)
    print(f"{src} -> {dst}: {len(docs)} docs, kept {dict(kept)}, dropped {dict(dropped)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("jobs", nargs="+", help="IN OUT LIMIT, repeated")
    parser.add_argument("--keep", default="PER,ORG,LOC", help="labels to keep, comma-separated")
    args = parser.parse_args()
    keep = {label.strip() for label in args.keep.split(",") if label.strip()}
    if len(args.jobs) % 3:
        raise SystemExit(f"expected IN OUT LIMIT triples, got {len(args.jobs)} arguments")
    for i in range(0, len(args.jobs), 3):
        src, dst, limit = Path(args.jobs[i]), Path(args.jobs[i + 1]), int(args.jobs[i + 2])
        if src.is_dir():
            files = sorted(src.rglob("*.spacy"))
            if not files:
                raise SystemExit(f"no .spacy files under {src}")
            for path in files:
                filter_file(path, dst / path.relative_to(src), keep, limit)
        elif src.is_file():
            filter_file(src, dst, keep, limit)
        else:
            raise SystemExit(f"input not found: {src}")


if __name__ == "__main__":
    main()
