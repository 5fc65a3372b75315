"""CTranslate2 against Hugging Face ``generate`` on the same random weights, side by side.

For each model size (``spacy_xlt.testing``'s random NLLB-like translator and mT5-like
generator, built offline), three tasks, each timed for the Hugging Face backend and for the
CTranslate2 one in each of ``--ct2-types`` (float32 and int8 unless told), in rounds that
alternate the engines (the best round of each is kept, so a busy neighbour on a shared CPU
slows every engine alike):

* **translate**: ``Translator.translate`` vs ``spacy_xlt.CT2Translator.v1`` (sentences per
  second; beam search, ``--beams``, up to ``--max-new-tokens``);
* **score**: forced-decoding ``score`` of (sentence, translation-like target) pairs (pairs per
  second);
* **candidates**: T-Projection's generator, ``Seq2SeqGenerator.generate`` vs
  ``spacy_xlt.CT2Generator.v1`` (``--gen-beams`` sequences per input, inputs per second).

"same" compares the outputs with the Hugging Face ones: translations (and inputs whose every
candidate, in order) that are identical, out of all; for scores the largest absolute
difference. In float32 a translation differs only where two beams tie to ~1e-5 in log-
probability and rounding picks the other one (measured on the tiny model: 63/64, the one
difference a tie at 1e-5 that a float64 beam search settles CTranslate2's way). The ratio is CT2 throughput
over Hugging Face throughput. Random models rarely end a sequence, so most run to
``--max-new-tokens``: the decoding work per sentence is fixed and alike for every engine.

    python bench/ct2.py                          # tiny and medium, one thread each
    python bench/ct2.py --sizes medium --threads 2 --json ct2.json
    python bench/ct2.py --sizes medium --device cuda --hf-dtype float16 --ct2-types float16

On a GPU (``--device cuda`` or ``cuda:N``) give the Hugging Face side the half precision
that CTranslate2 runs in (``--hf-dtype float16`` against ``--ct2-types float16``, or both
bfloat16): the ratio is then one engine against the other at the same precision.

torch and CTranslate2 get the same number of threads (``--threads``; ``intra_threads``). On a
shared, busy CPU keep one: with two threads on two busy cores both engines ran 10x slower.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional


def sentences(n: int, seed: int) -> List[str]:
    from spacy_xlt.testing import generate_parallel

    return [" ".join(ex.src_words) for ex in generate_parallel(n, "en", "es", seed=seed)]


def generator_inputs(n: int, seed: int) -> List[str]:
    """T-Projection generator inputs: the target sentence, then one placeholder per span."""
    from spacy_xlt.testing import generate_parallel

    out = []
    for ex in generate_parallel(n, "en", "es", seed=seed):
        marks = "".join(f"<{label}>[None]</{label}>" for _, _, label in sorted(ex.src_spans))
        out.append(" ".join(ex.tgt_words) + " " + marks)
    return out


def best_times(runs: Dict[str, Callable[[], Any]], repeats: int) -> Dict[str, tuple]:
    """name -> (best seconds, output of the last run); engines alternate within each round."""
    best: Dict[str, float] = {}
    outputs: Dict[str, Any] = {}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            outputs[name] = run()
            seconds = time.perf_counter() - start
            best[name] = min(seconds, best.get(name, seconds))
    return {name: (best[name], outputs[name]) for name in runs}


def bench_size(size: str, args) -> List[Dict[str, Any]]:

    from spacy_xlt.backends.ct2 import CT2Generator, CT2Translator
    from spacy_xlt.backends.generator import Seq2SeqGenerator
    from spacy_xlt.backends.translator import Translator
    from spacy_xlt.testing import get_tiny_model

    cache = Path(args.cache_dir) if args.cache_dir else None
    nllb = str(get_tiny_model("nllb", cache, size=size))
    mt5 = str(get_tiny_model("mt5", cache, size=size))
    common = {
        "max_new_tokens": args.max_new_tokens,
        "batch_size": args.batch_size,
        "num_beams": args.beams,
        "device": args.device,
    }
    ct2 = {"intra_threads": args.threads}
    kinds = ct2_types(args)
    import transformers  # noqa: F401  (imported before the load timings)

    load_seconds = {}
    translators = {}
    makers: Dict[str, Callable[[], Any]] = {"hf": lambda: Translator(nllb, dtype=args.hf_dtype, **common)}
    for kind in kinds:
        makers[f"ct2_{kind}"] = lambda kind=kind: CT2Translator(nllb, compute_type=kind, **common, **ct2)
    for name, make in makers.items():
        start = time.perf_counter()
        backend = make()
        backend.load()
        load_seconds[name] = time.perf_counter() - start
        translators[name] = backend
    gen_settings = {
        "max_new_tokens": args.gen_max_new_tokens,
        "batch_size": args.gen_batch_size,
        "device": args.device,
    }
    generators = {"hf": Seq2SeqGenerator(mt5, dtype=args.hf_dtype, **gen_settings)}
    for kind in kinds:
        generators[f"ct2_{kind}"] = CT2Generator(mt5, compute_type=kind, **gen_settings, **ct2)
    for backend in generators.values():
        backend.load()

    texts = sentences(args.sentences, seed=1)
    sources = sentences(args.score_pairs, seed=2)
    targets = sentences(args.score_pairs, seed=3)
    inputs = generator_inputs(args.gen_inputs, seed=4)
    rows = []

    timed = best_times(
        {k: (lambda t=t: t.translate(texts, "en", "es")) for k, t in translators.items()}, args.repeats
    )
    rows.append(row(size, "translate", len(texts), "sentences", timed, identical, kinds))
    timed = best_times(
        {k: (lambda t=t: t.score(sources, targets, "en", "es")) for k, t in translators.items()},
        args.repeats,
    )
    rows.append(
        row(size, "score", len(sources), "pairs", timed, score_difference, kinds)
    )
    timed = best_times(
        {k: (lambda g=g: g.generate(inputs, args.gen_beams)) for k, g in generators.items()},
        args.repeats,
    )
    rows.append(row(size, "candidates", len(inputs), "inputs", timed, identical, kinds))
    for r in rows:
        r["load_s"] = {k: round(v, 2) for k, v in load_seconds.items()} if r["task"] == "translate" else None
    return rows


def identical(got: list, expected: list) -> str:
    """How many outputs equal the Hugging Face ones (a candidate list: all its beams, in order)."""
    return f"{sum(a == b for a, b in zip(got, expected))}/{len(expected)}"


def score_difference(got, expected) -> float:
    """The largest absolute difference of two arrays of scores."""
    import numpy as np

    return float(np.abs(np.asarray(got, dtype=np.float64) - np.asarray(expected, dtype=np.float64)).max())


def ct2_types(args) -> List[str]:
    """The CTranslate2 compute types of ``--ct2-types``, checked against the backend's."""
    from spacy_xlt.backends.ct2 import COMPUTE_TYPES

    kinds = [k.strip() for k in args.ct2_types.split(",") if k.strip()]
    unknown = [k for k in kinds if k not in COMPUTE_TYPES]
    if not kinds or unknown:
        sys.exit(f"--ct2-types: {unknown or 'none given'}; options: {', '.join(COMPUTE_TYPES)}")
    return kinds


