"""Small helpers shared by the ``spacy xlt`` commands."""

from __future__ import annotations

import json
from typing import Any, Dict, List, Sequence

from ..errors import Errors, XLTError


def comma_list(value: str, option: str, *, unique: bool = True) -> List[str]:
    """The non-empty items of a comma-separated option value, stripped, in order.

    An empty list, or (with ``unique``) an item given twice, is an error naming ``option``.
    """
    items = [item.strip() for item in value.split(",") if item.strip()]
    if not items:
        raise XLTError(Errors.E087.format(option=option, value=value))
    if unique:
        seen = set()
        for item in items:
            if item in seen:
                raise XLTError(Errors.E088.format(option=option, item=item))
            seen.add(item)
    return items


def parse_overrides(items: Sequence[str], *, dotted: bool = False) -> Dict[str, Any]:
    """``KEY=VALUE`` strings as a config overrides dict for ``spacy.load(config=...)``.

    Values are read as JSON where they parse (``false``, ``3``, ``["a"]``), else kept as
    strings, as spaCy's own ``--section.key value`` overrides are. ``dotted``: every KEY must
    be a dotted config path (``section.key``).
    """
    overrides: Dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or (dotted and "." not in key) or any(not part for part in key.split(".")):
            raise XLTError(Errors.E082.format(item=item))
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    return overrides


def report_resume(counts: Dict[str, Any], output: Any, what: str = "docs", *, prefix: str = "", extra: str = "") -> None:
    """The resume lines a resumable command prints: the resume file it discarded
    (``--restart``) and the ``what`` that earlier runs had finished."""
    from wasabi import msg

    from ..resume import resume_path

    if counts["discarded"]:
        msg.info(f"{prefix}Discarded the resume file {resume_path(output)} (--restart)")
    if counts["resumed"]:
        msg.info(f"{prefix}Resumed after {counts['resumed']} finished {what}{extra}")
