"""``spacy xlt project --method tprojection``: the driver behind the ``project`` command's
T-Projection method (a blank pipeline with one ``xlt_tprojection``, or a saved one)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Dict, Optional


def tprojection_pipeline(
    generator: str,
    *,
    lang: str = "xx",
    target_lang: Optional[str] = None,
    translator: Optional[str] = None,
    device: str = "cpu",
    dtype: str = "float32",
    batch_size: int = 32,
    num_beams: int = 16,
    spans_key: Optional[str] = None,
    agglutinative: bool = False,
    save_candidates: bool = False,
):
    """A pipeline whose ``xlt_tprojection`` uses ``generator``: a saved spaCy pipeline that
    holds one (its settings, with these overrides), or a fine-tuned Hugging Face generator
    folder (trained with this package or with the original T-Projection code)."""
    import spacy

    from .. import util
    from ..pipes import tprojection  # noqa: F401  (registers the factory)

    translator_cfg: Dict[str, Any] = {
        "@misc": "spacy_xlt.Translator.v1",
        "device": device,
        "dtype": dtype,
        "batch_size": batch_size,
    }
    if translator:
        translator_cfg["name_or_path"] = translator
    settings: Dict[str, Any] = {
        "translator": translator_cfg,
        "num_beams": num_beams,
        "spans_key": spans_key,
        "agglutinative": agglutinative,
        "save_candidates": save_candidates,
    }
    if target_lang:
        settings["target_lang"] = target_lang
    path = Path(generator)
    if (path / "config.cfg").exists():
        # read the saved config first: loading it as saved could ask for a missing GPU
        saved = spacy.util.load_config(path / "config.cfg", interpolate=True)
        components = saved["components"]
        name = next(n for n, c in components.items() if c.get("factory") == "xlt_tprojection")
        if not translator:
            translator_cfg["name_or_path"] = components[name]["translator"]["name_or_path"]
        # --device / --dtype apply to the saved generator too (a pipeline trained on a GPU
        # must load on a CPU-only machine)
        settings["generator"] = {"device": device, "dtype": dtype}
        nlp = spacy.load(path, config={"components": {name: settings}})
        return nlp, nlp.get_pipe(name)
    nlp = util.blank(lang)
    settings["generator"] = {
        "@misc": "spacy_xlt.Seq2SeqGenerator.v1",
        "name_or_path": str(generator),
        "device": device,
        "dtype": dtype,
    }
    pipe = nlp.add_pipe("xlt_tprojection", config=settings)
    nlp.initialize(lambda: [])
    return nlp, pipe


def project_tprojection(
    pairs_path: Path,
    output_path: Path,
    *,
    generator: Optional[str],
    lang: str = "xx",
    target_lang: Optional[str] = None,
    model: Optional[str] = None,
    device: str = "cpu",
    dtype: str = "float32",
    batch_size: int = 32,
    num_beams: int = 16,
    spans_key: Optional[str] = None,
    save_alignments: bool = False,
    agglutinative: bool = False,
    **ignored,
) -> dict:
    """Project every pair of ``pairs_path`` with T-Projection; returns counts like ``project``."""
    from tqdm import tqdm

    from ..errors import Errors, XLTError
    from ..pairs import read_docs, write_pairs

    if not generator:
        raise XLTError(Errors.E296)
    nlp, pipe = tprojection_pipeline(
        generator,
        lang=lang,
        target_lang=target_lang or (lang if lang != "xx" else None),
        translator=model,
        device=device,
        dtype=dtype,
        batch_size=batch_size,
        num_beams=num_beams,
        spans_key=spans_key,
        agglutinative=agglutinative,
        save_candidates=save_alignments,
    )
    docs = list(read_docs(pairs_path, nlp.vocab))
    start = time.perf_counter()
    projected = list(tqdm(pipe.pipe(docs), total=len(docs), desc="tprojection", unit="pair"))
    seconds = time.perf_counter() - start
    write_pairs(projected, output_path)
    stats = pipe.stats
    return {
        "pairs": len(projected),
        "seconds": seconds,
        "source_spans": stats["source_spans"],
        "projected": stats["projected"],
        "unaligned": stats["no_candidate"],
        "conflict": stats["conflict"],
    }
