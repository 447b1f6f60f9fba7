"""Distillation (SPEC §1 step 2): labelled stage traces, varied synthetic manuals, LoRA runs."""
