"""Constrained vs unconstrained generation: same model, inputs, beams and number of steps.

    python bench/constrained_decoding.py                   # tiny + medium mT5-like, beams 4
    python bench/constrained_decoding.py --sizes tiny --kinds mt5,causal_lm --beams 1,4
    python bench/constrained_decoding.py --mt5-vocab       # medium with mT5's 250,112 rows

Models are random (spacy_xlt.testing, offline, built once into its cache): ``tiny`` (d_model
32, 2+2 layers, what the tests use) and ``medium`` (d_model 512, 6+6 layers, 8 heads, FFN 2048).
The tag tokens are added to the vocabulary. Inputs are generated sentences in seven
languages (``generate_corpus``), tagged in batches of ``--batch-size``.

Each batch is first decoded constrained (the ``ConstrainedLogitsProcessor``); the unconstrained
run then gets ``min_new_tokens = max_new_tokens =`` the number of steps the constrained run took
(beam search may run past the length of its best output), so both run exactly the same
decoder steps and the ratio is the cost of the constraint alone.
Times are wall clock, the best of ``--rounds`` rounds, the two modes alternating; the CPU
time of the process is reported too (a shared machine distorts it less).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from typing import Any, Dict, List

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

LABELS = ["PER", "LOC", "ORG"]


def _batches(n: int, batch_size: int) -> List[List[List[str]]]:
    from spacy_xlt.testing import generate_corpus

    lines = [
        line for line in generate_corpus(3 * n, seed=11) if "<" not in line and "[None]" not in line
    ]
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


def _run(codec, batches, num_beams: int, constrained: bool, steps: List[int]):
    from spacy_xlt.decoding.processor import ConstrainedLogitsProcessor

    model = codec.model
    out_steps = []
    for b, words in enumerate(batches):
        inputs = [codec.input_ids(w) for w in words]
        if constrained:
            automata = [codec.automaton(w) for w in words]
            made = []

            def processor_for(rows, automata=automata, made=made):
                made.append(ConstrainedLogitsProcessor([automata[r] for r in rows], num_beams, codec.end_ids))
                return made[-1]

            outs = model.generate_ids(
                inputs,
                max_new_tokens=codec.max_new_tokens(words),
                num_beams=num_beams,
                processor_for=processor_for,
            )
            for a, seqs in zip(automata, outs):
                a.parse(seqs[0])  # every output is a complete tagging (raises otherwise)
            out_steps.append(sum(proc.steps for proc in made))
        else:
            _generate_fixed(model, inputs, steps[b], num_beams)
            out_steps.append(steps[b])
    return out_steps


def _generate_fixed(model, inputs, n_steps: int, num_beams: int):
    """Unconstrained generation for exactly ``n_steps`` new ids (EOS suppressed until then)."""
    import torch
    from transformers import GenerationConfig

    ids, mask = model.pad(inputs, model.pad_id)
    config = GenerationConfig(
        max_new_tokens=n_steps,
        min_new_tokens=n_steps,
        num_beams=num_beams,
        do_sample=False,
        length_penalty=1.0,
        eos_token_id=model.eos_id,
        pad_token_id=model.pad_id,
        decoder_start_token_id=getattr(model.model.config, "decoder_start_token_id", None),
    )
    with torch.inference_mode():
        return model.model.generate(input_ids=ids, attention_mask=mask, generation_config=config)


def _timed(fn, *args):
    wall, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    return time.perf_counter() - wall, time.process_time() - cpu, result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="tiny,medium")
    parser.add_argument("--kinds", default="mt5")
    parser.add_argument("--beams", default="4")
    parser.add_argument("--sentences", type=int, default=32)
    parser.add_argument("--medium-sentences", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: leave)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--mt5-vocab", action="store_true", help="medium with 250,112 rows")
    parser.add_argument("--json", default=None, help="also write the rows to this file")
    args = parser.parse_args(argv)

    import torch

    if args.threads:
        torch.set_num_threads(args.threads)
    rows: List[Dict[str, Any]] = []
    print(
        f"# python {platform.python_version()}, torch {torch.__version__}, "
        f"{torch.get_num_threads()} threads, device {args.device}"
    )
    print("kind      size    vocab   beams  sents steps  unconstr_s  constr_s  ratio  cpu_ratio")
    for kind in args.kinds.split(","):
        for size in args.sizes.split(","):
            vocab = 250112 if (args.mt5_vocab and size == "medium" and kind == "mt5") else None
            codec = _load(kind, size, vocab, args.device)
            n = args.sentences if size == "tiny" else args.medium_sentences
            batches = _batches(n, args.batch_size)
            for beams in (int(b) for b in args.beams.split(",")):
                steps = _run(codec, batches, beams, True, [])  # warm-up, and the step counts
                _run(codec, batches, beams, False, steps)
                best = {True: (1e9, 1e9), False: (1e9, 1e9)}
                for _ in range(args.rounds):
                    for constrained in (False, True):
                        wall, cpu, _ = _timed(_run, codec, batches, beams, constrained, steps)
                        best[constrained] = (
                            min(best[constrained][0], wall),
                            min(best[constrained][1], cpu),
                        )
                row = {
                    "kind": kind,
                    "size": size,
                    "vocab": int(codec.model.model.get_output_embeddings().weight.shape[0]),
                    "num_beams": beams,
                    "sentences": n,
                    "steps": sum(steps),
                    "unconstrained_s": round(best[False][0], 3),
                    "constrained_s": round(best[True][0], 3),
                    "ratio": round(best[True][0] / best[False][0], 3),
                    "cpu_ratio": round(best[True][1] / best[False][1], 3),
                }
                rows.append(row)
                print(
                    f"{kind:9} {size:7} {row['vocab']:<7} {beams:<6} {n:<5} {row['steps']:<6} "
                    f"{row['unconstrained_s']:<11} {row['constrained_s']:<9} "
                    f"{row['ratio']:<6} {row['cpu_ratio']}",
                    flush=True,
                )
    if args.json:
        with open(args.json, "w", encoding="utf8") as f:
            json.dump(rows, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
