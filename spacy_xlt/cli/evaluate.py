"""``spacy xlt evaluate GOLD PRED``: seqeval span scores of a prediction file against a gold file."""

from __future__ import annotations

from pathlib import Path
from typing import Optional, Sequence

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ._app import xlt_cli

MODE_CHOICES = ("strict", "default", "both")


def _pct(x: float) -> str:
    return f"{100 * x:.2f}"


def print_results(result: dict, modes: Sequence[str]) -> None:
    from ..evaluation import MODES

    msg.info(f"{result['n_docs']} documents: gold {result['gold']}, predicted {result['pred']}")
    for mode in modes:
        scores = result[mode]
        msg.divider(MODES[mode])
        for avg in ("micro", "macro"):
            s = scores[avg]
            msg.text(
                f"{avg}  P {_pct(s['p'])}  R {_pct(s['r'])}  F1 {_pct(s['f'])}  ({s['support']} gold spans)"
            )
        rows = [
            (label, _pct(s["p"]), _pct(s["r"]), _pct(s["f"]), s["support"])
            for label, s in scores["per_label"].items()
        ]
        if rows:
            msg.table(
                rows,
                header=("label", "P", "R", "F1", "support"),
                divider=True,
                aligns=("l", "r", "r", "r", "r"),
            )
        else:
            msg.text("no spans in gold or prediction: every score is 0 (seqeval zero_division=0)")
    coverage = result.get("projection")
    if coverage is not None:
        msg.info(
            f"projection: {coverage['n_source_spans']} source spans, {coverage['n_projected_spans']} "
            f"projected spans, {coverage['n_unprojected_source_spans']} source spans without a projection"
        )


@xlt_cli.command("evaluate")
def evaluate_cli(
    gold_path: Path = typer.Argument(
        ..., help="Gold corpus (CoNLL/IOB, SemEval XML, .spacy, quality TSV)"
    ),
    pred_path: Path = typer.Argument(
        ..., help="Predicted corpus: same documents and tokens as the gold one"
    ),
    fmt: str = typer.Option(
        "auto", "--format", "-f", help="Format of both files (auto: from the file)"
    ),
    lang: str = typer.Option(
        "xx", "--lang", "-l", help="Language of the Docs' vocab and tokenizer"
    ),
    spans_key: Optional[str] = typer.Option(
        None, "--spans-key", "-k", help="Score doc.spans[KEY], not doc.ents"
    ),
    mode: str = typer.Option(
        "both", "--mode", "-m", help="strict (IOB2), default (conlleval-like) or both"
    ),
    output: Optional[Path] = typer.Option(
        None, "--output", "-o", help="Write the scores as JSON here"
    ),
) -> None:
    """Span precision, recall and F1 (micro, macro, per label) with seqeval.

    "strict" is seqeval's mode=strict with the IOB2 scheme; "default" is its conlleval-like
    mode, the one projection papers report. Two tag files (CoNLL/IOB, quality TSV) are
    scored on their tags as written, so both modes equal seqeval on those tags: an I-X
    after O opens a span in default mode only. Strict reads the gold file's scheme: IOB2,
    or IOBES / BILOU where the gold has S-/E- or U-/L- tags; a tag of another scheme is an
    error. Where either file is .spacy or XML, both are read as Docs and their spans scored
    (well-formed, so the modes agree). Scores are printed in percent and written to
    --output as fractions.
    """
    if mode not in MODE_CHOICES:
        msg.fail(Errors.E062.format(mode=mode, options=", ".join(MODE_CHOICES)), exits=1)
    modes = ["strict", "default"] if mode == "both" else [mode]
    # imported here: seqeval (scikit-learn) is slow to import, and every `spacy` command
    # imports this module through the CLI entry point
    from ..evaluation import evaluate_files
    from ..io import check_output

    try:
        if output is not None:
            check_output(output, [gold_path, pred_path])  # before the scoring
        result = evaluate_files(
            gold_path, pred_path, fmt=fmt, lang=lang, spans_key=spans_key, modes=modes
        )
    except XLTError as err:
        msg.fail(str(err), exits=1)
    print_results(result, modes)
    if output is not None:
        save_results(result, output, [gold_path, pred_path])


def save_results(
    result: dict, path: Path, inputs: Optional[Sequence[Optional[Path]]] = None
) -> None:
    """Write the scores as JSON (``spacy_xlt.evaluation.write_results``: atomically, never
    over one of ``inputs``, by default the result's gold and predicted files) and say where;
    a bad output path fails the command with its coded error."""
    from ..evaluation import write_results

    try:
        written = write_results(result, path, inputs)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    msg.good(f"Saved scores to {written}")
