"""glibc malloc settings (spacy_xlt.runtime.tune_malloc) against glibc's defaults: HF beam-search
translation on a CPU, each setting in its own process, interleaved, best of N.

    python bench/malloc.py [--size medium] [--sentences 32] [--beams 4] [--repeats 3] [--threads 1]

Prints seconds, minor page faults and kernel time of each run and the speed ratio
(tuned / default; > 1: tuning is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

RUN = """
import json, resource, sys, time
import torch
args = json.loads(sys.argv[1])
if args["tuned"]:
    from spacy_xlt.runtime import tune_malloc
    tune_malloc()
torch.set_num_threads(args["threads"])
from spacy_xlt.backends.translator import Translator
from spacy_xlt.testing import generate_parallel, get_tiny_model
t = Translator(str(get_tiny_model("nllb", size=args["size"])), num_beams=args["beams"], batch_size=args["n"], max_new_tokens=48)
t.load()
texts = [" ".join(ex.src_words) for ex in generate_parallel(args["n"], "en", "es", seed=5)]
t.translate(texts[:4], "en", "es")  # warm-up
before = resource.getrusage(resource.RUSAGE_SELF)
start = time.perf_counter()
t.translate(texts, "en", "es")
seconds = time.perf_counter() - start
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"seconds": seconds, "faults": after.ru_minflt - before.ru_minflt, "sys": after.ru_stime - before.ru_stime}))
"""


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", default="medium")
    parser.add_argument("--sentences", type=int, default=32)
    parser.add_argument("--beams", type=int, default=4)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    env = dict(os.environ, HF_HUB_OFFLINE="1", SPACY_XLT_MALLOC="")
    best = {}
    for r in range(args.repeats):
        for tuned in (False, True):
            spec = {"tuned": tuned, "size": args.size, "n": args.sentences, "beams": args.beams, "threads": args.threads}
            out = subprocess.run([sys.executable, "-c", RUN, json.dumps(spec)], capture_output=True, text=True, env=env, check=True)
            result = json.loads(out.stdout.strip().splitlines()[-1])
            name = "tuned" if tuned else "default"
            print(f"round {r + 1} {name:<8} {result['seconds']:7.2f} s  faults {result['faults']:>9,}  kernel {result['sys']:5.2f} s", flush=True)
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    ratio = best["default"]["seconds"] / best["tuned"]["seconds"]
    print(f"best of {args.repeats}: default {best['default']['seconds']:.2f} s, tuned {best['tuned']['seconds']:.2f} s: tuned is {ratio:.2f}x as fast")
    return 0


if __name__ == "__main__":
    sys.exit(main())
