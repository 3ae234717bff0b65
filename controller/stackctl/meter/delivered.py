"""Analytics delivered by the pump: rows of its csv sink for one API id, and the wait
until a run's records arrived."""

from __future__ import annotations

import csv
import io
import time
from collections.abc import Callable, Iterable
from pathlib import Path

API_COLUMN = "APIID"
ANALYTICS_DIR = "analytics"
"""The state directory's folder holding the pump's csv sink (Compose binds it)."""


def count_records(csv_dir: Path, api_id: str) -> int:
    """Records for `api_id` in every csv file of the sink (headers excluded; parsed with the
    csv module: a field may hold quoted commas or newlines)."""
    total = 0
    for path in sorted(csv_dir.glob("*.csv")):
        try:
            with path.open(newline="", encoding="utf-8", errors="replace") as handle:
                total += _count_rows(csv.reader(handle), api_id)
        except FileNotFoundError:
            continue
    return total


def count_in_text(text: str, api_id: str) -> int:
    """Records for `api_id` in csv files given as one text (`cat *.csv`: each with its header)."""
    return _count_rows(csv.reader(io.StringIO(text, newline="")), api_id)


def _count_rows(reader: Iterable[list[str]], api_id: str) -> int:
    total = 0
    column: int | None = None
    for row in reader:
        if column is None:
            if API_COLUMN in row:
                column = row.index(API_COLUMN)
            continue
        if row and row == [*row[:column], API_COLUMN, *row[column + 1:]]:
            continue  # a repeated header
        if len(row) > column and row[column] == api_id:
            total += 1
    return total


def wait_delivered(count: Callable[[], int], served: int, timeout_s: float,
                   poll_s: float = 0.5) -> tuple[int, float]:
    """Poll `count()` until it reaches `served` or `timeout_s` passes; (count, waited)."""
    started = time.monotonic()
    delivered = count()
    while delivered < served and time.monotonic() - started < timeout_s:
        time.sleep(poll_s)
        delivered = count()
    return delivered, round(time.monotonic() - started, 2)
