"""``spacy xlt results METRICS_DIR OUTPUT_DIR``: the results table (Markdown, JSON) and bar
chart (PNG) of a project, built from its evaluation JSON files only.

Reads ``METRICS_DIR/<method>/<lang>.json`` (written by ``spacy xlt predict --metrics`` or
``spacy xlt evaluate --output``) and takes the micro F1 of one mode. A missing file is an
error, so a table never mixes in figures that the run did not produce.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Union

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ..io import (
    atomic_output,
    check_output_folder,
    check_outputs,
    read_text,
    write_json,
    write_text,
)
from ._app import xlt_cli
from ._util import comma_list

MODE_CHOICES = ("default", "strict")
MODE_NAMES = {"default": "conlleval-like", "strict": "strict IOB2"}

#: Display names of the method ids the projects use; ``ID=Name`` in --methods overrides them.
KNOWN_METHODS: Dict[str, str] = {
    "zeroshot": "Zero-shot",
    "statistical": "Translate-train (statistical)",
    "tprojection": "Translate-train (T-Projection)",
    "tagger_constrained": "Text2text tagger (constrained)",
    "tagger_unconstrained": "Text2text tagger (unconstrained)",
    "easyproject": "Translate-train (EasyProject)",
    "codec": "Translate-train (CODEC)",
    "translate_test": "Translate-test",
    "oracle": "Translate-train (hand projection)",
    # trained on the silver target data plus the English gold data
    "statistical_en": "Translate-train (statistical) + en",
    "tprojection_en": "Translate-train (T-Projection) + en",
    "tagger_constrained_en": "Text2text tagger (constrained) + en",
    "tagger_unconstrained_en": "Text2text tagger (unconstrained) + en",
    "easyproject_en": "Translate-train (EasyProject) + en",
    "codec_en": "Translate-train (CODEC) + en",
    "oracle_en": "Translate-train (hand projection) + en",
}


def parse_methods(specs: Sequence[str]) -> Dict[str, str]:
    """Method id -> display name, in order, from ``ID`` or ``ID=Display name`` items.

    The id names the folder ``METRICS_DIR/ID``; without a display name a known id gets its
    name from :data:`KNOWN_METHODS` and any other id is shown as it is.
    """
    methods: Dict[str, str] = {}
    for spec in specs:
        method, sep, name = spec.partition("=")
        method, name = method.strip(), name.strip()
        if not method or (sep and not name) or "/" in method or "\\" in method:
            raise XLTError(Errors.E091.format(item=spec))
        if method in methods:
            raise XLTError(Errors.E088.format(option="--methods", item=method))
        methods[method] = name if sep else KNOWN_METHODS.get(method, method)
    return methods


def _step(path: Path) -> str:
    return (
        f"`spacy xlt predict MODEL GOLD PRED --metrics {path}` "
        f"or `spacy xlt evaluate GOLD PRED --output {path}`"
    )


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shape_problem(scores: dict, mode: str) -> Optional[str]:
    """What is wrong with the figures of one mode that the table reads, or None."""
    f = scores["micro"]["f"]
    if not _number(f):
        return f"its {mode}.micro.f is {f!r}, not a number"
    per_label = scores.get("per_label") or {}
    if not isinstance(per_label, dict):
        return f"its {mode}.per_label is a {type(per_label).__name__}, not a mapping of each label to its p, r, f and support"
    for label, value in per_label.items():
        if value is not None and not (isinstance(value, dict) and _number(value.get("support", 0))):
            return f"its {mode}.per_label[{label!r}] is {value!r}, not the label's p, r, f and support"
    return None


def read_scores(path: Path, mode: str, method: str, lang: str) -> dict:
    """The ``mode`` scores (``micro``, ``per_label``, ...) of one evaluation JSON file."""
    if not path.is_file() and not path.is_dir():
        raise XLTError(Errors.E089.format(path=path, method=method, lang=lang, step=_step(path)))
    # spacy_xlt.io: a folder, an unreadable file, a bad byte, JSON that does not parse (each
    # by line and column) are coded errors naming the file; a BOM is fine
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        why = f"not JSON at line {err.lineno}, column {err.colno} ({err.msg})"
        raise XLTError(Errors.E090.format(path=path, why=why)) from None
    scores = data.get(mode) if isinstance(data, dict) else None
    micro = scores.get("micro") if isinstance(scores, dict) else None
    if not isinstance(micro, dict) or "f" not in micro:
        keys = ", ".join(data) if isinstance(data, dict) else type(data).__name__
        what = f"it has no {mode}.micro.f score (it holds: {keys})"
    else:
        what = _shape_problem(scores, mode)
    if what is not None:
        why = f"{what}; it is written by {_step(path)}, with --mode both or --mode {mode}"
        raise XLTError(Errors.E090.format(path=path, why=why))
    return scores


@dataclass
class Results:
    """Micro F1 in percent per method and language, as the table and chart show them."""

    mode: str
    metrics_dir: str
    methods: Dict[str, str]  # id -> display name, in column order
    langs: List[str]
    scores: Dict[str, Dict[str, float]]  # method id -> lang -> F1 (percent)
    average: Dict[str, float]  # method id -> mean over langs (percent)
    labels: List[str]  # labels with gold spans in some file
    predicted_only_labels: List[str] = field(default_factory=list)
    title: Optional[str] = None
    #: the evaluation files read (no output may be one of them)
    inputs: List[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "title": self.title,
            "mode": self.mode,
            "metrics_dir": self.metrics_dir,
            "methods": dict(self.methods),
            "langs": list(self.langs),
            "labels": list(self.labels),
            "predicted_only_labels": list(self.predicted_only_labels),
            "scores": self.scores,
            "average": self.average,
        }

    def to_markdown(self) -> str:
        """The table (rows: languages, then **Average**; columns: methods) and a note."""

        def cell(text: str) -> str:
            return text.replace("|", "\\|")

        lines = []
        if self.title:
            lines += [f"## {self.title}", ""]
        lines.append("| Language | " + " | ".join(cell(n) for n in self.methods.values()) + " |")
        lines.append("|---|" + "---:|" * len(self.methods))
        for lang in self.langs:
            values = " | ".join(f"{self.scores[m][lang]:.1f}" for m in self.methods)
            lines.append(f"| {cell(lang)} | {values} |")
        averages = " | ".join(f"**{self.average[m]:.1f}**" for m in self.methods)
        lines.append(f"| **Average** | {averages} |")
        labels = ", ".join(self.labels) if self.labels else "none (no gold spans)"
        note = (
            f"Micro F1 in percent (seqeval, mode {self.mode}: {MODE_NAMES[self.mode]}) over "
            f"the labels of the gold files ({labels}), from "
            f"{self.metrics_dir}/<method>/<language>.json."
        )
        if self.predicted_only_labels:
            note += (
                f" Predicted spans of labels without gold spans "
                f"({', '.join(self.predicted_only_labels)}) count as false positives."
            )
        return "\n".join(lines) + "\n\n" + note + "\n"


def build_results(
    metrics_dir: Path,
    methods: Sequence[str],
    langs: Sequence[str],
    mode: str = "default",
    title: Optional[str] = None,
) -> Results:
    """Read ``metrics_dir/<method>/<lang>.json`` for every method and language.

    ``methods`` are ``ID`` or ``ID=Display name`` items (see :func:`parse_methods`).
    """
    if mode not in MODE_CHOICES:
        raise XLTError(Errors.E062.format(mode=mode, options=", ".join(MODE_CHOICES)))
    names = parse_methods(methods)
    langs = list(langs)
    if not langs:
        raise XLTError(Errors.E087.format(option="--langs", value=""))
    scores: Dict[str, Dict[str, float]] = {}
    gold_labels: set = set()
    all_labels: set = set()
    for method in names:
        scores[method] = {}
        for lang in langs:
            result = read_scores(Path(metrics_dir) / method / f"{lang}.json", mode, method, lang)
            scores[method][lang] = 100.0 * float(result["micro"]["f"])
            per_label = result.get("per_label") or {}
            all_labels.update(per_label)
            gold_labels.update(k for k, v in per_label.items() if (v or {}).get("support", 0) > 0)
    average = {m: sum(scores[m].values()) / len(langs) for m in names}
    inputs = [str(Path(metrics_dir) / m / f"{lang}.json") for m in names for lang in langs]
    return Results(
        inputs=inputs,
        mode=mode,
        metrics_dir=str(metrics_dir),
        methods=names,
        langs=langs,
        scores=scores,
        average=average,
        labels=sorted(gold_labels),
        predicted_only_labels=sorted(all_labels - gold_labels),
        title=title,
    )


def write_chart(results: Results, path: Path, inputs: Sequence[Union[str, Path]] = ()) -> bool:
    """A grouped bar chart (one group per language, plus the average) as PNG, drawn with
    matplotlib's Agg canvas and written atomically (``spacy_xlt.io``); False (nothing
    written) where matplotlib is not installed."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        return False
    methods = list(results.methods)
    rows = results.langs + ["avg"]
    width = 0.8 / len(methods)
    fig = Figure(figsize=(max(6.0, 0.45 * len(rows) * len(methods) + 2), 4))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for i, method in enumerate(methods):
        values = [results.scores[method][lang] for lang in results.langs]
        values.append(results.average[method])
        xs = [j + (i - (len(methods) - 1) / 2) * width for j in range(len(rows))]
        ax.bar(xs, values, width, label=results.methods[method])
    ax.set_xticks(range(len(rows)))
    ax.set_xticklabels(rows)
    ax.set_ylabel(f"F1 ({results.mode}, micro)")
    ax.set_ylim(0, 100)
    if results.title:
        ax.set_title(results.title)
    # beside the axes, so it never hides a bar; bbox_inches="tight" keeps it in the image
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    with atomic_output(path, inputs) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")
    return True


