"""Small helpers shared by the ``spacy xlt`` commands."""

from __future__ import annotations

from typing import List

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