def row(size, task, n, unit, timed, same, kinds) -> Dict[str, Any]:
    hf_s, hf_out = timed["hf"]
    out: Dict[str, Any] = {"size": size, "task": task, "n": n, "unit": unit, "hf_s": round(hf_s, 3)}
    out["ct2_types"] = list(kinds)
    for kind in kinds:
        seconds, output = timed[f"ct2_{kind}"]
        out[f"ct2_{kind}_s"] = round(seconds, 3)
        out[f"ratio_{kind}"] = round(hf_s / seconds, 2)
        out[f"same_{kind}"] = same(output, hf_out)
    return out


def print_table(rows: List[Dict[str, Any]], args) -> None:
    print(
        f"device {args.device}, HF {args.hf_dtype}, threads {args.threads}, translate beams "
        f"{args.beams}, max_new_tokens {args.max_new_tokens}; candidates beams {args.gen_beams}, "
        f"max_new_tokens {args.gen_max_new_tokens}; best of {args.repeats}"
    )
    kinds = rows[0]["ct2_types"] if rows else []
    header = ["size", "task", "n", "HF /s"]
    for kind in kinds:
        header += [f"CT2 {kind} /s", f"{kind} x", f"{kind} same"]
    lines = [header]
    for r in rows:
        n = r["n"]

        def same(value):
            return f"{value:.1e}" if isinstance(value, float) else str(value)

        line = [r["size"], r["task"], f"{n} {r['unit']}", f"{n / r['hf_s']:.1f}"]
        for kind in kinds:
            line += [
                f"{n / r[f'ct2_{kind}_s']:.1f}",
                f"{r[f'ratio_{kind}']:.2f}",
                same(r[f"same_{kind}"]),
            ]
        lines.append(line)
    widths = [max(len(str(line[i])) for line in lines) for i in range(len(header))]
    for k, line in enumerate(lines):
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths)))
        if k == 0:
            print("  ".join("-" * w for w in widths))
    for r in rows:
        if r.get("load_s"):
            print(f"{r['size']}: load (HF) / load + convert (CT2) seconds: {r['load_s']}")


def main(argv: Optional[List[str]] = None) -> List[Dict[str, Any]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="tiny,medium")
    parser.add_argument("--sentences", type=int, default=64, help="sentences translated")
    parser.add_argument("--score-pairs", type=int, default=256, help="pairs scored")
    parser.add_argument("--gen-inputs", type=int, default=32, help="generator inputs")
    parser.add_argument("--beams", type=int, default=4, help="translate beam size (Translator's default)")
    parser.add_argument("--gen-beams", type=int, default=16, help="candidates per input (xlt_tprojection's default)")
    parser.add_argument("--max-new-tokens", type=int, default=32)
    parser.add_argument("--gen-max-new-tokens", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=32, help="translator batch size")
    parser.add_argument("--gen-batch-size", type=int, default=8, help="generator batch size")
    parser.add_argument("--threads", type=int, default=1, help="torch threads and CTranslate2 intra_threads")
    parser.add_argument("--repeats", type=int, default=3, help="rounds; the best of each engine is kept")
    parser.add_argument("--cache-dir", default=None, help="where the random models are built")
    parser.add_argument("--device", default="cpu", help="cpu, cuda or cuda:N (both engines)")
    parser.add_argument(
        "--hf-dtype", default="float32", help="the Hugging Face side: float32, float16 or bfloat16"
    )
    parser.add_argument(
        "--ct2-types", default="float32,int8", help="CTranslate2 compute types, one column each"
    )
    parser.add_argument("--json", default=None, help="also write the rows to this JSON file")
    args = parser.parse_args(argv)

    import torch

    torch.set_num_threads(args.threads)
    rows: List[Dict[str, Any]] = []
    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        rows.extend(bench_size(size, args))
    print_table(rows, args)
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=2), encoding="utf8")
    return rows


if __name__ == "__main__":
    main(sys.argv[1:])
