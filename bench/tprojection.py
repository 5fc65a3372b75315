"""T-Projection throughput: pairs per second and translation-model work per pair.

Two stages, timed apart, on generated en->es pairs with random tiny or medium models built
offline by ``spacy_xlt.testing``:

* **candidates**: the mT5-like generator's beam search (``--beams`` sequences per pair);
* **scoring**: the NLLB-like translator's forced decoding. The candidate sets come from a
  ``TableGenerator`` that answers like a trained generator (each beam proposes, per
  placeholder, the gold span or a near miss: one token more, one less, shifted, the wrong
  entity), so that the scorer sees realistic candidate pools; a random generator proposes
  text that the filter mostly rejects, which would flatter both sides.

"ours" is ``spacy_xlt.projection.tprojection`` (every distinct probability once: the two
cross terms per distinct (span, candidate) pair, one self term per distinct string, cached
across the corpus, batched). "original" re-creates the published method's cost: 4 forced-
decoding sequences per (source span, candidate occurrence), no cache, with the same batching.
Sequences scored per pair is the translation-model work (a batch of B sequences is one
forward pass of B rows).

    python bench/tprojection.py --size tiny --pairs 400 --gen-pairs 20 --threads 1
    python bench/tprojection.py --size medium --pairs 100 --gen-pairs 8 --threads 1

On a shared CPU pass ``--threads 1``: torch's default thread pool, competing with other
processes, made the same runs 10-40x slower and the timings meaningless.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path


def near_misses(tokens, span, rng):
    """A trained generator's beam answers for one span: the gold text or a near miss."""
    start, end = span
    options = [(start, end)] * 3 + [
        (max(0, start - 1), end),
        (start, min(len(tokens), end + 1)),
        (min(start + 1, end - 1) if end - start > 1 else start, end),
        (min(len(tokens) - 1, start + 1), min(len(tokens), end + 1)),
    ]
    s, e = rng.choice(options)
    return " ".join(tokens[s:e])


