"""
The site's periodic tasks while the demo serves: Celery beat's schedule, run in-process.

A site without Celery beat sends no lost badge again, syncs no template, refreshes no
pending badge, and after ten minutes its admin says "Periodic tasks are not running". The
demo runs the same ``CELERY_BEAT_SCHEDULE`` the plugin gives the LMS, from a thread of its
own: each task once when serving starts (beat with a fresh schedule file would wait one
period; the sweeper's heartbeat is then there from the first minute), then once per period.
Each run goes through the task's ``apply_async`` with the schedule's options: in-process
when the demo has no broker, to the demo's worker when it has one, as beat would send it.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from datetime import timedelta

log = logging.getLogger(__name__)


@dataclass
class PeriodicTask:
    """One entry of the beat schedule: its name, its task's dotted path, its period and options."""

    name: str
    task: str
    period: float
    options: dict

    @classmethod
    def from_schedule(cls, name: str, entry: dict) -> "PeriodicTask":
        """The entry ``name`` of a beat schedule (its ``schedule`` a timedelta, seconds or a celery schedule)."""
        schedule = entry["schedule"]
        schedule = getattr(schedule, "run_every", schedule)  # a celery.schedules.schedule holds a timedelta
        period = schedule.total_seconds() if isinstance(schedule, timedelta) else float(schedule)
        return cls(name=name, task=entry["task"], period=period, options=dict(entry.get("options") or {}))


def schedule_from_settings() -> list[PeriodicTask]:
    """The plugin's entries of the host's beat schedule (``CELERY_BEAT_SCHEDULE``), soonest period first."""
    from django.conf import settings  # pylint: disable=import-outside-toplevel

    entries = getattr(settings, "CELERY_BEAT_SCHEDULE", None) or {}
    tasks = [PeriodicTask.from_schedule(name, entry) for name, entry in entries.items()
             if entry.get("task", "").startswith("openedx_credly.")]
    return sorted(tasks, key=lambda task: task.period)


class PeriodicRunner:
    """Runs a schedule from a daemon thread until ``stop()``; ``runs`` counts each task's runs."""

    def __init__(self, tasks: list[PeriodicTask], clock=time.monotonic):
        self.tasks = tasks
        self.clock = clock
        self.runs: dict[str, int] = {task.name: 0 for task in tasks}
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="demo-periodic-tasks", daemon=True)

    def start(self) -> "PeriodicRunner":
        """Start the thread; returns the runner."""
        self._thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Stop after the task running now, if any; wait for it at most ``timeout`` seconds."""
        self._stopped.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        """Each task at once, then whenever its period has passed, until stopped."""
        from django.db import close_old_connections  # pylint: disable=import-outside-toplevel

        due = {task.name: self.clock() for task in self.tasks}
        while not self._stopped.is_set():
            now = self.clock()
            for task in self.tasks:
                if due[task.name] <= now:
                    self.run_once(task)
                    close_old_connections()  # this thread's, as Django does after each request
                    due[task.name] = now + task.period
            if due:
                self._stopped.wait(max(0.5, min(due.values()) - self.clock()))
            else:
                self._stopped.wait()

    def run_once(self, task: PeriodicTask) -> None:
        """Send ``task`` as beat does; a failure is logged and the schedule goes on."""
        from django.utils.module_loading import import_string  # pylint: disable=import-outside-toplevel

        try:
            import_string(task.task).apply_async(**task.options)
            self.runs[task.name] += 1
        except Exception:  # pylint: disable=broad-except
            log.exception("The periodic task %s failed; it runs again in %s s.", task.task, task.period)
