"""Distillation (step 2 of the method): labelled stage traces, the selection curriculum, LoRA runs."""
