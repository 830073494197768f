"""The file a SQLite store opened, watched for being removed or replaced under a running server.

An open SQLite connection keeps writing into its file after the path was deleted or the file moved
away (the inode lives on while it is open), and a new file at the path is not seen at all: every
rename would answer 200 into a file no one reads again. So the store remembers the identity
(st_dev, st_ino) of the file it opened and compares the path's identity before every statement:
one stat() of a local path, about a microsecond. A mismatch fails the call with StoreFailure (the
documented 500) until the original file is back at the path. The store never reopens the path,
so a vanished file is never silently replaced by a new, empty one while serving. (The store also
empties its write-ahead log into the file it has open, wherever that went: SQLite leaves the
`-wal` of a removed or renamed file at the path, and would replay it into a new file put there.)

A path that does not exist when the store opens is created, as agno does, with a warning in the
log. Not when a `-wal` or `-shm` file is left at the path: that is a database whose file vanished
while some process still had it open (or crashed), and SQLite would pair a new empty file with
the old write-ahead log.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from pathlib import Path

from domain.errors import StoreFailure

logger = logging.getLogger(__name__)
_LEFTOVER_SUFFIXES = ("-wal", "-shm")


@dataclass(frozen=True, slots=True)
class _Identity:
    device: int
    inode: int

    @classmethod
    def of(cls, path: Path) -> _Identity:
        status = path.stat()
        return cls(status.st_dev, status.st_ino)


def prepare_path(path: Path) -> Path:
    """Before opening: create the parent folder and allow a new database at `path` only where no
    earlier one left its write-ahead log (see the module docstring). Returns the absolute path
    (what the store watches, whatever the working directory becomes)."""
    path = path.absolute()
    if path.exists():
        return path
    leftovers = [str(path) + suffix for suffix in _LEFTOVER_SUFFIXES]
    # Checked again after the leftovers: another worker process starting at the same time may
    # have just created the file, then its log (SQLite creates them in that order).
    if any(os.path.exists(leftover) for leftover in leftovers) and not path.exists():
        raise StoreFailure(
            f"SQLite database {path} is missing but its write-ahead log is still there: the "
            "file was removed or moved while in use; restore it (or remove the -wal and -shm "
            "files to start on an empty database)"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    logger.warning("SQLite database %s does not exist: creating a new, empty one", path)
    return path


class WatchedFile:
    """The identity of the file the store's connection opened, and of its `-wal` and `-shm`
    files, checked against the paths.

    The write-ahead log holds every commit not yet copied into the file: deleting it under a
    running server (an operator "cleaning up") would silently lose them, and commits answered
    200 would go into a log no other process sees. SQLite keeps a log (and its `-shm` index) at
    the same inode while any connection is open, and deletes it only when the last one closes,
    so while the store is open a log that vanished or changed identity is a fault, not a
    checkpoint. They are recorded when first seen (SQLite creates them on first use)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._identity = _Identity.of(path)
        self._companions: dict[str, _Identity | None] = dict.fromkeys(_LEFTOVER_SUFFIXES)

    def problem(self) -> str | None:
        """None while the paths name the files the store opened; else what happened to them."""
        try:
            current = _Identity.of(self.path)
        except FileNotFoundError:
            return f"SQLite database {self.path} was removed or moved away since it was opened"
        except OSError as error:
            return f"SQLite database {self.path} cannot be checked: {error}"
        if current != self._identity:
            return f"SQLite database {self.path} was replaced by another file since it was opened"
        return self._companion_problem()

    def _companion_problem(self) -> str | None:
        for suffix, known in self._companions.items():
            companion = Path(f"{self.path}{suffix}")
            try:
                current = _Identity.of(companion)
            except FileNotFoundError:
                if known is None:
                    continue  # not created yet
                return (
                    f"SQLite file {companion} was removed or moved away while the database was open"
                )
            except OSError as error:
                return f"SQLite file {companion} cannot be checked: {error}"
            if known is None:
                self._companions[suffix] = current
            elif current != known:
                return f"SQLite file {companion} was replaced while the database was open"
        return None
