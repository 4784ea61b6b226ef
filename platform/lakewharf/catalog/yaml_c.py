"""The nodes of a catalog file composed by libyaml itself, in C (PyYAML's ``CParser.get_single_node``).

``yaml_source``'s guarded composer builds the nodes in Python, one call per parser event: a quarter
of loading a 1,000-table catalog. libyaml composes the same nodes, with the same marks, many times
faster, and is safe where the guards matter: it refuses more than 1,000 levels of nesting itself
("exceeded maximum nesting depth"), the converter then checks ``MAX_DEPTH``, and the node count is
bounded before composing by the indicators every node past the first needs (``-``, ``:``, ``?``,
``,``, ``[``, ``{``; a key and its value for each ``:``). It does not keep where an alias was
written (an alias hands back its anchor's node), so a file with an anchor, or any file it fails on,
takes the guarded path, whose messages and positions are the ones reported.
"""

from __future__ import annotations

from typing import Any

from yaml.cyaml import CParser
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

_DEFAULT_TAGS = {ScalarNode: Resolver.DEFAULT_SCALAR_TAG, SequenceNode: Resolver.DEFAULT_SEQUENCE_TAG,
                 MappingNode: Resolver.DEFAULT_MAPPING_TAG}


class _CComposer(CParser, Resolver):  # type: ignore[misc]
    def __init__(self, text: str, plain_tag: str) -> None:
        CParser.__init__(self, text)
        Resolver.__init__(self)
        self.plain_tag = plain_tag

    def resolve(self, kind: Any, value: Any, implicit: Any) -> str:
        if kind is ScalarNode and implicit[0]:
            return self.plain_tag  # the YAML 1.2 core schema is applied by the converter
        if self.yaml_path_resolvers:  # none unless someone added one to PyYAML's Resolver
            return super().resolve(kind, value, implicit)  # type: ignore[no-any-return]
        return _DEFAULT_TAGS[kind]  # what Resolver.resolve answers then, per node kind (a call per node)


def compose(text: str, plain_tag: str, max_nodes: int) -> Node | None:
    """The root node of ``text`` when it is a collection composed without a problem; else None."""
    if "&" in text or 2 * sum(text.count(c) for c in "-:?,[{") + 1 > max_nodes:
        return None
    loader = _CComposer(text, plain_tag)
    try:
        root = loader.get_single_node()
    except Exception:  # syntax, several documents, an undefined alias: the guarded path words it
        return None
    finally:
        loader.dispose()
    return None if root is None or isinstance(root, ScalarNode) else root
