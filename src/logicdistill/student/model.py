"""The Student: a causal LM + tokenizer that selects among candidates, generates, and proves its weights unchanged.

``load_student("default")`` gives the embedded SmolLM2-135M-Instruct (see default.py); any other name is a
Hugging Face model id or a local folder loaded through AutoModelForCausalLM/AutoTokenizer; ``"tiny"`` is the
random test model. The model may be wrapped in a PEFT LoRA adapter (training.py); hashes tell base and adapter
apart so that a run can prove emergencies changed no weights.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from ..settings import default_rows
from .examples import CandidateTrie, ChatFormat, SelectionExample, candidate_token_ids, prompt_ids, varying_ids
from .fast import FastCopy, close_call, folded_copy
from .scoring import PrefixKV, Selection, candidate_log_probs, compute_prefix_kv, greedy_generate, to_selection


@dataclass(frozen=True)
class Encoded:
    """An example as token ids: fixed part, varying part, candidate trie."""

    fixed: list[int]
    varying: list[int]
    trie: CandidateTrie


class Student:
    """A causal LM with its tokenizer, scoring candidates by constrained decoding (see scoring.py)."""

    def __init__(
        self,
        model,
        tokenizer,
        name: str = "student",
        device: str = "cpu",
        prefix_cache_size: int = 8,
        rows: int | None = None,
    ):
        self.model = model.to(device).eval()
        self.tokenizer = tokenizer
        self.name = name
        self.device = device
        self.format = ChatFormat.for_tokenizer(tokenizer)
        pad = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else tokenizer.eos_token_id
        self.pad_id = int(pad if pad is not None else 0)
        self.prefix_cache_size = prefix_cache_size
        # Prompts per forward pass (--rows): the device's default from settings.DEVICE_DEFAULTS unless set.
        self.rows = rows or default_rows(device)
        self._rows_given = rows is not None
        self.adapter_dir: Path | None = None  # the LoRA adapter folder load_adapter attached, if any
        self._prefixes: OrderedDict[str, PrefixKV | None] = OrderedDict()
        self._fixed_ids: OrderedDict[str, list[int]] = OrderedDict()
        self._tries: dict[tuple[str, ...], CandidateTrie] = {}
        self.fast_dtype: torch.dtype | None = None  # decide with a folded copy in this precision (see fast.py)
        self._fast: FastCopy | None = None
        self._adapter_off = False

    # -- encoding ---------------------------------------------------------------------------------------------
    def encode(self, example: SelectionExample) -> Encoded:
        """Token ids of the example's prompt parts and its candidate trie (the fixed part's ids are memoised:
        in play the same few prefixes come back at every stage)."""
        fixed = self._fixed_ids.get(example.prefix)
        if fixed is None:
            fixed, varying = prompt_ids(self.tokenizer, self.format, example)
            self._fixed_ids[example.prefix] = fixed
            while len(self._fixed_ids) > 64:
                self._fixed_ids.popitem(last=False)
        else:
            varying = varying_ids(self.tokenizer, self.format, example)
        return Encoded(fixed, varying, self.trie(example.candidates))

    def trie(self, candidates: Sequence[str]) -> CandidateTrie:
        """The candidate trie for these names (memoised)."""
        key = tuple(candidates)
        if key not in self._tries:
            if len(self._tries) > 4096:
                self._tries.clear()
            seqs = [candidate_token_ids(self.tokenizer, c, self.format.end_id) for c in key]
            self._tries[key] = CandidateTrie.build(seqs)
        return self._tries[key]

    # -- selection --------------------------------------------------------------------------------------------
    def select(self, example: SelectionExample, use_cache: bool = True) -> Selection:
        """Choose one of the example's candidates; always returns one of them."""
        return self.select_batch([example], use_cache=use_cache)[0]

    @torch.no_grad()
    def select_batch(
        self, examples: Sequence[SelectionExample], use_cache: bool = True, batch_size: int | None = None
    ) -> list[Selection]:
        """Select for many examples: grouped by fixed prefix (its KV computed once), batched within a group,
        ``batch_size`` prompts per forward pass (default: ``rows``, sized for the device). With fast scoring
        on, the folded copy scores them and the student itself scores again the close low-precision rows."""
        batch_size = batch_size or self.rows
        fast = self._fast_copy()
        out: list[Selection | None] = [None] * len(examples)
        groups: dict[str, list[int]] = {}
        for i, ex in enumerate(examples):
            groups.setdefault(ex.prefix if use_cache else "", []).append(i)
        for prefix_text, members in groups.items():
            encoded = {i: self.encode(examples[i]) for i in members}
            group = (prefix_text, encoded, batch_size, use_cache)
            if fast is None:
                scores = self._score(self.model, self._prefixes, members, *group)
            else:
                scores = self._score(fast.model, fast.prefixes, members, *group)
                fast.rows_scored += len(members)
                again = [i for i in members if fast.needs_check and close_call(scores[i])]
                if again:
                    fast.checked += len(again)
                    scores.update(self._score(self.model, self._prefixes, again, *group))
            for i in members:
                out[i] = to_selection(scores[i], examples[i].candidates)
        return out  # type: ignore[return-value]

    def _score(
        self,
        model,
        prefixes: OrderedDict,
        members: list[int],
        prefix_text: str,
        encoded: dict[int, Encoded],
        batch_size: int,
        use_cache: bool,
    ) -> dict[int, torch.Tensor]:
        """Candidate log-probabilities of ``members`` under ``model``, ``batch_size`` prompts per forward pass."""
        pkv = self._prefix(model, prefixes, prefix_text, encoded[members[0]].fixed) if use_cache else None
        scores: dict[int, torch.Tensor] = {}
        for start in range(0, len(members), batch_size):
            chunk = members[start : start + batch_size]
            if pkv is not None:
                prompts = [encoded[i].varying for i in chunk]
            else:
                prompts = [encoded[i].fixed + encoded[i].varying for i in chunk]
            tries = [encoded[i].trie for i in chunk]
            found = candidate_log_probs(model, prompts, tries, prefix=pkv, pad_id=self.pad_id)
            scores.update(zip(chunk, found, strict=True))
        return scores

    def prefix_kv(self, prefix_text: str, fixed_ids: list[int]) -> PrefixKV | None:
        """The student's KV of a fixed prompt part, from a small LRU cache keyed by the prefix text."""
        return self._prefix(self.model, self._prefixes, prefix_text, fixed_ids)

    def _prefix(self, model, prefixes: OrderedDict, prefix_text: str, fixed_ids: list[int]) -> PrefixKV | None:
        if prefix_text in prefixes:
            prefixes.move_to_end(prefix_text)
            return prefixes[prefix_text]
        pkv = compute_prefix_kv(model, fixed_ids)
        prefixes[prefix_text] = pkv
        while len(prefixes) > self.prefix_cache_size:
            prefixes.popitem(last=False)
        return pkv

    # -- fast scoring -----------------------------------------------------------------------------------------
    def score_fast(self, dtype: torch.dtype | None) -> None:
        """Decide with a copy that has the adapter folded in, in ``dtype`` (None: with the student itself).
        The copy is made at the first selection after this, and again after any change of weights or adapter
        (``clear_cache``); training never uses it (it selects with the student while ``model.training``)."""
        self.fast_dtype = dtype
        self._fast = None
        if not self._rows_given:
            self.rows = default_rows(self.device, dtype)

    def set_rows(self, rows: int) -> None:
        """Score ``rows`` prompts per forward pass from now on, whatever the precision (``--rows``)."""
        self.rows, self._rows_given = rows, True

    @property
    def fast(self) -> FastCopy | None:
        """The fast copy as it is now (None before the first selection or with fast scoring off)."""
        return self._fast

    def _fast_copy(self) -> FastCopy | None:
        if self.fast_dtype is None or self._adapter_off or self.model.training:
            return None
        if self._fast is None:
            self._fast = folded_copy(self.model, self.fast_dtype)
        return self._fast

    def clear_cache(self) -> None:
        """Forget cached prefix KVs and the fast copy (needed whenever the weights or the adapter change)."""
        self._prefixes.clear()
        self._fast = None

    # -- generation -------------------------------------------------------------------------------------------
    def prompt_token_ids(self, prompt: str | SelectionExample) -> list[int]:
        """The chat prompt ids for a raw user message or a selection example (assistant turn opened)."""
        if isinstance(prompt, SelectionExample):
            fixed, varying = prompt_ids(self.tokenizer, self.format, prompt)
            return fixed + varying
        text = self.format.head + prompt + self.format.tail
        return list(self.tokenizer(text, add_special_tokens=False)["input_ids"])

    @torch.no_grad()
    def generate_with_entropy(
        self, prompt: str | SelectionExample, max_new_tokens: int = 16, use_cache: bool = False
    ) -> tuple[str, float]:
        """Greedy answer text and the summed full-vocabulary entropy (bits) of the generated tokens.
        With ``use_cache`` a selection example's fixed prefix KV is reused, as in scoring."""
        stop = {self.format.end_id}
        if self.tokenizer.eos_token_id is not None:
            stop.add(int(self.tokenizer.eos_token_id))
        ids, pkv = self.prompt_token_ids(prompt), None
        if use_cache and isinstance(prompt, SelectionExample):
            fixed, varying = prompt_ids(self.tokenizer, self.format, prompt)
            pkv = self.prefix_kv(prompt.prefix, fixed)
            ids = varying if pkv is not None else ids
        new, bits = greedy_generate(self.model, ids, max_new_tokens, stop, prefix=pkv)
        return self.tokenizer.decode(new, skip_special_tokens=True).strip(), bits

    def generate(self, prompt: str | SelectionExample, max_new_tokens: int = 16, use_cache: bool = False) -> str:
        """Greedy generation of an answer to ``prompt`` (a user message, or a selection example's prompt)."""
        return self.generate_with_entropy(prompt, max_new_tokens, use_cache)[0]

    def generation_entropy_bits(self, prompt: str | SelectionExample, max_new_tokens: int = 16) -> float:
        """Free-generation entropy: the sum over generated tokens of the full-vocabulary entropy, in bits."""
        return self.generate_with_entropy(prompt, max_new_tokens)[1]

    # -- adapters and hashes ----------------------------------------------------------------------------------
    @property
    def has_adapter(self) -> bool:
        """Whether a PEFT adapter wraps the base model."""
        return hasattr(self.model, "peft_config")

    @contextlib.contextmanager
    def without_adapter(self) -> Iterator[Student]:
        """Temporarily score with the bare base model (e.g. the untuned baseline) without unloading the adapter."""
        if not self.has_adapter:
            yield self
            return
        self.clear_cache()
        self._adapter_off = True  # a fast copy would fold the adapter in: score with the bare model itself
        try:
            with self.model.disable_adapter():
                yield self
        finally:
            self._adapter_off = False
            self.clear_cache()

    def _hash(self, want_lora: bool) -> str | None:
        digest = hashlib.sha256()
        count = 0
        for name, param in sorted(self.model.named_parameters(), key=lambda item: _canonical(item[0])):
            if ("lora_" in name) != want_lora:
                continue
            data = param.detach().cpu().contiguous().reshape(-1).view(torch.uint8).numpy()
            digest.update(f"{_canonical(name)}|{param.dtype}|{tuple(param.shape)}\n".encode())
            digest.update(memoryview(data))
            count += 1
        return digest.hexdigest() if count else None

    def weights_hash(self) -> str:
        """sha256 over the base model's parameters (names, dtypes, shapes, values); LoRA weights excluded, so it
        is the same before and after an adapter is attached or trained."""
        return self._hash(want_lora=False) or ""

    def adapter_hash(self) -> str | None:
        """sha256 over the LoRA parameters, or None without an adapter."""
        return self._hash(want_lora=True) if self.has_adapter else None


def _canonical(name: str) -> str:
    """A parameter name as the bare base model calls it (strip PEFT's wrapper prefixes)."""
    name = name.removeprefix("base_model.model.")
    return name.replace(".base_layer.", ".")
