"""Sentence pairs per second of the word aligners on CPU, measured side by side in one run.

    python bench/alignment.py                 # ~1-2 minutes on 2 busy cores
    python bench/alignment.py --pairs 128 --medium-pairs 32 --json bench_alignment.json

Encoders are random (spacy_xlt.testing, offline, built once into its cache):
  tiny    BERT-like, hidden 32, 2 layers, layer 2 (what the tests use);
  medium  BERT-like, hidden 768, 12 heads, FFN 3072, 8 layers, layer 8: the compute of
          mBERT-base up to SimAlign's/AWESOME's layer 8 (HFEncoder never runs the layers
          above the one it reads), with a small vocabulary.
Aligners: SimAlign argmax / itermax / match (cosine of word vectors), AWESOME softmax
threshold (piece level), and the statistical aligner when spacy_xlt.projection.statistical
is importable (its time includes training on the pairs, as it is used).

"pairs/s" is end to end (embedding both sides included; wall clock, best of the rounds,
aligners timed round-robin); "pairs/CPU-s" divides by the process CPU time of that run
instead, which a busy shared machine distorts less; "extraction pairs/s" is the same
aligner fed precomputed vectors, i.e. the numpy algorithm alone. Sentence pairs are
generated en->es pairs (spacy_xlt.testing.generate_parallel). Ratios are against the first
row (tiny, argmax, end-to-end) of the same run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any, Callable, Dict, List, Optional

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np  # noqa: E402

MEDIUM = dict(size="medium", d_model=768, layers=8, heads=12, ffn=3072)


class Precomputed:
    """An encoder that replays vectors computed once, to time extraction alone."""

    def __init__(self, encoder: Any, word_lists: List[List[str]]) -> None:
        self.vectors = encoder.embed(word_lists)
        self.pieces = encoder.embed_pieces(word_lists)

    def embed(self, word_lists):
        return self.vectors[: len(word_lists)]

    def embed_pieces(self, word_lists):
        return self.pieces[: len(word_lists)]


def _timed(fn: Callable[[], Any]):
    """Wall-clock and process CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - wall, time.process_time() - cpu


def _row(label: str, name: str, n: int, wall: float, cpu: float, extract: Optional[float], links: float) -> Dict[str, Any]:
    return dict(
        encoder=label,
        aligner=name,
        pairs=n,
        seconds=wall,
        pairs_per_s=n / wall,
        pairs_per_cpu_s=n / cpu if cpu > 0 else None,
        extraction_pairs_per_s=n / extract if extract else None,
        links_per_pair=links,
    )


def bench_encoder(label: str, path: str, layer: int, pairs, repeats: int, batch_size: int) -> List[Dict[str, Any]]:
    """Every embedding aligner over one encoder, timed round-robin (best of ``repeats``
    rounds), so a load spike on a shared machine hits all of them alike."""
    from spacy_xlt.backends.encoder import HFEncoder
    from spacy_xlt.projection.embedding import EmbeddingAligner, SoftmaxAligner

    encoder = HFEncoder(path, layer=layer, batch_size=batch_size)
    encoder.load()
    encoder.embed([pairs[0][0]])  # warm-up
    lists = [list(s) for s, _ in pairs] + [list(t) for _, t in pairs]
    cached = Precomputed(encoder, lists)
    makers = {
        "argmax": lambda enc: EmbeddingAligner(enc, "argmax"),
        "itermax": lambda enc: EmbeddingAligner(enc, "itermax"),
        "match": lambda enc: EmbeddingAligner(enc, "match"),
        "softmax": lambda enc: SoftmaxAligner(enc),
    }
    best: Dict[str, tuple] = {}
    for _ in range(repeats):
        for name, make in makers.items():
            aligner = make(encoder)
            wall, cpu = _timed(lambda a=aligner: a.align(pairs))
            if name not in best or wall < best[name][0]:
                best[name] = (wall, cpu)
    rows = []
    for name, make in makers.items():
        extraction = make(cached)
        extract_s = min(_timed(lambda a=extraction: a.align(pairs))[0] for _ in range(3))
        links = sum(len(x) for x in extraction.align(pairs)) / len(pairs)
        wall, cpu = best[name]
        rows.append(_row(label, name, len(pairs), wall, cpu, extract_s, links))
        print(f"  {label:<7} {name:<9} {len(pairs) / wall:10.1f} pairs/s", file=sys.stderr)
    return rows


