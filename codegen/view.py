"""Derive one release's view of a source tree from its version annotations.

The annotations are described in ``spec/README.md``. A view is a copy of the source tree in
which items added later or removed earlier are gone, older shapes are put back, change notes
from later releases are dropped, and neither ``required`` lists nor ``dependentRequired`` rules
name dropped properties.
"""

from __future__ import annotations

from typing import Any

from codegen.errors import Problems
from codegen.keys import ADDED, CHANGED, DEPRECATED, REMOVED, SHAPE_BEFORE, UNSTABLE
from codegen.load import Map, Seq, loc_of
from codegen.versions import Release, Releases

__all__ = ["DROP", "LITERAL_KEYS", "VERSION_KEYS", "apply_view", "check_annotations", "copy_map"]


VERSION_KEYS = (ADDED, CHANGED, REMOVED, DEPRECATED, SHAPE_BEFORE)

# Keys whose values are data (examples, enums, defaults), never walked for annotations.
LITERAL_KEYS = frozenset({"example", "value", "enum", "const", "default"})

DROP = object()
"""What a walk returns for a node to leave out of its parent."""


def copy_map(source: Map, items: dict[str, Any]) -> Map:
    out = Map(items)
    out.loc = source.loc
    out.key_lines = {k: source.key_lines[k] for k in items if k in source.key_lines}
    return out


def _copy_seq(source: Seq, items: list[Any]) -> Seq:
    out = Seq(items)
    out.loc = source.loc
    return out


class _Viewer:
    def __init__(self, releases: Releases, release: Release, *, mark_deprecated: bool) -> None:
        self.releases = releases
        self.release = release
        self.mark_deprecated = mark_deprecated

    def _index(self, label: Any) -> int:
        # Unknown labels are reported by check_annotations; here they never drop anything.
        found = self.releases.get(label) if isinstance(label, str) else None
        return found.index if found is not None else -1

    def view(self, node: Any) -> Any:
        if isinstance(node, dict):
            return self._view_map(node)
        if isinstance(node, list):
            items = [self.view(item) for item in node]
            kept = [item for item in items if item is not DROP]
            return _copy_seq(node, kept) if isinstance(node, Seq) else kept
        return node

    def _present(self, node: dict[str, Any]) -> bool:
        here = self.release.index
        if UNSTABLE in node and not self.release.is_unstable:
            return False
        if ADDED in node and self._index(node[ADDED]) > here:
            return False
        return not (REMOVED in node and 0 <= self._index(node[REMOVED]) <= here)

    def _shape(self, node: dict[str, Any]) -> dict[str, Any]:
        overlays = node.get(SHAPE_BEFORE)
        if not isinstance(overlays, dict):
            return dict(node)
        shaped = dict(node)
        ordered = sorted(overlays.items(), key=lambda kv: self._index(kv[0]), reverse=True)
        for label, overlay in ordered:
            if self._index(label) > self.release.index and isinstance(overlay, dict):
                for key, value in overlay.items():
                    if value is None:
                        shaped.pop(key, None)
                    else:
                        shaped[key] = value
        return shaped

    def _view_map(self, node: dict[str, Any]) -> Any:
        if not self._present(node):
            return DROP
        shaped = self._shape(node)
        out: dict[str, Any] = {}
        for key, value in shaped.items():
            if key in (SHAPE_BEFORE, REMOVED):
                continue
            if key == DEPRECATED:
                if 0 <= self._index(value) <= self.release.index:
                    out[key] = value
                    if self.mark_deprecated:
                        out["deprecated"] = True
                continue
            if key == CHANGED and isinstance(value, dict):
                notes = {v: t for v, t in value.items() if self._index(v) <= self.release.index}
                if notes:
                    out[key] = copy_map(value, notes) if isinstance(value, Map) else notes
                continue
            if key in ("properties", "patternProperties") and isinstance(value, dict):
                # Property names are data, even ``default`` or ``example``: view each one.
                props = {k: self.view(v) for k, v in value.items()}
                props = {k: v for k, v in props.items() if v is not DROP}
                out[key] = copy_map(value, props) if isinstance(value, Map) else props
                continue
            if key in LITERAL_KEYS or (key == "examples" and isinstance(value, list)):
                out[key] = value
                continue
            viewed = self.view(value)
            if viewed is not DROP:
                out[key] = viewed
        self._prune_required(shaped, out)
        return copy_map(node, out) if isinstance(node, Map) else out

    @staticmethod
    def _prune_required(before: dict[str, Any], after: dict[str, Any]) -> None:
        """Properties the release does not have are neither required nor, in
        ``dependentRequired``, a trigger or a dependency."""
        props_before = before.get("properties")
        if not isinstance(props_before, dict):
            return
        props_after = after.get("properties") or {}
        dropped = set(props_before) - set(props_after)
        required = after.get("required")
        if isinstance(required, list):
            kept = [name for name in required if name not in dropped]
            if kept:
                after["required"] = _copy_seq(required, kept) if isinstance(required, Seq) else kept
            else:
                del after["required"]
        dependent = after.get("dependentRequired")
        if isinstance(dependent, dict):
            rules = {
                key: [name for name in names if name not in dropped]
                for key, names in dependent.items()
                if key not in dropped and isinstance(names, list)
            }
            rules = {key: names for key, names in rules.items() if names}
            if rules:
                after["dependentRequired"] = (
                    copy_map(dependent, rules) if isinstance(dependent, Map) else rules
                )
            else:
                del after["dependentRequired"]


