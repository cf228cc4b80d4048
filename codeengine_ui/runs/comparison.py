"""A structural diff of two JSON values: what was added, removed or changed, by path.

Past FOLD_DEPTH levels two subtrees are compared whole, so any depth is safe.
"""

from dataclasses import dataclass
from typing import Any

from codeengine_ui.json_text import FOLD_DEPTH, same_json

_MISSING = object()


@dataclass(frozen=True)
class Difference:
    path: str
    kind: str  # added, removed, changed
    left: Any = None
    right: Any = None


def json_differences(left: Any, right: Any, path: str = "", depth: int = 0) -> list[Difference]:
    if depth >= FOLD_DEPTH:
        return [] if same_json(left, right) else [Difference(path, "changed", left, right)]
    if isinstance(left, dict) and isinstance(right, dict):
        differences = []
        for key in [*left, *(k for k in right if k not in left)]:
            child = f"{path}.{key}" if path else str(key)
            before, after = left.get(key, _MISSING), right.get(key, _MISSING)
            if before is _MISSING:
                differences.append(Difference(child, "added", right=after))
            elif after is _MISSING:
                differences.append(Difference(child, "removed", left=before))
            else:
                differences += json_differences(before, after, child, depth + 1)
        return differences
    if isinstance(left, list) and isinstance(right, list):
        differences = []
        for index in range(max(len(left), len(right))):
            child = f"{path}[{index}]"
            if index >= len(left):
                differences.append(Difference(child, "added", right=right[index]))
            elif index >= len(right):
                differences.append(Difference(child, "removed", left=left[index]))
            else:
                differences += json_differences(left[index], right[index], child, depth + 1)
        return differences
    if same_json(left, right):
        return []
    return [Difference(path or "(value)", "changed", left, right)]
