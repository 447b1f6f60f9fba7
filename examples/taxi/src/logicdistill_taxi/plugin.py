"""For ``logicdistill --plugin logicdistill_taxi.plugin ...``: importing this module registers the task.

An installed package needs no such import: logicdistill finds ``TaxiTask`` through the entry point.
"""

from logicdistill.tasks import register_task

from logicdistill_taxi.task import TaxiTask

register_task(TaxiTask())
