"""The ConnectWise `conditions` / `customFieldConditions` grammar: parser and the public entry points.

One grammar serves both sides: the ConnectWise simulator parses what clients send and filters records
with it, and our client builds condition strings through `condition` / `quote` / `all_of`, so a PO
number can never smuggle in an `OR`. Tokens and literals live in `condition_syntax.py`, the nodes in
`condition_tree.py`, and how one comparison is judged against a record in `condition_eval.py`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from orderbridge.connectwise.condition_eval import Literal, Scalar
from orderbridge.connectwise.condition_syntax import RESERVED, ConditionSyntaxError, Token, condition, quote, tokenize
from orderbridge.connectwise.condition_tree import And, Comparison, Condition, Not, Or, UnknownConditionField

__all__ = [
    "And",
    "Comparison",
    "Condition",
    "ConditionSyntaxError",
    "Not",
    "Or",
    "UnknownConditionField",
    "all_of",
    "any_of",
    "condition",
    "matches_custom_fields",
    "parse_conditions",
    "quote",
]

# Deep enough for any real query; shallow enough that recursion can never exhaust the Python stack.
MAX_DEPTH = 64


class _Parser:
    """Recursive descent over: expr := and (OR and)* ; and := unary (AND unary)* ;
    unary := NOT unary | '(' expr ')' | field op value."""

    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.index = 0
        self.depth = 0

    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.index + ahead, len(self.tokens) - 1)]

    def take(self) -> Token:
        token = self.peek()
        self.index += 1
        return token

    def parse(self) -> Condition:
        result = self.expr()
        token = self.peek()
        if token.kind == "rp":
            raise ConditionSyntaxError(f"Unexpected ')' at column {token.column} (no matching '(')", token.column)
        if token.kind != "end":
            raise ConditionSyntaxError(
                f"Expected AND, OR or end of input at column {token.column}, found {token.describe()}", token.column
            )
        return result

    def expr(self) -> Condition:
        parts = [self.conjunction()]
        while self.peek().is_word("or"):
            self.take()
            parts.append(self.conjunction())
        return _joined(Or, parts)

    def conjunction(self) -> Condition:
        parts = [self.unary()]
        while self.peek().is_word("and"):
            self.take()
            parts.append(self.unary())
        return _joined(And, parts)

    def unary(self) -> Condition:
        token = self.peek()
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ConditionSyntaxError(f"Condition nested too deeply at column {token.column}", token.column)
        try:
            if token.is_word("not"):
                self.take()
                return Not(self.unary())
            if token.kind == "lp":
                self.take()
                inner = self.expr()
                if self.peek().kind != "rp":
                    found = self.peek()
                    if found.kind == "end":
                        message = f"Unbalanced parenthesis: '(' at column {token.column} is never closed"
                    else:
                        message = f"Expected ')' at column {found.column}, found {found.describe()}"
                    raise ConditionSyntaxError(message, found.column)
                self.take()
                return inner
            return self.comparison()
        finally:
            self.depth -= 1

    def comparison(self) -> Comparison:
        name = self.take()
        if name.kind != "word" or name.text.casefold() in RESERVED:
            raise ConditionSyntaxError(
                f"Expected a field name at column {name.column}, found {name.describe()}", name.column
            )
        op_token = self.peek()
        op = self.operator(name)
        value: Literal = self.value_list(op_token) if op.endswith("in") else self.value(op_token)
        return Comparison(name.text, op, value)

    def operator(self, name: Token) -> str:
        token = self.take()
        if token.kind == "op":
            return "!=" if token.text == "<>" else token.text
        word = token.text.casefold() if token.kind == "word" else ""
        if word in ("contains", "like", "in"):
            return word
        if word == "not":
            follower = self.take()
            if follower.kind == "word" and follower.text.casefold() in ("contains", "like", "in"):
                return f"not {follower.text.casefold()}"
            raise ConditionSyntaxError(
                f"Expected contains, like or in after 'not' at column {follower.column}, found {follower.describe()}",
                follower.column,
            )
        if token.kind == "word":
            message = f"Unknown operator '{token.text}' after '{name.text}' at column {token.column}"
        else:
            message = f"Expected an operator after '{name.text}' at column {token.column}, found {token.describe()}"
        raise ConditionSyntaxError(message, token.column)

    def value(self, after: Token) -> Scalar:
        token = self.take()
        if token.kind in ("str", "num", "dt"):
            return token.value
        if token.kind == "word":
            keyword = token.text.casefold()
            if keyword in ("true", "false"):
                return keyword == "true"
            if keyword == "null":
                return None
            raise ConditionSyntaxError(
                f"Expected a value after '{after.text}' at column {token.column}, found '{token.text}'"
                " (strings must be quoted)",
                token.column,
            )
        raise ConditionSyntaxError(
            f"Expected a value after '{after.text}' at column {token.column}, found {token.describe()}", token.column
        )

    def value_list(self, after: Token) -> tuple[Scalar, ...]:
        opening = self.take()
        if opening.kind != "lp":
            raise ConditionSyntaxError(
                f"Expected '(' after '{after.text}' at column {opening.column}, found {opening.describe()}",
                opening.column,
            )
        items = [self.value(opening)]
        while self.peek().kind == "comma":
            items.append(self.value(self.take()))
        closing = self.take()
        if closing.kind != "rp":
            if closing.kind == "end":
                message = f"Unbalanced parenthesis: '(' at column {opening.column} is never closed"
            else:
                message = f"Expected ',' or ')' in list at column {closing.column}, found {closing.describe()}"
            raise ConditionSyntaxError(message, closing.column)
        return tuple(items)


def _joined(kind: type[And] | type[Or], parts: list[Condition]) -> Condition:
    if len(parts) == 1:
        return parts[0]
    flat: list[Condition] = []
    for part in parts:  # `(a AND b) AND c` means the same as `a AND b AND c`
        flat.extend(part.parts if isinstance(part, kind) else (part,))
    return kind(tuple(flat))


def parse_conditions(text: str) -> Condition:
    """Parse a `conditions` / `customFieldConditions` string; raises `ConditionSyntaxError` only."""
    return _Parser(text).parse()


def matches_custom_fields(cond: Condition, custom_fields: Sequence[Mapping[str, Any]]) -> bool:
    """`customFieldConditions`: true when one custom-field entry satisfies the whole condition.

    So `caption="Send to TDS" AND value=true` needs both on the *same* entry, not across entries.
    """
    return any(isinstance(entry, Mapping) and cond.matches(entry) for entry in custom_fields)


def _is_wrapped(tokens: list[Token]) -> bool:
    if tokens[0].kind != "lp":
        return False
    level = 0
    for index, token in enumerate(tokens):
        level += {"lp": 1, "rp": -1}.get(token.kind, 0)
        if level == 0:
            return tokens[index + 1].kind == "end"
    return False


def _join(parts: tuple[str, ...], keyword: str) -> str:
    if not parts:
        raise ValueError(f"{keyword} of no conditions")
    rendered: list[str] = []
    for part in parts:
        parsed = parse_conditions(part)  # refuses malformed fragments before they reach ConnectWise
        wrapped = _is_wrapped(tokenize(part))
        if len(parts) == 1 and wrapped:
            return part
        needs_parens = keyword == "AND" and isinstance(parsed, Or) and not wrapped
        rendered.append(f"({part})" if needs_parens else part)
    return "(" + f" {keyword} ".join(rendered) + ")"


def all_of(*parts: str) -> str:
    """`(a AND b ...)`, parenthesising any part whose own OR would otherwise leak out."""
    return _join(parts, "AND")


def any_of(*parts: str) -> str:
    """`(a OR b ...)`; AND binds tighter than OR, so no part needs extra parentheses."""
    return _join(parts, "OR")
