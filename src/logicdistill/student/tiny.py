"""A tiny randomly initialised student for tests: a 2-layer Llama with a byte-level BPE tokenizer trained locally.

Built in well under a second with no files and no hub; every unit test in the project uses it instead of the
real default. Byte-level BPE means any text tokenises (unknown words fall back to bytes), and the corpus below
holds the words the tests use so those get whole-word tokens.
"""

from __future__ import annotations

import functools

import torch

CHAT_TEMPLATE = (
    "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)
SPECIAL_TOKENS = ["<|endoftext|>", "<|im_start|>", "<|im_end|>"]

_CORPUS = """
Rules: pursuers move first, then the evader moves. A pursuer captures the evader by ending on its cell.
Actions: up down left right stay. The grid has free cells and obstacle cells, walls and rooms.
Stage: choose the function that decides the next move. Functions (answer with exactly one name):
- chase_nearest: move each pursuer one step along a shortest path to the nearest evader.
- cut_off: move to block the exit the evader is heading for. block_exit intercept surround corner
- open_door: use when the door is yes. wait: use when the door is no. none: when no function applies.
- escort_step move_up move_down move_left move_right hit stick danger zone slowed sprint emergency
State: door: yes. door: no. light: on. light: off. evader trapped: yes. evader trapped: no.
Earlier results: stage one result. Which function? Answer with the name of one function.
pursuer 0 at (1, 2) pursuer 1 at (3, 4) evader at (5, 6) step 7 of 60 distance 8 9 10
player sum 12 13 14 15 16 17 18 19 20 21 dealer shows ace usable ace true false
You are a helpful assistant. The quick brown fox jumps over the lazy dog. yes no maybe
"""


@functools.lru_cache(maxsize=1)
def tiny_tokenizer():
    """The tiny byte-level BPE tokenizer with a ChatML-style chat template (built once per process)."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    core = Tokenizer(models.BPE())
    core.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    core.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=700,
        min_frequency=1,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    core.train_from_iterator(_CORPUS.strip().splitlines() * 3, trainer=trainer)
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<|im_start|>",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        unk_token="<|endoftext|>",
    )
    tokenizer.chat_template = CHAT_TEMPLATE
    return tokenizer


def tiny_model(vocab_size: int, seed: int = 0, layers: int = 2, width: int = 128):
    """A randomly initialised LlamaForCausalLM, seeded without touching the global torch RNG."""
    from transformers import LlamaConfig, LlamaForCausalLM

    tok = tiny_tokenizer()
    config = LlamaConfig(
        vocab_size=vocab_size,
        hidden_size=width,
        intermediate_size=2 * width,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=4096,
        tie_word_embeddings=True,
        bos_token_id=tok.bos_token_id,
        eos_token_id=tok.eos_token_id,
        pad_token_id=tok.pad_token_id,
    )
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = LlamaForCausalLM(config)
    return model.float().eval()


def tiny_student(seed: int = 0):
    """A Student around a fresh tiny model (seeded) and the shared tiny tokenizer."""
    from .model import Student

    tokenizer = tiny_tokenizer()
    return Student(tiny_model(len(tokenizer), seed), tokenizer, name=f"tiny:{seed}")
