"""The student a policy decides with: loaded once, the same way for every policy that loads one.

A policy names a run (its adapter) or none (the untuned default student) and passes its :class:`Settings`;
a student shared by several policies (tests, benchmarks) is taken as it is, with the run's adapter attached if
it carries another. The student loads in fp32 (its weights hash proves that emergencies change nothing) and
decides through a copy with the adapter folded in, in the settings' decision precision (student/fast.py).
"""

from __future__ import annotations

from typing import Any

from logicdistill.settings import Settings


def decision_student(run: Any, settings: Settings, student: Any = None) -> Any:
    """The student for ``run`` (a DistilledStudent, or None for the untuned default) under ``settings``."""
    from logicdistill.student.loading import load_student
    from logicdistill.student.training import load_adapter

    if student is not None:
        if run is not None and getattr(student, "adapter_dir", None) != run.adapter_dir.resolve():
            load_adapter(student, run.adapter_dir)
    else:
        device = settings.resolved_device()
        student = run.load_student(device, None) if run is not None else load_student("default", device, None)
        student.score_fast(settings.decision_dtype)
    if settings.rows_per_pass is not None:
        student.set_rows(settings.rows_per_pass)
    return student