def write_results(results: Results, output_dir: Path) -> Dict[str, Optional[Path]]:
    """Write ``results.md``, ``results.json`` and ``results.png`` (None where matplotlib is
    missing: a chart left from an earlier run is then removed, as it would not match), each
    atomically; none of them may be one of the evaluation files read (``results.inputs``),
    and ``output_dir`` must be a folder (or not exist yet)."""
    inputs = list(results.inputs)
    output_dir = check_output_folder(output_dir)
    md_path = output_dir / "results.md"
    json_path = output_dir / "results.json"
    png_path: Optional[Path] = output_dir / "results.png"
    check_outputs([md_path, json_path, png_path], inputs)  # type: ignore[list-item]
    write_text(md_path, results.to_markdown(), inputs)
    write_json(json_path, results.to_dict(), inputs)
    if not write_chart(results, png_path, inputs):  # type: ignore[arg-type]
        png_path.unlink(missing_ok=True)  # type: ignore[union-attr]
        png_path = None
    return {"markdown": md_path, "json": json_path, "chart": png_path}


@xlt_cli.command("results")
def results_cli(
    metrics_dir: Path = typer.Argument(
        ..., help="Folder of evaluation JSON files: METRICS_DIR/<method>/<lang>.json"
    ),
    output_dir: Path = typer.Argument(
        ..., help="Folder for results.md, results.json and results.png"
    ),
    methods: str = typer.Option(
        ...,
        "--methods",
        help="Comma-separated columns: ID (a folder of METRICS_DIR) or ID=Display name",
    ),
    langs: str = typer.Option(..., "--langs", help="Comma-separated rows (languages)"),
    mode: str = typer.Option(
        "default", "--mode", "-m", help="default (conlleval-like, as the papers) or strict"
    ),
    title: Optional[str] = typer.Option(None, "--title", help="Heading of the table and chart"),
) -> None:
    """Results table (Markdown and JSON) and bar chart (PNG) from evaluation JSON files.

    Cells are the micro F1 of --mode in percent; the last row is the average over the
    languages. Known method ids (zeroshot, statistical, tprojection, tagger_constrained,
    tagger_unconstrained, and their *_en variants) get their display names; others are
    shown as given unless named with ID=Display name. The chart needs matplotlib.
    """
    try:
        specs = comma_list(methods, "--methods", unique=False)
        results = build_results(metrics_dir, specs, comma_list(langs, "--langs"), mode, title)
        written = write_results(results, output_dir)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    print(results.to_markdown())
    if written["chart"] is None:
        msg.warn("matplotlib is not installed: wrote the table only (pip install matplotlib)")
        msg.good(f"Wrote {written['markdown']} and {written['json']}")
    else:
        msg.good(f"Wrote {written['markdown']}, {written['json']} and {written['chart']}")
