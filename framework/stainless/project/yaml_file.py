"""Read a YAML file a data scientist wrote, refusing what YAML libraries silently accept.

PyYAML keeps the last of two equal keys in one mapping, so a second ``serving:`` block quietly
drops every setting of the first. A person who wrote both meant both: the file is refused with
the key's path and both lines, so they merge the blocks.
"""

from __future__ import annotations

from typing import Any

import yaml

from stainless.core.errors import ConfigError

# ``<<`` merges another mapping in; it may legitimately appear beside keys it is overridden by.
_MERGE_KEY = "tag:yaml.org,2002:merge"


def load_yaml(text: str, file: str) -> Any:
    """The document in ``text`` (``None`` when empty), read as YAML 1.1 with safe types only.

    Raises ``ConfigError`` naming ``file`` for invalid YAML and for a key given twice in one
    mapping.
    """
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        if root is not None:
            _refuse_duplicate_keys(root, file)
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ConfigError(
            f"not valid YAML{where}: {getattr(exc, 'problem', exc)}",
            file=file,
            fix="check indentation and quoting around that line",
        ) from None


def _refuse_duplicate_keys(root: yaml.Node, file: str) -> None:
    # Iterative walk over the node graph; anchors make it a graph, so each node is seen once.
    seen: set[int] = set()
    pending: list[tuple[yaml.Node, str]] = [(root, "")]
    while pending:
        node, path = pending.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.SequenceNode):
            pending.extend((item, f"{path}[{index}]") for index, item in enumerate(node.value))
        elif isinstance(node, yaml.MappingNode):
            # By tag too: `1` (an int) and `"1"` (a string) are different keys.
            first_line: dict[tuple[str, str], int] = {}
            for key, value in node.value:
                if key.tag == _MERGE_KEY or not isinstance(key, yaml.ScalarNode):
                    continue
                key_path = f"{path}.{key.value}" if path else str(key.value)
                line = key.start_mark.line + 1
                identity = (key.tag, str(key.value))
                if identity in first_line:
                    raise ConfigError(
                        f"key given twice, at line {first_line[identity]} and line {line}; "
                        "YAML would keep only the second and silently drop the first",
                        file=file,
                        key=key_path,
                        fix=f"merge the two `{key.value}:` blocks into one",
                    )
                first_line[identity] = line
                pending.append((value, key_path))
