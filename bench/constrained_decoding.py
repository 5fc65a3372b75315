"""Constrained vs unconstrained generation: same model, inputs, beams and number of steps.

    python bench/constrained_decoding.py                   # tiny + medium mT5-like, beams 4
    python bench/constrained_decoding.py --sizes tiny --kinds mt5,causal_lm --beams 1,4
    python bench/constrained_decoding.py --mt5-vocab       # medium with mT5's 250,112 rows
    python bench/constrained_decoding.py --sizes tiny --words 10,40,120   # cost per step vs length

Models are random (spacy_xlt.testing, offline, built once into its cache): ``tiny`` (d_model
32, 2+2 layers, what the tests use) and ``medium`` (d_model 512, 6+6 layers, 8 heads, FFN 2048).
The tag tokens are added to the vocabulary. Inputs are generated sentences in seven
languages (``generate_corpus``), tagged in batches of ``--batch-size``; ``--words N,...`` makes
them sentences of exactly N words each (the corpus' words run together), one row per N
(``corpus``: the sentences as generated).

Each batch is first decoded constrained (the ``ConstrainedLogitsProcessor``); the unconstrained
run then gets ``min_new_tokens =`` the number of steps the constrained run took (beam search
may run past the length of its best output) and a stopping criterion there, with the same
``max_new_tokens`` (the budget sizes beam search's buffers, which it gathers whole at every
step), so both run exactly the same decoder steps on the same buffers and the ratio is the
cost of the constraint alone.
Every row times each processor method of ``--methods`` (``incremental``: state kept per row,
flat cost per step; ``prefix``: the reference, every row's prefix copied each step) side by
side in the same run; both must take the same steps (they mask the same ids). ``proc_ms`` is
the processor's own time per decoding step (all rows of a batch): each call's least time over
the rounds (the calls are the same every round), summed, over the steps; so a call that
another process or a collection of the garbage collector held up in one round does not
count. ``raw_ms``: the same from the round whose calls took least in all (noise included).
``warm_ms``: the same for each call repeated at once on a second processor (two untimed
passes): the processor's work with its code and data in the caches, which the model's
forward pass leaves cold for the first call (measured here: a first numpy operation in a
call costs some 25 us, the next ones 1 us). The second processor shares the automata, so for
a method that builds states while decoding (``prefix``) it finds them built: its warm_ms
leaves that building out. ``ratio`` is the end-to-end constrained / unconstrained wall
time (the outputs are checked to be complete taggings in the untimed warm-up runs only:
the unconstrained side parses nothing); after the rows, ``flat`` gives
each method's proc_ms and warm_ms at the longest ``--words`` over those at the shortest.
Times are wall clock, the modes alternating batch by batch (in an order rotated every
round). ``unconstr_s`` and ``constr_s``: each batch's least time over ``--rounds`` rounds,
summed over the batches; ``least_ratio`` is their ratio. ``ratio`` is the median over the
rounds of each round's constrained / unconstrained time (its batches summed: the two modes
ran next to each other), ``lo``-``hi`` the least and greatest of those; ``cpu_ratio`` the
same median for the CPU time of the process. The paired median is the figure to read on a
shared machine: there a run now and then comes out far faster than the ones around it (on
this 2-core VM: single runs of one batch from 1.41 to 1.98 s, paired ratios from 0.73 to
1.08 in one series), and a least time over a few rounds is then the luck of which mode got
such a run, while a paired median is not moved by one.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from typing import Any, Dict, List

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

LABELS = ["PER", "LOC", "ORG"]


def _batches(n: int, batch_size: int, n_words: int = 0) -> List[List[List[str]]]:
    """``n`` sentences in batches; of exactly ``n_words`` words each unless that is 0."""
    from spacy_xlt.testing import generate_corpus

    lines = [
        line
        for line in generate_corpus(3 * n * max(1, n_words // 4), seed=11)
        if "<" not in line and "[None]" not in line
    ]
    if n_words:
        stream = [w for line in lines for w in line.split()]
        words = [stream[i * n_words : (i + 1) * n_words] for i in range(n)]
        assert all(len(w) == n_words for w in words), "corpus too small"
    else:
        words = [line.split() for line in lines[:n]]
    words.sort(key=len)  # as the tagger batches: by length
    return [words[i : i + batch_size] for i in range(0, len(words), batch_size)]


def _load(kind: str, size: str, vocab: Any, device: str):
    from spacy_xlt.backends.text2text import Text2TextModel
    from spacy_xlt.decoding.tagging import TagCodec
    from spacy_xlt.testing import get_tiny_model

    path = get_tiny_model(kind, size=size, model_vocab_size=vocab)
    # one generate() call per benchmark batch: the benchmark makes its own batches
    model = Text2TextModel(str(path), device=device, batch_size=1 << 20)
    model.load()
    model.add_tokens(list(TagCodec(model, LABELS).tag_ids))
    return TagCodec(model, LABELS)


def _timed_processor(method: str, automata, num_beams: int, fallback_ids, warm: bool = False):
    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    class Timed(ConstrainedLogitsProcessor):
        """The processor, recording the time of each of its calls (``warm``: of the same
        call on a second processor right after it, whose caches the first one warmed)."""

        def __call__(self, input_ids, scores):
            t = time.perf_counter()
            out = super().__call__(input_ids, scores)
            self.seconds.append(time.perf_counter() - t)
            if self.shadow is not None:
                t = time.perf_counter()
                self.shadow(input_ids, scores)
                self.seconds[-1] = time.perf_counter() - t
            return out

    processor = Timed(automata, num_beams, fallback_ids, method=method)
    processor.seconds = []
    processor.shadow = (
        ConstrainedLogitsProcessor(automata, num_beams, fallback_ids, method=method) if warm else None
    )
    return processor


def _run(codec, batches, num_beams: int, method: str, steps: List[int], seconds=None, warm=False):
    """Decode every batch; ``method`` None: unconstrained, for ``steps[b]`` steps each.

    Returns the steps of each batch; appends the time of each processor call to
    ``seconds``."""
    model = codec.model
    out_steps = []
    for b, words in enumerate(batches):
        inputs = [codec.input_ids(w) for w in words]
        if method is not None:
            automata = [codec.automaton(w) for w in words]
            made = []

            def processor_for(rows, automata=automata, made=made):
                made.append(
                    _timed_processor(
                        method, [automata[r] for r in rows], num_beams, codec.end_ids, warm
                    )
                )
                return made[-1]

            outs = model.generate_ids(
                inputs,
                max_new_tokens=codec.max_new_tokens(words),
                num_beams=num_beams,
                processor_for=processor_for,
            )
            if seconds is None:  # untimed runs (the unconstrained side parses nothing)
                for a, seqs in zip(automata, outs):
                    a.parse(seqs[0])  # every output is a complete tagging (raises otherwise)
            out_steps.append(sum(proc.steps for proc in made))
            if seconds is not None:
                for proc in made:
                    seconds.extend(proc.seconds)
                    assert proc.resyncs == 0, "generate() rows that extend no previous row"
        else:
            _generate_fixed(model, inputs, steps[b], num_beams, codec.max_new_tokens(words))
            out_steps.append(steps[b])
    return out_steps


def _generate_fixed(model, inputs, n_steps: int, num_beams: int, max_new_tokens: int):
    """Unconstrained generation of exactly ``n_steps`` new ids (EOS suppressed until then),
    with the constrained run's ``max_new_tokens``: beam search keeps its sequences in
    buffers of the full length and gathers them whole at every step, so the budget, not
    only the steps, sets the cost of a step (the unconstrained tagger has the same budget)."""
    import torch
    from transformers import GenerationConfig, StoppingCriteria, StoppingCriteriaList

    class StopAfter(StoppingCriteria):
        def __init__(self, length: int):
            self.length = length

        def __call__(self, input_ids, scores, **kwargs):
            done = input_ids.shape[1] >= self.length
            return torch.full((input_ids.shape[0],), done, dtype=torch.bool, device=input_ids.device)

    ids, mask = model.pad(inputs, model.pad_id)
    start = 1 if model.is_encoder_decoder else ids.shape[1]
    config = GenerationConfig(
        max_new_tokens=max(max_new_tokens, n_steps),
        min_new_tokens=n_steps,
        num_beams=num_beams,
        do_sample=False,
        length_penalty=1.0,
        eos_token_id=model.eos_id,
        pad_token_id=model.pad_id,
        decoder_start_token_id=getattr(model.model.config, "decoder_start_token_id", None),
    )
    with torch.inference_mode():
        out = model.model.generate(
            input_ids=ids,
            attention_mask=mask,
            generation_config=config,
            stopping_criteria=StoppingCriteriaList([StopAfter(start + n_steps)]),
        )
    assert out.shape[1] == start + n_steps, (out.shape, start, n_steps)
    return out.cpu()  # as the constrained side reads its ids back (on a GPU: waits for it)


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--sizes", default="tiny,medium")
    parser.add_argument("--kinds", default="mt5")
    parser.add_argument("--beams", default="4")
    parser.add_argument(
        "--words", default="corpus", help="words per sentence, one row each (corpus: as generated)"
    )
    parser.add_argument(
        "--methods", default="incremental,prefix", help="processor methods, timed side by side"
    )
    parser.add_argument("--sentences", type=int, default=32)
    parser.add_argument("--medium-sentences", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: leave)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--mt5-vocab", action="store_true", help="medium with 250,112 rows")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    methods = args.methods.split(",")
    lengths = [0 if w == "corpus" else int(w) for w in args.words.split(",")]
    rows: List[Dict[str, Any]] = []
    print(
        f"# python {platform.python_version()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, device {args.device}"
    )
    print(
        "kind      size    vocab   beams  words  sents steps  method       proc_ms  raw_ms   warm_ms  "
        "unconstr_s  constr_s  ratio  lo-hi        least_ratio  cpu_ratio"
    )
    for kind in args.kinds.split(","):
        for size in args.sizes.split(","):
            vocab = 250112 if (args.mt5_vocab and size == "medium" and kind == "mt5") else None
            codec = _load(kind, size, vocab, args.device)
            n = args.sentences if size == "tiny" else args.medium_sentences
            for beams in (int(b) for b in args.beams.split(",")):
                for n_words in lengths:
                    rows.extend(_measure(args, codec, kind, size, n, n_words, beams, methods))
    _print_flatness(rows, methods)
    if args.json:
        with open(args.json, "w", encoding="utf8") as f:
            json.dump(rows, f, indent=2)
    return 0


def _measure(args, codec, kind, size, n, n_words, beams, methods) -> List[Dict[str, Any]]:
    batches = _batches(n, args.batch_size, n_words)
    steps = _run(codec, batches, beams, methods[0], [])  # warm-up, and the step counts
    for method in methods[1:]:
        other = _run(codec, batches, beams, method, [])
        assert other == steps, f"{method} took other steps than {methods[0]}: {other} {steps}"
    _run(codec, batches, beams, None, steps)
    modes: List[Any] = [None] + methods
    inf = float("inf")
    # per mode and batch, the least wall and CPU time of any round; per mode and processor
    # call (the same calls every round), the least time of any round
    wall = {m: [inf] * len(batches) for m in modes}
    cpu = {m: [inf] * len(batches) for m in modes}
    calls: Dict[str, List[List[float]]] = {m: [[] for _ in batches] for m in methods}
    raw = {m: inf for m in methods}
    # per mode, each round's wall and CPU time (its batches summed)
    round_wall: Dict[Any, List[float]] = {m: [] for m in modes}
    round_cpu: Dict[Any, List[float]] = {m: [] for m in modes}
    for r in range(args.rounds):
        total = {m: 0.0 for m in methods}
        for m in modes:
            round_wall[m].append(0.0)
            round_cpu[m].append(0.0)
        for b, batch in enumerate(batches):
            for method in modes[r % len(modes) :] + modes[: r % len(modes)]:  # rotated
                seconds: List[float] = []
                w, c, _ = _timed(_run, codec, [batch], beams, method, [steps[b]], seconds)
                wall[method][b] = min(wall[method][b], w)
                cpu[method][b] = min(cpu[method][b], c)
                round_wall[method][-1] += w
                round_cpu[method][-1] += c
                if method is not None:
                    assert len(seconds) == steps[b]
                    least = calls[method][b] or seconds
                    calls[method][b] = list(map(min, zip(least, seconds)))
                    total[method] += sum(seconds)
        for method in methods:
            raw[method] = min(raw[method], total[method])
    # the processor's own work with warm caches: each call repeated on a second processor
    warm: Dict[str, List[List[float]]] = {m: [[] for _ in batches] for m in methods}
    for _ in range(2):
        for b, batch in enumerate(batches):
            for method in methods:
                seconds = []
                _run(codec, [batch], beams, method, [steps[b]], seconds, warm=True)
                least = warm[method][b] or seconds
                warm[method][b] = list(map(min, zip(least, seconds)))
    best = {m: (sum(wall[m]), sum(cpu[m])) for m in modes}
    out = []
    for method in methods:
        paired = [c / u for c, u in zip(round_wall[method], round_wall[None])]
        paired_cpu = [c / u for c, u in zip(round_cpu[method], round_cpu[None])]
        row = {
            "kind": kind,
            "size": size,
            "vocab": int(codec.model.model.get_output_embeddings().weight.shape[0]),
            "num_beams": beams,
            "words": n_words or "corpus",
            "sentences": n,
            "steps": sum(steps),
            "method": method,
            "proc_ms_per_step": round(1000 * sum(map(sum, calls[method])) / sum(steps), 4),
            "proc_raw_ms_per_step": round(1000 * raw[method] / sum(steps), 4),
            "proc_warm_ms_per_step": round(1000 * sum(map(sum, warm[method])) / sum(steps), 4),
            "unconstrained_s": round(best[None][0], 3),
            "constrained_s": round(best[method][0], 3),
            "ratio": round(statistics.median(paired), 3),
            "ratio_lo": round(min(paired), 3),
            "ratio_hi": round(max(paired), 3),
            "least_ratio": round(best[method][0] / best[None][0], 3),
            "cpu_ratio": round(statistics.median(paired_cpu), 3),
            "round_ratios": [round(x, 4) for x in paired],
        }
        out.append(row)
        print(
            f"{kind:9} {size:7} {row['vocab']:<7} {beams:<6} {str(row['words']):<6} {n:<5} "
            f"{row['steps']:<6} {method:12} {row['proc_ms_per_step']:<8} "
            f"{row['proc_raw_ms_per_step']:<8} {row['proc_warm_ms_per_step']:<8} "
            f"{row['unconstrained_s']:<11} {row['constrained_s']:<9} "
            f"{row['ratio']:<6} {row['ratio_lo']:.3f}-{row['ratio_hi']:<6.3f} "
            f"{row['least_ratio']:<12} {row['cpu_ratio']}",
            flush=True,
        )
    return out


def _print_flatness(rows: List[Dict[str, Any]], methods: List[str]) -> None:
    """Per method: proc_ms and warm_ms at the longest sentences over those at the shortest."""
    groups: Dict[Any, List[Dict[str, Any]]] = {}
    for row in rows:
        if row["words"] != "corpus":
            key = (row["kind"], row["size"], row["num_beams"], row["method"])
            groups.setdefault(key, []).append(row)
    for (kind, size, beams, method), group in groups.items():
        if len(group) < 2:
            continue
        group.sort(key=lambda r: r["words"])
        short, long = group[0], group[-1]
        print(
            f"# flat {kind} {size} beams {beams} {method}: {long['words']} words / "
            f"{short['words']} words: proc_ms "
            f"{long['proc_ms_per_step'] / short['proc_ms_per_step']:.2f}, warm_ms "
            f"{long['proc_warm_ms_per_step'] / short['proc_warm_ms_per_step']:.2f}"
        )


if __name__ == "__main__":
    sys.exit(main())