def beam_outputs(ex, beams, rng, label_names):
    outs = []
    for _ in range(beams):
        parts = []
        for s, e, label in sorted(ex.src_spans):
            # the i-th placeholder is answered with a target span of the same label
            same = [t for t in ex.tgt_spans if t[2] == label] or [(s, e, label)]
            ts, te, _ = rng.choice(same)
            name = label_names.get(label, label)
            parts.append(f"<{name}>{near_misses(ex.tgt_words, (ts, te), rng)}</{name}>")
        outs.append("".join(parts))
    return outs


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="tiny", choices=["tiny", "small", "medium"])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--beams", type=int, default=16)
    parser.add_argument(
        "--gen-pairs",
        type=int,
        default=None,
        help="pairs for the generator timing (default: --pairs)",
    )
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--json", default=None, help="write the figures to this file too")
    args = parser.parse_args(argv)

    import torch

    from spacy_xlt.backends.generator import Seq2SeqGenerator
    from spacy_xlt.backends.translator import Translator
    from spacy_xlt.labels import DEFAULT_LABEL_NAMES, TokenSpan
    from spacy_xlt.projection.tprojection import (
        Item,
        TProjection,
        collect_candidates,
        generator_input,
    )
    from spacy_xlt.testing import TableGenerator, generate_parallel, get_tiny_model

    if args.threads:
        torch.set_num_threads(args.threads)
    cache = Path(args.cache_dir) if args.cache_dir else None
    mt5 = get_tiny_model("mt5", cache, size=args.size)
    nllb = get_tiny_model("nllb", cache, size=args.size)
    names = dict(DEFAULT_LABEL_NAMES, DATE="DATE")
    examples = generate_parallel(args.pairs, "en", "es", seed=7)
    rng = random.Random(0)
    items, table = [], {}
    for ex in examples:
        spans = [TokenSpan(*s) for s in ex.src_spans]
        items.append(Item(ex.src_words, spans, ex.tgt_words, "en", "es"))
        if spans:
            table[generator_input(ex.src_words, spans, ex.tgt_words)] = beam_outputs(
                ex, args.beams, rng, names
            )
    n_spans = sum(len(it.source_spans) for it in items)
    figures = {
        "size": args.size,
        "pairs": len(items),
        "source_spans": n_spans,
        "beams": args.beams,
        "device": args.device,
    }

    # --- candidates: real generator beam search ------------------------------------------
    gen = Seq2SeqGenerator(
        str(mt5), device=args.device, batch_size=args.batch_size // 4 or 1, max_new_tokens=32
    )
    gen.load()
    gen_items = items[: args.gen_pairs or len(items)]
    inputs = [
        generator_input(it.source_words, it.source_spans, it.target_words)
        for it in gen_items
        if it.source_spans
    ]
    t = time.perf_counter()
    gen.generate(inputs, num_beams=args.beams)
    gen_s = time.perf_counter() - t
    figures["generator_pairs_per_s"] = len(gen_items) / gen_s

    # --- scoring: ours -----------------------------------------------------------------------
    translator = Translator(str(nllb), device=args.device, batch_size=args.batch_size)
    translator.load()
    translator.score(
        ["warm up"] * 8, ["the model"] * 8, "en", "es"
    )  # first-call costs out of the timing
    translator.counts.clear()
    method = TProjection(TableGenerator(table), translator, num_beams=args.beams)
    t = time.perf_counter()
    for start in range(0, len(items), args.batch_size):
        method.project(items[start : start + args.batch_size])
    ours_s = time.perf_counter() - t
    ours_seqs = translator.counts["scored"]
    ours_batches = translator.counts["score_batches"]

    # --- scoring: the original's cost (4 sequences per span-candidate occurrence, no cache) --
    requests = []
    for it in items:
        if not it.source_spans:
            continue
        cands = collect_candidates(
            table[generator_input(it.source_words, it.source_spans, it.target_words)],
            list(it.target_words),
            [s.label for s in it.source_spans],
        )
        for span in it.source_spans:
            s_text = " ".join(it.source_words[span.start : span.end])
            for c in cands.get(span.label, []):
                requests.append((s_text, c.text))
    translator.counts.clear()
    t = time.perf_counter()
    for a_lang, b_lang, pick in (
        ("en", "es", lambda s, c: (s, c)),
        ("es", "es", lambda s, c: (c, c)),
        ("es", "en", lambda s, c: (c, s)),
        ("en", "en", lambda s, c: (s, s)),
    ):
        pairs = [pick(s, c) for s, c in requests]
        translator.score([p[0] for p in pairs], [p[1] for p in pairs], a_lang, b_lang)
    orig_s = time.perf_counter() - t
    orig_seqs = translator.counts["scored"]

    n = len(items)
    figures.update(
        {
            "span_candidate_occurrences": len(requests),
            "distinct_pairs": method.counts["distinct_pairs"],
            "ours_sequences_per_pair": ours_seqs / n,
            "original_sequences_per_pair": orig_seqs / n,
            "ours_forward_passes": ours_batches,
            "original_forward_passes": translator.counts["score_batches"],
            "ours_scoring_pairs_per_s": n / ours_s,
            "original_scoring_pairs_per_s": n / orig_s,
            "ours_total_pairs_per_s": n / (ours_s + gen_s * n / len(gen_items)),
            "original_total_pairs_per_s": n / (orig_s + gen_s * n / len(gen_items)),
            "projected": method.counts["projected"],
            "no_candidate": method.counts["no_candidate"],
            "conflict": method.counts["conflict"],
        }
    )
    width = max(len(k) for k in figures)
    for key, value in figures.items():
        print(
            f"{key:<{width}}  {value:.2f}"
            if isinstance(value, float)
            else f"{key:<{width}}  {value}"
        )
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n", encoding="utf8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
