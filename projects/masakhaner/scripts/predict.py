"""Annotate gold corpora with a trained pipeline, from the words alone (gold spans removed).

    python scripts/predict.py MODEL --langs hau,ibo --input corpus/target/{lang}/test.spacy \
        --output predictions/zeroshot/{lang}.spacy [--set components.xlt_tagger.constrained=false]

The pipeline is loaded once (once per language where MODEL holds {lang}, e.g.
training/statistical/{lang}/model-best); the output keeps the gold tokens, so `spacy xlt evaluate` can
score it against the gold file. With --metrics, each prediction is scored against its gold
file by the code of `spacy xlt evaluate` (the same function and the same JSON as
`spacy xlt evaluate GOLD PRED --output METRICS`), without a new process per language.
"""
import argparse
import json
from pathlib import Path

import spacy
from spacy.tokens import Doc, DocBin


def parse_value(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("model")
    parser.add_argument("--langs", required=True)
    parser.add_argument("--input", required=True, help="gold .spacy path with {lang}")
    parser.add_argument("--output", required=True, help="output .spacy path with {lang}")
    parser.add_argument("--metrics", default=None, help="evaluation JSON path with {lang}")
    parser.add_argument("--gpu-id", type=int, default=-1)
    parser.add_argument("--set", action="append", default=[], help="config override KEY=VALUE")
    args = parser.parse_args()
    if args.gpu_id >= 0:
        spacy.require_gpu(args.gpu_id)
    overrides = {}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep:
            raise SystemExit(f"--set needs KEY=VALUE, got {item!r}")
        overrides[key] = parse_value(value)
    nlp = None if "{lang}" in args.model else spacy.load(args.model, config=overrides)
    for lang in [x.strip() for x in args.langs.split(",") if x.strip()]:
        if "{lang}" in args.model:
            nlp = spacy.load(args.model.replace("{lang}", lang), config=overrides)
        src = Path(args.input.replace("{lang}", lang))
        dst = Path(args.output.replace("{lang}", lang))
        gold = list(DocBin().from_disk(src).get_docs(nlp.vocab))
        bare = [Doc(nlp.vocab, words=[t.text for t in d], spaces=[bool(t.whitespace_) for t in d]) for d in gold]
        docs = list(nlp.pipe(bare))
        dst.parent.mkdir(parents=True, exist_ok=True)
        DocBin(docs=docs).to_disk(dst)
        n_spans = sum(len(doc.ents) for doc in docs)
        print(f"{lang}: {len(docs)} docs, {n_spans} predicted spans -> {dst}")
        if args.metrics:
            from spacy_xlt.cli.evaluate import evaluate_files, print_results

            modes = ("strict", "default")
            result = evaluate_files(src, dst, modes=modes)
            print_results(result, modes)
            out = Path(args.metrics.replace("{lang}", lang))
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(json.dumps(result, indent=2) + "\n", encoding="utf8")
            print(f"{lang}: scores -> {out}")


if __name__ == "__main__":
    main()