def apply_view(
    node: Any, releases: Releases, release: Release, *, mark_deprecated: bool = True
) -> Any:
    """The view of ``node`` in ``release``; ``None`` when the whole node is absent there."""
    viewed = _Viewer(releases, release, mark_deprecated=mark_deprecated).view(node)
    return None if viewed is DROP else viewed


def check_annotations(node: Any, releases: Releases, problems: Problems, where: Any = None) -> None:
    """Report every version annotation that is not a quoted, known release name."""

    def check_label(label: Any, owner: Any, key: str, line_key: Any = None) -> None:
        loc = loc_of(owner) or loc_of(where)
        line_key = key if line_key is None else line_key
        if isinstance(owner, Map) and line_key in owner.key_lines and loc is not None:
            loc = type(loc)(loc.file, owner.key_lines[line_key])
        if not isinstance(label, str):
            problems.add(
                loc,
                f"{key}: version {label!r} must be a quoted string "
                f"(YAML reads an unquoted 1.10 as the number 1.1)",
            )
        elif releases.get(label) is None:
            known = ", ".join(r.label for r in releases)
            problems.add(loc, f"{key}: unknown release {label!r}; known: {known}")

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for key in (ADDED, REMOVED, DEPRECATED):
                if key in value:
                    check_label(value[key], value, key)
            for key in (CHANGED, SHAPE_BEFORE):
                if key in value:
                    mapping = value[key]
                    if not isinstance(mapping, dict):
                        problems.add(loc_of(value), f"{key} must map release names to values")
                        continue
                    for label in mapping:
                        check_label(label, mapping, key, label)
            if UNSTABLE in value and not (
                isinstance(value[UNSTABLE], str) and value[UNSTABLE].startswith("MSC")
            ):
                problems.add(loc_of(value), f"{UNSTABLE} must name the MSC, e.g. MSC4203")
            if ADDED in value and REMOVED in value:
                added, removed = releases.get(str(value[ADDED])), releases.get(str(value[REMOVED]))
                if added and removed and removed.index <= added.index:
                    problems.add(loc_of(value), f"{REMOVED} must come after {ADDED}")
            for key, child in value.items():
                if key not in LITERAL_KEYS and not (key == "examples" and isinstance(child, list)):
                    walk(child)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(node)
