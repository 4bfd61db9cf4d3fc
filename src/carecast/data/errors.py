"""One error type for bad input, so every command reports file, row and column the same way."""

from __future__ import annotations

from pathlib import Path


class InputError(Exception):
    """Input the product cannot take; the message names where the problem is.

    ``row`` is the 1-based line in the file as a user sees it in a text editor or
    spreadsheet (the header is row 1), so users can jump straight to it. ``column`` is a
    column's name, or its 1-based position when the file's text may not be quoted (a cell
    that is not a known column name could be a child's data).
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | Path | None = None,
        row: int | None = None,
        column: str | int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = str(file) if file is not None else None
        self.row = row
        self.column = column

    def __str__(self) -> str:
        where = []
        if self.file:
            where.append(self.file)
        if self.row is not None:
            where.append(f"row {self.row}")
        if isinstance(self.column, int):
            where.append(f"column {self.column}")
        elif self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where)}: {self.message}" if where else self.message


class WorkspaceBusy(InputError):
    """Another process is writing to the workspace; nothing was changed, try again later."""
