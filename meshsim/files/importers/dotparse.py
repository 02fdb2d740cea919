"""A small, tolerant parser of the Graphviz DOT language: nodes, edges and their attributes.

It reads what a service graph needs (node and edge statements, ``node``/``edge``
defaults, subgraphs, ``a -> b -> c`` chains, ``a -> {b c}``) and skips the rest
(graph attributes, ports, HTML labels). Errors carry the line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from meshsim.files.importers.sources import Source

__all__ = ["DotGraph", "parse_dot"]

_MAX_DEPTH = 100
_ID = re.compile(r"[A-Za-z_\u0080-\U0010ffff][A-Za-z0-9_\u0080-\U0010ffff]*")
_NUMERAL = re.compile(r"-?(?:\.\d+|\d+(?:\.\d*)?)")
_SPACE = re.compile(r"[ \t\r\f\v\n]+")
_KEYWORDS = {"strict", "graph", "digraph", "node", "edge", "subgraph"}


@dataclass
class DotGraph:
    """What a DOT file says about nodes and edges."""

    directed: bool = True
    nodes: dict[str, dict[str, str]] = field(default_factory=dict)
    node_lines: dict[str, int] = field(default_factory=dict)
    edges: list[tuple[str, str, dict[str, str], int]] = field(default_factory=list)


@dataclass(frozen=True)
class _Token:
    kind: str  # "id", "kw" or the punctuation itself
    text: str
    line: int


def _tokens(text: str, source: Source) -> list[_Token]:
    out: list[_Token] = []
    pos, line = 0, 1
    while pos < len(text):
        char = text[pos]
        if space := _SPACE.match(text, pos):
            line += space.group().count("\n")
            pos = space.end()
        elif text.startswith("//", pos) or (char == "#" and (pos == 0 or text[pos - 1] == "\n")):
            end = text.find("\n", pos)
            pos = len(text) if end < 0 else end
        elif text.startswith("/*", pos):
            end = text.find("*/", pos + 2)
            if end < 0:
                source.at(line).fail("unterminated /* comment")
            line += text.count("\n", pos, end)
            pos = end + 2
        elif char == '"':
            value, end = _quoted(text, pos, source.at(line))
            out.append(_Token("id", value, line))
            line += text.count("\n", pos, end)
            pos = end
        elif char == "<":
            end = _html_end(text, pos, source.at(line))
            out.append(_Token("id", text[pos + 1 : end - 1], line))
            line += text.count("\n", pos, end)
            pos = end
        elif text.startswith(("->", "--"), pos):
            out.append(_Token(text[pos : pos + 2], text[pos : pos + 2], line))
            pos += 2
        elif char in "{}[];,=:":
            out.append(_Token(char, char, line))
            pos += 1
        elif word := (_NUMERAL.match(text, pos) or _ID.match(text, pos)):
            kind = "kw" if word.group().lower() in _KEYWORDS else "id"
            out.append(_Token(kind, word.group().lower() if kind == "kw" else word.group(), line))
            pos = word.end()
        else:
            source.at(line).fail(f"unexpected character {char!r}")
    return out


def _quoted(text: str, pos: int, source: Source) -> tuple[str, int]:
    out, i = [], pos + 1
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            nxt = text[i + 1]
            out.append("" if nxt == "\n" else (nxt if nxt == '"' else "\\" + nxt))
            i += 2
        elif text[i] == '"':
            return "".join(out), i + 1
        else:
            out.append(text[i])
            i += 1
    source.fail("unterminated quoted string")


def _html_end(text: str, pos: int, source: Source) -> int:
    depth = 0
    for i in range(pos, len(text)):
        depth += {"<": 1, ">": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    source.fail("unterminated <...> label")


class _Parser:
    def __init__(self, tokens: list[_Token], source: Source) -> None:
        self.tokens, self.pos, self.source = tokens, 0, source
        self.graph = DotGraph()

    def peek(self, ahead: int = 0) -> _Token | None:
        i = self.pos + ahead
        return self.tokens[i] if i < len(self.tokens) else None

    def take(self, *kinds: str) -> _Token:
        token = self.peek()
        if token is None:
            line = self.tokens[-1].line if self.tokens else None
            self.source.at(line).fail(f"unexpected end of file, expected {' or '.join(kinds)}")
        if kinds and token.kind not in kinds and token.text not in kinds:
            self.source.at(token.line).fail(f"expected {' or '.join(kinds)}, found {token.text!r}")
        self.pos += 1
        return token

    def is_(self, *texts: str, ahead: int = 0) -> bool:
        token = self.peek(ahead)
        return token is not None and token.kind in ("kw", *texts) and token.text in texts

    def parse(self) -> DotGraph:
        if not self.tokens:
            self.source.fail("no graph in the file")
        while self.peek() is not None:
            if self.is_("strict"):
                self.take()
            kind = self.take("graph", "digraph")
            self.graph.directed = kind.text == "digraph"
            if self.peek() is not None and self.peek().kind == "id":
                self.take()
            self.take("{")
            self.statements({}, {}, 1)
            self.take("}")
        return self.graph

    def statements(self, node_defaults: dict, edge_defaults: dict, depth: int) -> list[str]:
        if depth > _MAX_DEPTH:
            token = self.peek()
            self.source.at(token.line if token else None).fail("subgraphs nest too deep")
        node_defaults, edge_defaults = dict(node_defaults), dict(edge_defaults)
        members: list[str] = []
        while self.peek() is not None and not self.is_("}"):
            if self.is_(";"):
                self.take()
            elif self.is_("graph", "node", "edge") and self.is_("[", ahead=1):
                kind = self.take().text
                attrs = self.attributes()
                {"node": node_defaults, "edge": edge_defaults}.get(kind, {}).update(attrs)
            elif self.peek().kind == "id" and self.is_("=", ahead=1):
                self.pos += 3
            else:
                members += self.statement(node_defaults, edge_defaults, depth)
        return members

    def statement(self, node_defaults: dict, edge_defaults: dict, depth: int) -> list[str]:
        line = self.peek().line
        lone_node = not self.is_("subgraph", "{")
        operands = [self.operand(node_defaults, edge_defaults, depth)]
        while self.is_("->", "--"):
            self.take()
            operands.append(self.operand(node_defaults, edge_defaults, depth))
        attrs = self.attributes() if self.is_("[") else {}
        if len(operands) == 1:
            if lone_node:
                self.node(operands[0][0], {**node_defaults, **attrs}, line)
            return operands[0]
        for left, right in zip(operands, operands[1:], strict=False):
            for a in left:
                for b in right:
                    self.graph.edges.append((a, b, {**edge_defaults, **attrs}, line))
        return [name for group in operands for name in group]

    def operand(self, node_defaults: dict, edge_defaults: dict, depth: int) -> list[str]:
        if self.is_("subgraph", "{"):
            if self.is_("subgraph"):
                self.take()
                if self.peek() is not None and self.peek().kind == "id":
                    self.take()
            self.take("{")
            members = self.statements(node_defaults, edge_defaults, depth + 1)
            self.take("}")
            return members
        token = self.take("id")
        while self.is_(":"):
            self.take()
            self.take("id", "kw")
        self.node(token.text, node_defaults, token.line, only_new=True)
        return [token.text]

    def node(self, name: str, attrs: dict, line: int, only_new: bool = False) -> None:
        if name not in self.graph.nodes:
            self.graph.nodes[name] = dict(attrs)
            self.graph.node_lines[name] = line
        elif not only_new:
            self.graph.nodes[name].update(attrs)

    def attributes(self) -> dict[str, str]:
        attrs: dict[str, str] = {}
        while self.is_("["):
            self.take()
            while not self.is_("]"):
                key = self.take("id", "kw").text
                value = "true"
                if self.is_("="):
                    self.take()
                    value = self.take("id", "kw").text
                attrs[key] = value
                if self.is_(",", ";"):
                    self.take()
            self.take("]")
        return attrs


def parse_dot(text: str, source: Source) -> DotGraph:
    """Parse DOT text.

    Raises
    ------
    GraphImportError
        On a syntax error, with its line.
    """
    return _Parser(_tokens(text, source), source).parse()
