"""``spacy xlt sample OUTPUT_DIR``: write the bundled parallel sample as files to project.

Writes ``pairs.spacy`` (target Docs with no spans, each carrying its source sentence and
source spans) and ``gold.spacy`` (the same target Docs with the gold projection), the
inputs of the quickstart: ``spacy xlt project`` then ``spacy xlt evaluate``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from wasabi import msg

from ..errors import XLTError
from ._app import xlt_cli


@xlt_cli.command("sample")
def sample_cli(
    output_dir: Path = typer.Argument(..., help="Folder for pairs.spacy and gold.spacy"),
    lang: str = typer.Option("es", "--lang", help="Target language of the bundled sample"),
    spans_key: Optional[str] = typer.Option(None, "--spans-key", help="Write spans to this span group instead of doc.ents"),
    limit: int = typer.Option(0, "--limit", help="Only the first N pairs (0: all)"),
):
    """Write the bundled English->target sample as parallel pairs and gold targets."""
    from ..io import check_output_folder, check_outputs
    from ..pairs import doc_spans, write_pairs
    from ..sample import load_sample_pairs, sample_path

    try:
        # spacy_xlt.io: OUTPUT_DIR must be a folder (or not exist yet), not under a file;
        # each file is written atomically
        check_output_folder(output_dir)
        pairs_out, gold_out = check_outputs(
            [output_dir / "pairs.spacy", output_dir / "gold.spacy"], [sample_path(lang)]
        )
        pairs, gold = load_sample_pairs(lang=lang, spans_key=spans_key)
        if limit > 0:
            pairs, gold = pairs[:limit], gold[:limit]
        write_pairs(pairs, pairs_out)
        write_pairs(gold, gold_out)
    except XLTError as err:
        msg.fail(str(err), exits=1)
    n_spans = sum(len(doc_spans(doc, spans_key)) for doc in gold)
    msg.good(
        f"Wrote {len(pairs)} pairs ({n_spans} gold target spans) from {sample_path(lang).name} "
        f"to {output_dir}/pairs.spacy and {output_dir}/gold.spacy"
    )
