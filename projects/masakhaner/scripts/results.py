"""Build the results table (Markdown) and chart (PNG) from the evaluation JSON files only.

    python scripts/results.py metrics results --methods zeroshot,statistical,tprojection,... \
        --langs hau,ibo [--mode default]

Reads metrics/<method>/<lang>.json (written by `spacy xlt evaluate --output`) and takes the
micro F1 of --mode ("default": conlleval-like, as the papers report; or "strict"). Rows are
languages, columns methods, plus the average row; a missing file is an error, so the table
never mixes in figures that were not produced by this run.
"""
import argparse
import json
from pathlib import Path

LABELS = {
    "zeroshot": "Zero-shot",
    "statistical": "Translate-train (statistical)",
    "tprojection": "Translate-train (T-Projection)",
    "tagger_constrained": "Text2text tagger (constrained)",
    "tagger_unconstrained": "Text2text tagger (unconstrained)",
}


def read_f1(path: Path, mode: str) -> float:
    if not path.exists():
        raise SystemExit(f"missing evaluation file {path}: run the step that writes it first")
    data = json.loads(path.read_text(encoding="utf8"))
    try:
        return 100.0 * float(data[mode]["micro"]["f"])
    except (KeyError, TypeError) as err:
        raise SystemExit(f"{path}: no {mode}.micro.f score ({err!r})") from err


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("metrics", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--methods", required=True)
    parser.add_argument("--langs", required=True)
    parser.add_argument("--mode", default="default", choices=["default", "strict"])
    args = parser.parse_args()
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    langs = [x.strip() for x in args.langs.split(",") if x.strip()]
    scores = {m: {lang: read_f1(args.metrics / m / f"{lang}.json", args.mode) for lang in langs} for m in methods}
    averages = {m: sum(scores[m].values()) / len(langs) for m in methods}

    args.output.mkdir(parents=True, exist_ok=True)
    header = "| Language | " + " | ".join(LABELS.get(m, m) for m in methods) + " |"
    lines = [header, "|---|" + "---:|" * len(methods)]
    for lang in langs:
        lines.append(f"| {lang} | " + " | ".join(f"{scores[m][lang]:.1f}" for m in methods) + " |")
    lines.append("| **Average** | " + " | ".join(f"**{averages[m]:.1f}**" for m in methods) + " |")
    table = "\n".join(lines) + "\n"
    note = (
        f"\nMicro F1 (seqeval, mode {args.mode}, PER/ORG/LOC), in percent, from "
        f"{args.metrics}/<method>/<language>.json.\n"
    )
    (args.output / "results.md").write_text(table + note, encoding="utf8")
    json.dump({"mode": args.mode, "scores": scores, "average": averages},
              (args.output / "results.json").open("w", encoding="utf8"), indent=2)
    print(table)

    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: wrote the table only (pip install matplotlib)")
        return
    rows = langs + ["avg"]
    width = 0.8 / len(methods)
    fig, ax = plt.subplots(figsize=(max(6.0, 0.9 * len(rows) * len(methods) * 0.5 + 2), 4))
    for i, m in enumerate(methods):
        values = [scores[m][lang] for lang in langs] + [averages[m]]
        xs = [j + (i - (len(methods) - 1) / 2) * width for j in range(len(rows))]
        ax.bar(xs, values, width, label=LABELS.get(m, m))
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(rows)
    ax.set_ylabel(f"F1 ({args.mode}, micro)")
    ax.set_ylim(0, 100)
    ax.legend(fontsize="small")
    fig.tight_layout()
    fig.savefig(args.output / "results.png", dpi=120)
    print(f"wrote {args.output / 'results.md'} and {args.output / 'results.png'}")


if __name__ == "__main__":
    main()
