"""Translate-test's cost per Doc (``xlt_translate_test``), against translating the same Docs.

The same generated target sentences go, side by side in one run and on one torch thread,
through (1) ``Translator.translate`` alone (target -> English), (2) ``xlt_translate_test``
with a statistical-aligner projector and (3) with the CODEC projector (the same random NLLB
as its marker model); the source pipeline is a blank English pipeline with an entity ruler
tagging the first and the long words of the (random) translations. A random model never ends a translation
early, so translations are capped at ``--max-new-tokens`` (24: about the sentences' length).
Tiny and medium random NLLB models (``spacy_xlt.testing``)::

    python bench/translate_test.py [--docs 40] [--sizes tiny,medium]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=40)
    parser.add_argument("--sizes", default="tiny,medium")
    parser.add_argument("--num-beams", type=int, default=4)
    parser.add_argument("--max-new-tokens", type=int, default=24, help="translation length cap (random models never stop early)")
    args = parser.parse_args()

    import spacy
    import torch

    from spacy_xlt.backends.translator import Translator
    from spacy_xlt.testing import generate_parallel, get_tiny_model

    torch.set_num_threads(1)
    examples = generate_parallel(args.docs, "en", "es", seed=5)
    texts = [" ".join(ex.tgt_words) for ex in examples]
    tmp = tempfile.mkdtemp()
    source = spacy.blank("en")
    ruler = source.add_pipe("entity_ruler")
    # random translations: tag the first word of each and the long words, so that every
    # translation has a span or two to project
    ruler.add_patterns([
        {"label": "PERSON", "pattern": [{"IS_SENT_START": True}]},
        {"label": "PERSON", "pattern": [{"LENGTH": {">=": 9}}]},
    ])  # fmt: skip
    source.to_disk(f"{tmp}/en_ruler")
    rows = []
    for size in [s.strip() for s in args.sizes.split(",") if s.strip()]:
        path = str(get_tiny_model("nllb", size=size))
        # a random model never ends a translation early: cap it at the sentences' length
        translator = Translator(path, num_beams=args.num_beams, max_new_tokens=args.max_new_tokens, batch_size=16)
        translator.load()
        translator.translate(texts[:2], "es", "en")  # warm-up
        t0 = time.perf_counter()
        translator.translate(texts, "es", "en")
        plain = time.perf_counter() - t0
        timings = {"translate": plain}
        projectors = {
            "statistical": {"factory": "xlt_alignment_projector"},
            "codec": {"factory": "xlt_marker_projector", "translator": {"name": path}, "num_beams": 5, "n_best": 5},
        }
        spans = {}
        for name, block in projectors.items():
            nlp = spacy.blank("es")
            pipe = nlp.add_pipe("xlt_translate_test", config={
                "translator": {"name": path, "num_beams": args.num_beams, "max_new_tokens": args.max_new_tokens, "batch_size": 16},
                "pipeline": f"{tmp}/en_ruler", "projector": block, "batch_size": 64,
            })  # fmt: skip
            nlp.initialize()
            list(nlp.pipe(texts[:2]))  # warm-up
            pipe.stats.clear()
            t0 = time.perf_counter()
            list(nlp.pipe(texts, batch_size=64))
            timings[name] = time.perf_counter() - t0
            spans[name] = pipe.stats["source_predictions"]
        rows.append((size, timings, spans))
    print(f"translate-test on {args.docs} generated es sentences (es -> en, beams {args.num_beams}), one torch thread")
    print("| model | translate only ms/doc | translate-test + statistical ms/doc | ratio | translate-test + CODEC ms/doc | ratio | source spans |")
    print("|---|---|---|---|---|---|---|")
    for size, t, spans in rows:
        per = {k: 1000 * v / args.docs for k, v in t.items()}
        print(
            f"| nllb {size} | {per['translate']:.1f} | {per['statistical']:.1f} | {t['statistical'] / t['translate']:.1f}x "
            f"| {per['codec']:.1f} | {t['codec'] / t['translate']:.1f}x | {spans['codec']} |"
        )


if __name__ == "__main__":
    main()
