"""The landing directory the generator writes, with file times set to each file's arrival."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

FOLDERS = ("dsn", "bank", "reference", "portal", "truth")


class OutputFolder:
    def __init__(self, root: Path) -> None:
        self.root = root
        for folder in FOLDERS:
            (root / folder).mkdir(parents=True, exist_ok=True)
        self.files = 0
        self.bytes = 0

    def path(self, folder: str, name: str) -> Path:
        return self.root / folder / name

    def write_dsn(self, name: str, content: bytes, arrival: datetime) -> Path:
        return self.write("dsn", name, content, arrival)

    def write(self, folder: str, name: str, content: bytes, arrival: datetime) -> Path:
        path = self.path(folder, name)
        if path.exists():
            raise FileExistsError(f"le fichier {name} a déjà été écrit")
        path.write_bytes(content)
        self.stamp(path, arrival)
        return path

    def stamp(self, path: Path, arrival: datetime) -> None:
        """Arrival time as the file's modification time: no wall clock in the output."""
        moment = arrival.replace(tzinfo=UTC).timestamp()
        os.utime(path, (moment, moment))
        self.files += 1
        self.bytes += path.stat().st_size
