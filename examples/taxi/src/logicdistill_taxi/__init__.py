"""Taxi for logicdistill: Gymnasium's Taxi as an out-of-tree task plugin (entry point ``logicdistill.tasks``)."""

from logicdistill_taxi.task import TaxiTask

__all__ = ["TaxiTask"]
