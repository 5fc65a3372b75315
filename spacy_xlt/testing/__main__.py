"""``python -m spacy_xlt.testing build DIR [--kinds mt5,xlmr] [--size medium]``: prepare tiny
models for smoke runs and weasel projects (``DIR/mt5``, ``DIR/xlmr``, …)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import List, Optional

from .cache import get_tiny_model
from .models import KINDS, SIZES


def _kinds(value: str) -> List[str]:
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    if "all" in kinds:
        return list(KINDS)
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise argparse.ArgumentTypeError(
            f"unknown kind(s) {', '.join(bad)}; expected some of {', '.join(KINDS)} or 'all'"
        )
    return kinds


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m spacy_xlt.testing", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser(
        "build", help="build tiny random models (with real tokenizers) into DIR/<kind>"
    )
    build.add_argument("dir", help="output folder; models go to DIR/<kind>[-<size>…]")
    build.add_argument(
        "--kinds",
        type=_kinds,
        default=list(KINDS),
        help=f"comma-separated, default all: {','.join(KINDS)}",
    )
    build.add_argument("--size", choices=list(SIZES), default="tiny")
    build.add_argument("--seed", type=int, default=0)
    build.add_argument("--d-model", type=int, default=None)
    build.add_argument("--layers", type=int, default=None)
    build.add_argument("--heads", type=int, default=None)
    build.add_argument("--ffn", type=int, default=None)
    build.add_argument("--model-vocab-size", type=int, default=None)
    build.add_argument("--force", action="store_true", help="rebuild models that exist already")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    for kind in args.kinds:
        start = time.perf_counter()
        path = get_tiny_model(
            kind,
            args.dir,
            seed=args.seed,
            size=args.size,
            d_model=args.d_model,
            layers=args.layers,
            heads=args.heads,
            ffn=args.ffn,
            model_vocab_size=args.model_vocab_size,
            rebuild=args.force,
        )
        print(f"{kind}\t{time.perf_counter() - start:.2f}s\t{path}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