def bench_statistical(pairs, repeats: int) -> Optional[Dict[str, Any]]:
    """The statistical aligner, where the module exists; None (with a note) otherwise."""
    try:
        from spacy_xlt.projection.statistical import StatisticalAligner
    except ImportError as err:
        print(f"  statistical: skipped ({err})", file=sys.stderr)
        return None
    try:
        aligner = StatisticalAligner()
    except TypeError as err:  # constructor needs arguments this bench does not know
        print(f"  statistical: skipped (StatisticalAligner() failed: {err})", file=sys.stderr)
        return None
    best = min((_timed(lambda: aligner.align(pairs)) for _ in range(repeats)), key=lambda t: t[0])
    links = sum(len(x) for x in aligner.align(pairs)) / len(pairs)
    print(f"  statistical          {len(pairs) / best[0]:10.1f} pairs/s", file=sys.stderr)
    return _row("-", "statistical", len(pairs), best[0], best[1], None, links)


def main(argv: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=256, help="sentence pairs for tiny / statistical")
    parser.add_argument("--medium-pairs", type=int, default=32, help="sentence pairs for the medium encoder")
    parser.add_argument("--repeats", type=int, default=3, help="timed rounds (tiny, statistical); the best is kept")
    parser.add_argument("--medium-repeats", type=int, default=2, help="timed rounds for the medium encoder")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--no-medium", action="store_true")
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)

    import torch

    from spacy_xlt.testing import generate_parallel, get_tiny_model

    if args.threads:
        torch.set_num_threads(args.threads)
    n = max(args.pairs, args.medium_pairs)
    data = [(ex.src_words, ex.tgt_words) for ex in generate_parallel(n, "en", "es", seed=1)]
    words = np.mean([len(s) + len(t) for s, t in data]) / 2
    print(
        f"CPU: {os.cpu_count()} cores, torch {torch.__version__} with {torch.get_num_threads()} threads, "
        f"Python {platform.python_version()}; load average {os.getloadavg()[0]:.1f}; "
        f"generated en->es pairs, {words:.1f} words per sentence on average",
        file=sys.stderr,
    )
    rows = bench_encoder("tiny", str(get_tiny_model("bert")), 2, data[: args.pairs], args.repeats, args.batch_size)
    if not args.no_medium:
        print("  building / loading the medium encoder ...", file=sys.stderr)
        medium = str(get_tiny_model("bert", **MEDIUM))
        rows += bench_encoder("medium", medium, 8, data[: args.medium_pairs], args.medium_repeats, args.batch_size)
    stat = bench_statistical(data[: args.pairs], args.repeats)
    if stat:
        rows.append(stat)

    base = rows[0]["pairs_per_s"]
    header = (
        f"{'encoder':<8}{'aligner':<13}{'pairs':>6}{'pairs/s':>10}{'ratio':>8}{'pairs/CPU-s':>13}"
        f"{'extraction pairs/s':>20}{'links/pair':>12}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        extraction = row["extraction_pairs_per_s"]
        print(
            f"{row['encoder']:<8}{row['aligner']:<13}{row['pairs']:>6}{row['pairs_per_s']:>10.1f}"
            f"{row['pairs_per_s'] / base:>8.3f}{(row['pairs_per_cpu_s'] or 0):>13.1f}"
            f"{(f'{extraction:.0f}' if extraction else '-'):>20}"
            f"{row['links_per_pair']:>12.1f}"
        )
    if stat is None:
        print("statistical: not measured (spacy_xlt.projection.statistical not importable)")
    if args.json:
        with open(args.json, "w", encoding="utf8") as f:
            json.dump(rows, f, indent=1)
    return rows


if __name__ == "__main__":
    main()
