"""Selection examples and how they become token ids: chat prompt, candidate token sequences, candidate trie.

A selection prompt has a fixed part (``prefix``: rules, stage, the candidates' manuals in a fixed order) and a
varying part at the end (``state``: state text and earlier stage results). The prompt token ids are always
``ids(head + prefix) + ids(state + tail)``, where head/tail wrap the user message in the tokenizer's chat
template and open the assistant turn. Tokenising the two parts separately makes the ids of the fixed part
independent of the state, so its KV cache can be reused exactly, and training and inference see the same ids.

The answer is a candidate's name. Its probability is that of constrained decoding over the candidates'
token sequences (name tokens + the end-of-answer token): at every branching point of the candidates' token
trie the model's logits are renormalised over the allowed next tokens. When the candidates' first tokens are
distinct this is simply the softmax of their first-token logits (one forward pass); where first tokens
collide, the colliding names are told apart by their later tokens.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

_SENTINEL = "\u2063LD-USER-CONTENT\u2063"
_ANSWER_SENTINEL = "\u2063LD-ANSWER\u2063"
PLAIN_TAIL = "\nAnswer: "


@dataclass(frozen=True)
class SelectionExample:
    """One stage decision: pick one of ``candidates`` (function names, maybe ``"none"``); ``gold`` is the label."""

    prefix: str
    state: str
    candidates: list[str]
    gold: int | None = None
    form: str = ""  # what the example exercises: a curriculum condition form, "rule_override", "" (a task trace)

    def __post_init__(self) -> None:
        if not self.candidates:
            raise ValueError("a selection example needs at least one candidate")
        if any(not isinstance(c, str) or not c.strip() for c in self.candidates):
            raise ValueError(f"candidate names must be non-empty strings: {self.candidates!r}")
        if len(set(self.candidates)) != len(self.candidates):
            raise ValueError(f"candidate names must be distinct: {self.candidates!r}")
        if self.gold is not None and not 0 <= self.gold < len(self.candidates):
            raise ValueError(f"gold index {self.gold} out of range for {len(self.candidates)} candidates")


@dataclass(frozen=True)
class ChatFormat:
    """How a user message is wrapped for one tokenizer: ``head + message + tail``, then the answer, then ``end_id``."""

    head: str
    tail: str
    end_id: int

    @staticmethod
    def for_tokenizer(tokenizer) -> ChatFormat:
        """Derive head/tail/end token from the tokenizer's chat template (plain ``Answer:`` format without one)."""
        end_id = tokenizer.eos_token_id
        if getattr(tokenizer, "chat_template", None):
            user = [{"role": "user", "content": _SENTINEL}]
            text = tokenizer.apply_chat_template(user, add_generation_prompt=True, tokenize=False)
            if text.count(_SENTINEL) == 1:
                head, tail = text.split(_SENTINEL)
                # The token the template writes right after an assistant answer ends the answer (e.g. <|im_end|>).
                turn = [{"role": "user", "content": "u"}, {"role": "assistant", "content": _ANSWER_SENTINEL}]
                full = tokenizer.apply_chat_template(turn, tokenize=False)
                after = full.split(_ANSWER_SENTINEL)[-1] if _ANSWER_SENTINEL in full else ""
                after_ids = tokenizer(after, add_special_tokens=False)["input_ids"] if after else []
                return ChatFormat(head, tail, after_ids[0] if after_ids else _fallback_end(tokenizer, end_id))
        return ChatFormat("", PLAIN_TAIL, _fallback_end(tokenizer, end_id))


def _fallback_end(tokenizer, end_id: int | None) -> int:
    if end_id is not None:
        return int(end_id)
    return int(tokenizer("\n", add_special_tokens=False)["input_ids"][-1])


