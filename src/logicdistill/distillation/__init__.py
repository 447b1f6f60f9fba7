"""Distillation (step 2 of the method): labelled stage traces, varied synthetic manuals, LoRA runs."""
