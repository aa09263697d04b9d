"""Progress of a night, file by file: silent by default, drawn with rich by `dsnpipe run`."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import TaskID


class ProgressReporter:
    """Told about each file as a step handles it; this base class ignores it."""

    def files(self, step: str, done: int, total: int, current: str) -> None:
        return None


class RichProgress(ProgressReporter):
    """One bar per step, with the name of the file being handled."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[current]}"),
            console=console,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> RichProgress:
        self._progress.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._progress.stop()

    def files(self, step: str, done: int, total: int, current: str) -> None:
        if step not in self._tasks:
            self._tasks[step] = self._progress.add_task(step, total=total, current="")
        self._progress.update(self._tasks[step], completed=done, total=total, current=current)
