"""The one home of the CSV and XLSX exports (HR rosters, learning trajectories).

Both formats take ``headers`` and an iterable of ``rows`` (lists of plain values) and never
hold the whole file:

- CSV: UTF-8 with a BOM (so Excel opens Chinese names correctly), yielded in chunks of about
  CHUNK rows; ``csv_response`` streams it (StreamingHttpResponse).
- XLSX: XlsxWriter in constant-memory mode, each row flushed to a temporary file as it comes
  (measured about twice as fast as openpyxl's write-only mode; see bench_roster_export);
  ``xlsx_response`` writes it into a spooled temporary file (on disk beyond 8 MB) and streams
  that (FileResponse). Datetimes become real date cells; text is always a text cell, never a
  formula or a URL (names come from HR files).

A text value that a spreadsheet would run as a formula gets a leading apostrophe in both.
Callers feed rows from a server-side cursor (``.iterator(chunk_size=CHUNK)``)."""

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator

import xlsxwriter
from django.http import FileResponse, StreamingHttpResponse

CHUNK = 2000
XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SPOOL_MAX_SIZE = 8 * 1024 * 1024

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


class _Echo:
    """A file-like object whose write returns what it was given (csv.writer into a stream)."""

    def write(self, value: str) -> str:
        return value


def inert(value):
    """A text cell that a spreadsheet would run as a formula (a name typed as '=HYPERLINK(...)'
    in the HR file) gets a leading apostrophe: Excel shows it as text."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def csv_chunks(headers: list[str], rows: Iterable[list]) -> Iterator[bytes]:
    """``headers`` then ``rows`` as UTF-8 CSV with a BOM, in chunks of about CHUNK rows: a
    response streams it without holding the file."""
    writer = csv.writer(_Echo())
    yield ("\ufeff" + writer.writerow(headers)).encode("utf-8")
    batch: list[str] = []
    for row in rows:
        batch.append(writer.writerow([inert(value) for value in row]))
        if len(batch) >= CHUNK:
            yield "".join(batch).encode("utf-8")
            batch = []
    if batch:
        yield "".join(batch).encode("utf-8")


def xlsx_write(target, *, sheet_name: str, headers: list[str], rows: Iterable[list]) -> None:
    """Write ``headers`` then ``rows`` as an XLSX workbook into ``target`` (a path or binary
    file) in constant memory. Datetimes (naive, local) become date cells."""
    workbook = xlsxwriter.Workbook(
        target,
        {
            "constant_memory": True,
            "default_date_format": "yyyy-mm-dd hh:mm",
            "strings_to_formulas": False,
            "strings_to_urls": False,
        },
    )
    sheet = workbook.add_worksheet(sheet_name[:31])
    sheet.write_row(0, 0, headers)
    for number, row in enumerate(rows, start=1):
        sheet.write_row(number, 0, row)
    workbook.close()


def csv_response(chunks: Iterable[bytes], *, filename: str) -> StreamingHttpResponse:
    """A download of CSV ``chunks`` (csv_chunks) streamed to the client as they come."""
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def xlsx_response(write: Callable[[object], None], *, filename: str) -> FileResponse:
    """A download of the workbook that ``write(target)`` writes (through xlsx_write): written
    to a spooled temporary file (on disk beyond SPOOL_MAX_SIZE), then streamed from it, so
    memory stays flat for any number of rows."""
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_MAX_SIZE)
    write(spool)
    spool.seek(0)
    return FileResponse(
        spool, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE
    )
