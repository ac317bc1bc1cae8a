"""Reading an imported file: a path or a stream, with progress, its name and content hash.

The 835 and 837 imports read their input the same way; this is that way, once.
"""

from __future__ import annotations

import hashlib
import io
import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import IO, Any

#: ``progress(phase, done, total)``: phase "importing", done and total in bytes (total 0 when
#: the input's size is unknown).
Progress = Callable[[str, int, int], None]
Source = str | os.PathLike[str] | IO[Any]


def name_of(source: Source, given: str | None, default: str) -> str:
    """The file's name for messages: the one given, else the path, else ``default``."""
    return given or (os.fspath(source) if isinstance(source, str | os.PathLike) else default)


def content_hash(stream: IO[Any]) -> tuple[str, IO[Any]]:
    """The sha256 of the stream's bytes from where it stands, and the stream rewound there (a
    stream that cannot seek is read into memory first)."""
    if not stream.seekable():
        stream = io.BytesIO(stream.read())
    start = stream.tell()
    digest = hashlib.sha256()
    while chunk := stream.read(1 << 20):
        digest.update(chunk.encode() if isinstance(chunk, str) else chunk)
    stream.seek(start)
    return digest.hexdigest(), stream


@contextmanager
def opened(source: Source, progress: Progress | None) -> Iterator[IO[Any]]:
    """A path opened (and closed after), or the stream as it is; reporting progress if asked."""
    with ExitStack() as stack:
        stream: IO[Any] = (
            stack.enter_context(open(source, "rb"))
            if isinstance(source, str | os.PathLike)
            else source
        )
        if progress is None:
            yield stream
            return
        total = 0
        if stream.seekable():
            start = stream.tell()
            total = stream.seek(0, os.SEEK_END) - start
            stream.seek(start)
        yield _Reading(stream, total, progress)  # type: ignore[misc]


class _Reading:
    """A stream wrapper that reports the bytes read so far."""

    def __init__(self, stream: IO[Any], total: int, progress: Progress) -> None:
        self.stream = stream
        self.total = total
        self.progress = progress
        self.done = 0

    def read(self, size: int = -1) -> Any:
        data = self.stream.read(size)
        if data:
            self.done += len(data)
            self.progress("importing", self.done, self.total)
        return data
