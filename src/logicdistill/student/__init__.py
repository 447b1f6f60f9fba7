"""The student LLM: loading, constrained candidate scoring, LoRA training."""
