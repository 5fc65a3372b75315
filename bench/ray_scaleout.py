"""Scale-out on Ray: ``spacy xlt translate`` on a local Ray with N one-thread actors against one
process, on the same job, side by side in one run.

The job: ``--docs`` generated English sentences translated by a random NLLB-like model built
offline by ``spacy_xlt.testing`` (``--size tiny|small|medium``), ``--chunk-size`` sentences a
chunk, greedy or ``--beams`` beam search to ``--max-new-tokens``. Rows:

* **1 process, 1 thread**: ``translate_docs`` as ``spacy xlt translate`` runs it;
* **1 process, N threads**: the same with N torch threads (the CPU budget of the Ray run;
  ``--skip-threads`` leaves it out: on a CPU shared with other jobs torch's thread pool
  waits on its slowest thread, and this row can take many times the others);
* **Ray, N actors**: ``translate_docs(ray=...)`` on ``ray.init(num_cpus=N)``, each actor
  one torch thread, its start (a new process importing spaCy and torch, loading the model)
  included; **Ray start + 1 chunk each** is a run of one chunk per actor, and **Ray, N
  actors, after start** the other docs over the difference of the two: the throughput of
  a long job.

Every output is checked to be the single-process output, byte for byte. The model and the
sentences are the same in every row; the times are wall-clock seconds of each run.

    python bench/ray_scaleout.py --size small --docs 400 --workers 2
    python bench/ray_scaleout.py --size medium --docs 320 --chunk-size 16 --workers 2 --skip-threads

On a CPU shared with other jobs the ratios move from run to run: read them from one run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="small", choices=["tiny", "small", "medium"])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--chunk-size", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--beams", type=int, default=1)
    parser.add_argument("--max-new-tokens", type=int, default=24)
    parser.add_argument("--workers", type=int, default=2, help="Ray actors (and CPUs of the local Ray)")
    parser.add_argument("--skip-threads", action="store_true", help="leave out the 1 process, N threads row")
    parser.add_argument("--cache-dir", default=None)
    parser.add_argument("--json", default=None, help="write the figures to this file too")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ["OMP_NUM_THREADS"] = "1"  # the actors' torch threads: one each
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

    import spacy
    import torch
    from spacy.tokens import DocBin

    from spacy_xlt.distributed import import_ray, ray_options
    from spacy_xlt.testing import detokenize, generate_parallel, get_tiny_model
    from spacy_xlt.translation import translate_docs

    ray = import_ray("bench/ray.py")
    model = get_tiny_model("nllb", Path(args.cache_dir) if args.cache_dir else None, size=args.size)
    work = Path(tempfile.mkdtemp(prefix="xlt_bench_ray_"))
    nlp = spacy.blank("en")
    texts = [detokenize(ex.src_words) for ex in generate_parallel(args.docs, "en", "es", seed=11)]
    DocBin(docs=[nlp(t) for t in texts]).to_disk(work / "src.spacy")
    DocBin(docs=[nlp(t) for t in texts[: args.chunk_size * args.workers]]).to_disk(work / "start.spacy")
    settings = dict(
        model=str(model), src="en", tgt="es", chunk_size=args.chunk_size, batch_size=args.batch_size,
        num_beams=args.beams, max_new_tokens=args.max_new_tokens, progress=False,
    )  # fmt: skip

    def run(name, threads, **extra):
        torch.set_num_threads(threads)
        out = work / f"{name}.spacy"
        start = time.perf_counter()
        counts = translate_docs(work / extra.pop("input", "src.spacy"), out, restart=True, **settings, **extra)
        return time.perf_counter() - start, out, counts

    rows = {}
    one, reference, _ = run("one", 1)
    rows["1 process, 1 thread"] = one
    same = {}
    if not args.skip_threads:
        threads, out, _ = run("threads", args.workers)
        rows[f"1 process, {args.workers} threads"] = threads
        same["threads"] = out.read_bytes() == reference.read_bytes()
    ray.init(num_cpus=args.workers, include_dashboard=False, log_to_driver=False)
    try:
        options = ray_options("auto", actors=args.workers, cpus_per_actor=1)
        on_ray, out, counts = run("ray", 1, ray=options)
        same["ray"] = out.read_bytes() == reference.read_bytes()
        rows[f"Ray, {counts['ray_actors']} actors"] = on_ray
        started, _, _ = run("started", 1, ray=options, input="start.spacy")
        rows["Ray start + 1 chunk each"] = started
        steady = f"Ray, {counts['ray_actors']} actors, after start"
        if on_ray > started:  # else the job is too short to tell
            rows[steady] = on_ray - started
    finally:
        ray.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    first = min(args.docs, args.chunk_size * args.workers)
    n_docs = {name: args.docs - first if name == steady else args.docs for name in rows}
    print(f"translate {args.docs} docs: NLLB-like {args.size}, chunks of {args.chunk_size}, "
          f"beams {args.beams}, max_new_tokens {args.max_new_tokens}, {os.cpu_count()} CPUs here")  # fmt: skip
    print(f"{'run':<36} {'seconds':>8} {'docs/s':>8} {'vs 1 process':>13}")
    for name, seconds in rows.items():
        if name.startswith("Ray start"):
            print(f"{name:<36} {seconds:8.1f}")
            continue
        rate = n_docs[name] / seconds
        print(f"{name:<36} {seconds:8.1f} {rate:8.1f} {rate / (args.docs / one):12.2f}x")
    print("outputs equal to the 1-process output, byte for byte:", same)
    if args.json:
        Path(args.json).write_text(json.dumps({"args": vars(args), "seconds": rows, "same": same}, indent=2))
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
