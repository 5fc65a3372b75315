"""``spacy xlt visualize PAIRS.spacy OUTPUT.html``: an HTML page of projected pairs (displaCy),
also of translate-test outputs that kept their translations (``--save-translation``)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from ..errors import Errors, XLTError
from ..io import check_output, write_text
from ._app import xlt_cli


def visualize_files(
    pairs_path: Path,
    output_path: Path,
    gold_path: Optional[Path] = None,
    limit: Optional[int] = None,
    spans_key: Optional[str] = None,
) -> int:
    """Render the pairs of a ``.spacy`` file (and its gold file) to ``output_path``; returns the pairs shown."""
    from ..pairs import has_source, read_docs
    from ..visualize import render_pairs

    if limit is not None and limit <= 0:
        raise XLTError(Errors.E204.format(limit=limit))
    inputs = [pairs_path, gold_path]
    check_output(output_path, inputs)  # before anything is read
    pairs = list(read_docs(pairs_path))
    if not pairs:
        raise XLTError(Errors.E205.format(path=pairs_path))
    for i, doc in enumerate(pairs):
        if not has_source(doc):
            raise XLTError(Errors.E042.format(index=f"{i} of {pairs_path}"))
    gold = list(read_docs(gold_path)) if gold_path is not None else None
    if gold is not None and len(gold) != len(pairs):
        raise XLTError(
            Errors.E351.format(gold=gold_path, n_gold=len(gold), pairs=pairs_path, n_pairs=len(pairs))
        )
    page = render_pairs(pairs, gold, spans_key=spans_key, limit=limit, title=f"spacy-xlt: {pairs_path.name}")
    write_text(output_path, page, inputs)
    return len(pairs) if limit is None else min(limit, len(pairs))


@xlt_cli.command("visualize")
def visualize_cli(
    pairs_path: Path = typer.Argument(..., help="Projected pairs (.spacy): target Docs carrying their source side"),
    output_path: Path = typer.Argument(..., help="HTML file to write"),
    limit: Optional[int] = typer.Option(None, "--limit", "-n", help="Render only the first N pairs"),
    gold_path: Optional[Path] = typer.Option(
        None, "--gold", "-g", help="Gold target Docs (.spacy), same sentences and tokens: adds a gold row and marks"
    ),
    spans_key: Optional[str] = typer.Option(
        None, "--spans-key", "-k", help="Show doc.spans[KEY] (displaCy span style), not doc.ents"
    ),
) -> None:
    """Write an HTML page showing each pair with displaCy: source above, target below.

    Each label has the same colour on both sides; a header per pair counts source spans,
    projected spans and lost source spans (no projection). With --gold the gold target is
    shown too and projected spans are marked correct or wrong, gold spans missed. The page
    is self-contained: open it in any browser, offline. Outputs of `spacy xlt translate-test
    --save-translation` (xlt_translate_test with save_translation = true) show each Doc's
    translation with the source pipeline's predictions above the projected spans.
    """
    try:
        n = visualize_files(pairs_path, output_path, gold_path, limit, spans_key)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    msg.good(f"Rendered {n} pairs to {output_path}")