@dataclass(frozen=True)
class CandidateTrie:
    """The candidates' token sequences (name ids + end id) and the branching points of their trie.

    ``branches`` maps a token prefix (a trie node) to the allowed next tokens, for nodes with two or more.
    ``paths[c]`` lists, for candidate c, the (node, next token) pairs where it passes a branching node.
    """

    seqs: tuple[tuple[int, ...], ...]
    branches: dict[tuple[int, ...], tuple[int, ...]] = field(repr=False)
    paths: tuple[tuple[tuple[tuple[int, ...], int], ...], ...] = field(repr=False)

    @staticmethod
    def build(seqs: Sequence[Sequence[int]]) -> CandidateTrie:
        """Build from per-candidate token sequences; they must be distinct (the end token makes them prefix-free)."""
        seqs = tuple(tuple(s) for s in seqs)
        if len(set(seqs)) != len(seqs):
            raise ValueError("two candidates have the same token sequence")
        children: dict[tuple[int, ...], list[int]] = {}
        for seq in seqs:
            for m in range(len(seq)):
                nxt = children.setdefault(seq[:m], [])
                if seq[m] not in nxt:
                    nxt.append(seq[m])
        branches = {node: tuple(nxt) for node, nxt in children.items() if len(nxt) > 1}
        paths = tuple(tuple((seq[:m], seq[m]) for m in range(len(seq)) if seq[:m] in branches) for seq in seqs)
        return CandidateTrie(seqs, branches, paths)

    @property
    def root_children(self) -> tuple[int, ...]:
        """The distinct first tokens, in candidate order."""
        return tuple(dict.fromkeys(s[0] for s in self.seqs))

    @property
    def deep_nodes(self) -> list[tuple[int, ...]]:
        """Branching nodes below the root: these need the model run over the shared leading tokens."""
        return [node for node in self.branches if node]

    def extension_rows(self) -> list[tuple[int, ...]]:
        """Token rows to feed after the prompt so every deep branching node gets its logits (one row per need)."""
        rows: list[tuple[int, ...]] = []
        for node in sorted(self.deep_nodes, key=len, reverse=True):
            if not any(row[: len(node)] == node for row in rows):
                rows.append(node)
        return rows


def candidate_token_ids(tokenizer, name: str, end_id: int) -> tuple[int, ...]:
    """The ids the answer ``name`` is written with at the start of the assistant turn, then the end token."""
    return tuple(tokenizer(name, add_special_tokens=False)["input_ids"]) + (end_id,)


def prompt_ids(tokenizer, fmt: ChatFormat, example: SelectionExample) -> tuple[list[int], list[int]]:
    """(fixed part ids, varying part ids) of the example's prompt; their concatenation is the whole prompt."""
    return text_ids(tokenizer, fmt.head + example.prefix), varying_ids(tokenizer, fmt, example)


def varying_ids(tokenizer, fmt: ChatFormat, example: SelectionExample) -> list[int]:
    """The varying part's ids alone (tokenised apart from the fixed part, so they do not depend on it)."""
    varying = text_ids(tokenizer, example.state + fmt.tail)
    if not varying:
        raise ValueError("the varying part of a prompt must not be empty")
    return varying


def text_ids(tokenizer, text: str) -> list[int]:
    """The ids of ``text`` without added special tokens. A fast tokenizer is asked through its Rust backend:
    the same ids as ``tokenizer(text)``, a quarter of the time (its Python wrapper costs ~0.3 ms a call)."""
    backend = getattr(tokenizer, "_tokenizer", None) if getattr(tokenizer, "is_fast", False) else None
    if backend is not None and not getattr(tokenizer, "split_special_tokens", False):
        return list(backend.encode(text, add_special_tokens=False).ids)
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def format_manuals(manuals: Sequence[tuple[str, str]]) -> str:
    """The candidate block: one ``- name: manual`` entry per function, in the given (fixed) order."""
    return "\n".join(f"- {name}: {' '.join(manual.split())}" for name, manual in manuals)


def build_prefix(rules: str, stage: str, manuals: Sequence[tuple[str, str]]) -> str:
    """The fixed part of a stage prompt: rules, stage, and the candidates' manuals (include ``none`` if allowed)."""
    return (
        f"Rules:\n{rules.strip()}\n\nStage: {stage.strip()}\n"
        f"Functions (answer with exactly one name):\n{format_manuals(manuals)}\n\n"
    )


def build_state(state_text: str, results: Sequence[tuple[str, str]] = ()) -> str:
    """The varying part: the state text, then earlier stage results as ``stage: result`` lines, then the question."""
    lines = ["State:", state_text.strip()]
    if results:
        lines += ["Earlier results:"] + [f"{stage}: {result}" for stage, result in results]
    lines.append("Which function?")
    return "\n".join(lines)


def make_example(
    rules: str,
    stage: str,
    manuals: Sequence[tuple[str, str]],
    state_text: str,
    results: Sequence[tuple[str, str]] = (),
    gold: str | None = None,
) -> SelectionExample:
    """Assemble a SelectionExample whose candidates are the manuals' names in order; ``gold`` is a name or None."""
    names = [name for name, _ in manuals]
    if gold is not None and gold not in names:
        raise ValueError(f"gold {gold!r} is not among the candidates {names!r}")
    return SelectionExample(
        build_prefix(rules, stage, manuals),
        build_state(state_text, results),
        names,
        None if gold is None else names.index(gold),
    )
