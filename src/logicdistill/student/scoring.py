"""Constrained candidate scoring with a causal LM, a reusable KV cache of the fixed prompt part, greedy generation.

``candidate_log_probs`` is shared by inference (under no_grad) and training (with gradients): one forward pass
over a right-padded batch of prompts gives, at each prompt's last position, the logits of the candidates' first
tokens. Right padding needs no attention mask: with causal attention a real token never sees the pads after it.
Only when candidates share leading tokens does a second, small forward run the shared tokens (see examples.py).

A ``PrefixKV`` holds the keys/values of a fixed prompt part (batch 1). Each call builds a fresh DynamicCache
from those tensors (expanded over the batch); the model's cache update concatenates into new tensors, so the
stored prefix is never modified and needs no copy or crop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

from .examples import CandidateTrie

LN2 = math.log(2.0)


@dataclass(frozen=True)
class Selection:
    """The student's choice: candidate ``index`` (its ``name``), the probabilities over the K candidates, entropy."""

    index: int
    probs: np.ndarray
    entropy_bits: float
    name: str


@dataclass(frozen=True)
class PrefixKV:
    """Keys and values (one (k, v) pair per layer, batch 1) of the fixed prompt part ``ids``."""

    ids: tuple[int, ...]
    kv: tuple[tuple[torch.Tensor, torch.Tensor], ...]

    def __len__(self) -> int:
        return len(self.ids)

    def cache(self, model, batch: int) -> DynamicCache:
        """A fresh cache holding this prefix for ``batch`` rows (the stored tensors stay untouched)."""
        data = [(k.expand(batch, -1, -1, -1), v.expand(batch, -1, -1, -1)) for k, v in self.kv]
        return DynamicCache(ddp_cache_data=data, config=model.config)


def model_device(model) -> torch.device:
    """The device of the model's parameters."""
    return next(model.parameters()).device


def compute_prefix_kv(model, ids: list[int]) -> PrefixKV | None:
    """Run the fixed part once and keep its KV; None when the model's cache is not a plain growing one
    (sliding-window or linear-attention layers), in which case callers score without a prefix cache."""
    if not ids:
        return None
    cache = DynamicCache(config=model.config)
    x = torch.tensor([ids], device=model_device(model))
    model(input_ids=x, cache=cache, use_cache=True, logits_to_keep=1)
    if not cache.layers or any(type(layer) is not DynamicLayer for layer in cache.layers):
        return None
    return PrefixKV(tuple(ids), tuple((layer.keys, layer.values) for layer in cache.layers))


def _pad(rows: list[list[int]] | list[tuple[int, ...]], pad_id: int, device) -> torch.Tensor:
    width = max(len(r) for r in rows)
    x = torch.full((len(rows), width), pad_id, dtype=torch.long, device=device)
    for i, row in enumerate(rows):
        x[i, : len(row)] = torch.tensor(row, dtype=torch.long, device=device)
    return x


def candidate_log_probs(
    model,
    prompts: list[list[int]],
    tries: list[CandidateTrie],
    prefix: PrefixKV | None = None,
    pad_id: int = 0,
) -> list[torch.Tensor]:
    """Log-probabilities (a length-K tensor per prompt) of each prompt's candidates under constrained decoding.

    ``prompts`` are whole prompts, or the parts after ``prefix`` when a prefix KV is given (shared by all rows).
    Differentiable when called with gradients enabled.
    """
    device = model_device(model)
    lens = [len(p) for p in prompts]
    if min(lens) == 0:
        raise ValueError("every prompt needs at least one token after the prefix")
    need_deep = any(t.deep_nodes for t in tries)
    cache = prefix.cache(model, len(prompts)) if prefix is not None else None
    if cache is None and need_deep:
        cache = DynamicCache(config=model.config)
    keep = sorted(set(n - 1 for n in lens))
    out = model(
        input_ids=_pad(prompts, pad_id, device),
        cache=cache,
        use_cache=cache is not None,
        logits_to_keep=torch.tensor(keep, device=device),
    )
    base = len(prefix) if prefix is not None else 0
    results = []
    for b, trie in enumerate(tries):
        node_logits = {(): out.logits[b, keep.index(lens[b] - 1)]}
        if trie.deep_nodes:
            node_logits.update(_deep_logits(model, cache, b, base + lens[b], trie, pad_id))
        results.append(_path_log_probs(trie, node_logits, device))
    return results


def _deep_logits(model, cache: DynamicCache, row: int, length: int, trie: CandidateTrie, pad_id: int):
    """Logits at the trie's deeper branching nodes: run the shared leading tokens after prompt ``row``."""
    ext = trie.extension_rows()
    # This prompt's own cache, cut to its real length (the batch may have padded it), repeated per extension row.
    data = [(lay.keys[row : row + 1, :, :length], lay.values[row : row + 1, :, :length]) for lay in cache.layers]
    data = [(k.expand(len(ext), -1, -1, -1), v.expand(len(ext), -1, -1, -1)) for k, v in data]
    sub = DynamicCache(ddp_cache_data=data, config=model.config)
    logits = model(input_ids=_pad(ext, pad_id, model_device(model)), cache=sub, use_cache=True).logits
    found = {}
    for node in trie.deep_nodes:
        r = next(i for i, tokens in enumerate(ext) if tokens[: len(node)] == node)
        found[node] = logits[r, len(node) - 1]
    return found


def _path_log_probs(trie: CandidateTrie, node_logits: dict, device) -> torch.Tensor:
    """Sum, along each candidate's path, of the log-softmax over the allowed next tokens at branching nodes."""
    normed = {}
    for node, children in trie.branches.items():
        normed[node] = torch.log_softmax(node_logits[node][list(children)].float(), dim=-1)
    scores = []
    for path in trie.paths:
        total = torch.zeros((), device=device)
        for node, token in path:
            total = total + normed[node][trie.branches[node].index(token)]
        scores.append(total)
    return torch.stack(scores)


def to_selection(log_probs: torch.Tensor, candidates: list[str]) -> Selection:
    """Turn candidate log-probabilities into a Selection (argmax, first on ties)."""
    lp = log_probs.detach().double().cpu().numpy()
    probs = np.exp(lp - lp.max())
    probs /= probs.sum()
    nz = probs[probs > 0]
    entropy = float(-(nz * np.log2(nz)).sum())
    index = int(np.argmax(probs))
    return Selection(index, probs, max(entropy, 0.0), candidates[index])


def entropy_bits(logits: torch.Tensor) -> float:
    """Entropy in bits of the full-vocabulary distribution given by one row of logits."""
    lp = torch.log_softmax(logits.double(), dim=-1)
    return float(-(lp.exp() * lp).sum() / LN2)


def greedy_generate(
    model, ids: list[int], max_new_tokens: int, stop_ids: set[int], prefix: PrefixKV | None = None
) -> tuple[list[int], float]:
    """Greedy decoding; returns the new token ids (stop token excluded) and the summed per-token entropy (bits)."""
    device = model_device(model)
    cache = prefix.cache(model, 1) if prefix is not None else DynamicCache(config=model.config)
    x = torch.tensor([ids], device=device)
    new: list[int] = []
    total = 0.0
    for _ in range(max_new_tokens):
        logits = model(input_ids=x, cache=cache, use_cache=True, logits_to_keep=1).logits[0, -1]
        total += entropy_bits(logits)
        token = int(torch.argmax(logits))
        if token in stop_ids:
            break
        new.append(token)
        x = torch.tensor([[token]], device=device)
    return new, total
