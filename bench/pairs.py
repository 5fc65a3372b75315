"""Pair files: docs/s writing and reading parallel pairs, against a plain DocBin of the same
target Docs, measured side by side in one process.

The pairs come from ``spacy_xlt.testing.generate_parallel``: each is a target Doc with
entities, its source side (``make_pair``: words, spacing, entities), one projection record
(``projection_record``) and a sentence id (as the corpora readers write one). Cases:

* **pairs**: ``spacy_xlt.pairs.write_docs`` / ``read_docs`` (one msgpack packer / decoder per
  file for every Doc's user data);
* **old pairs**: the previous writer (``DocBin(docs, store_user_data=True).to_bytes()``, a
  packer per Doc) and the previous reader (``DocBin.get_docs``, ``srsly.msgpack_loads`` per
  Doc); ``read_docs`` of that old file is timed too (its bytes are those of the new file);
* **plain**: ``write_docs`` / ``read_docs`` of the same target Docs without user data;
* **+ source**: ``read_docs`` and then ``doc._.xlt_source`` of every pair (the source side
  is built when asked for, not when the file is read).

Every case runs once per round, in an order rotated from round to round, so that a load
spike on a shared machine hits all cases alike; the table gives the median docs/s and the
median of the per-round ratios to plain.

    python bench/pairs.py --pairs 10000 --repeats 7
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional


def build_pairs(n: int, seed: int = 0):
    """``n`` pairs (target Docs with their source side, a projection record and a sentence
    id) and the same target Docs without user data."""
    import spacy
    from spacy.tokens import Doc

    from spacy_xlt.corpora import SENTENCE_ID_KEY
    from spacy_xlt.labels import TokenSpan
    from spacy_xlt.pairs import PROJECTION_KEY, make_pair, set_doc_spans
    from spacy_xlt.pipes.util import projection_record
    from spacy_xlt.testing.text import generate_parallel

    en, es = spacy.blank("en").vocab, spacy.blank("es").vocab
    pairs, plain = [], []
    for i, ex in enumerate(generate_parallel(n, seed=seed)):
        source = set_doc_spans(Doc(en, words=ex.src_words), [TokenSpan(*s) for s in ex.src_spans])
        target = set_doc_spans(Doc(es, words=ex.tgt_words), [TokenSpan(*s) for s in ex.tgt_spans])
        plain.append(target.copy())
        plain[-1].user_data.clear()
        make_pair(source, target, source_lang="en")
        unaligned = [TokenSpan(*s) for s in ex.src_spans[-1:]]
        target.user_data[PROJECTION_KEY] = projection_record("alignment", unaligned, [])
        target.user_data[SENTENCE_ID_KEY] = f"s{i}"
        pairs.append(target)
    return pairs, plain


def old_write(docs, path: Path) -> None:
    """How ``write_docs`` wrote pairs before: spaCy packs each Doc's user data itself."""
    from spacy.tokens import DocBin

    from spacy_xlt.io import write_bytes

    write_bytes(path, DocBin(docs=docs, store_user_data=True).to_bytes())


def old_read(path: Path, vocab) -> List:
    """How ``read_docs`` read pairs before: ``DocBin.get_docs`` decodes each Doc's user data
    with ``srsly.msgpack_loads``."""
    from spacy_xlt.io import read_docbin

    return list(read_docbin(path).get_docs(vocab))


def run(n: int, repeats: int, folder: Path) -> Dict[str, Dict[str, float]]:
    from spacy.vocab import Vocab

    from spacy_xlt.pairs import read_docs, write_docs

    pairs, plain = build_pairs(n)
    new_file, old_file, plain_file = folder / "pairs.spacy", folder / "old.spacy", folder / "plain.spacy"
    vocab = Vocab()

    def read_with_source():
        return [doc._.xlt_source for doc in read_docs(new_file, vocab)]

    cases: Dict[str, Callable[[], object]] = {
        "write pairs": lambda: write_docs(pairs, new_file),
        "write old pairs": lambda: old_write(pairs, old_file),
        "write plain": lambda: write_docs(plain, plain_file),
    }
    for case in cases.values():  # the files to read, and a warm-up
        case()
    same = new_file.read_bytes() == old_file.read_bytes()
    cases.update(
        {
            "read pairs": lambda: list(read_docs(new_file, vocab)),
            "read old file": lambda: list(read_docs(old_file, vocab)),
            "read old pairs (old reader)": lambda: old_read(old_file, vocab),
            "read plain": lambda: list(read_docs(plain_file, vocab)),
            "read pairs + source": read_with_source,
        }
    )
    for name in list(cases)[3:]:  # warm-up: every string in the vocab
        cases[name]()
    check(read_docs(new_file, vocab), pairs)
    check(read_docs(old_file, vocab), pairs)

    names = list(cases)
    times: Dict[str, List[float]] = {name: [] for name in names}
    for r in range(repeats):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            gc.collect()
            start = time.perf_counter()
            cases[name]()
            times[name].append(time.perf_counter() - start)
        print(f"  round {r + 1}/{repeats}", file=sys.stderr, flush=True)
    rows: Dict[str, Dict[str, float]] = {}
    for name in names:
        base = "write plain" if name.startswith("write") else "read plain"
        ratios = [b / t for t, b in zip(times[name], times[base])]
        rows[name] = {
            "docs_per_s": n / statistics.median(times[name]),
            "ratio_to_plain": statistics.median(ratios),
            "min_ratio": min(ratios),
        }
    rows["_"] = {"pairs": n, "repeats": repeats, "new_bytes_equal_old": float(same)}
    return rows


def check(docs, pairs) -> None:
    """The read pairs are the written ones: words, entities, user data (lists as tuples)."""
    from spacy_xlt.pairs import doc_spans, source_spans

    def tuples(x):
        if isinstance(x, dict):
            return {k: tuples(v) for k, v in x.items()}
        if isinstance(x, (list, tuple)):
            return tuple(tuples(v) for v in x)
        return x

    docs = list(docs)
    assert len(docs) == len(pairs)
    for a, b in zip(docs, pairs):
        assert [t.text for t in a] == [t.text for t in b] and doc_spans(a) == doc_spans(b)
        assert a.user_data == tuples(b.user_data) and source_spans(a) == source_spans(b)


def main(argv: Optional[List[str]] = None) -> Dict[str, Dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=10000)
    parser.add_argument("--repeats", type=int, default=7, help="rounds of every case, interleaved")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        rows = run(args.pairs, args.repeats, Path(tmp))
    meta = rows.pop("_")
    print(f"{args.pairs} pairs, {args.repeats} interleaved rounds (median docs/s; ratio: median of per-round ratios, min)")
    print(f"new pair file bytes == old pair file bytes: {bool(meta['new_bytes_equal_old'])}")
    print(f"{'case':<30}{'docs/s':>10}{'x plain':>10}{'min':>8}")
    for name, row in rows.items():
        print(f"{name:<30}{row['docs_per_s']:>10.0f}{row['ratio_to_plain']:>10.2f}{row['min_ratio']:>8.2f}")
    if args.json:
        Path(args.json).write_text(json.dumps({"meta": meta, "rows": rows}, indent=2) + "\n")
    return rows


if __name__ == "__main__":
    main()
