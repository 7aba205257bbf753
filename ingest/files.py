"""Input files of the calendar, deals and contacts ingests: folders walked, sizes for progress."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path


def files_under(paths: Iterable[Path | str], wanted: Callable[[str], bool]) -> Iterator[str]:
    """Named files as given; folders walked in sorted order for the file names ``wanted`` accepts."""
    for path in map(Path, paths):
        if path.is_dir():
            for folder, dirs, files in os.walk(path):
                dirs.sort()
                for name in sorted(files):
                    if wanted(name):
                        yield os.path.join(folder, name)
        else:
            yield str(path)


def file_size(path: str) -> int:
    """A file's size in bytes for progress bars; 0 when it cannot be read."""
    try:
        return os.path.getsize(path)
    except OSError:
        return 0
