"""The decision loop of Logic Distillation (Algorithm 1): stages, selection, sandboxed invocation, emergencies."""
