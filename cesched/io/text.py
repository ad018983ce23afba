"""Decoding dataset files: UTF-8 (with or without BOM) or GB18030, as Excel in a Chinese locale saves."""

from __future__ import annotations

from pathlib import Path

class UndecodableFile(ValueError):
    """A file that is neither UTF-8 nor GB18030; carries the line of the first bad byte."""

    def __init__(self, path: Path, line: int, byte: int):
        self.path, self.line, self.byte = path, line, byte
        super().__init__(f"{path.name}:{line}: not UTF-8 nor GB18030 (bad byte 0x{byte:02x})")


def decode_bytes(raw: bytes, path: Path) -> tuple[str, str]:
    """Return ``(text, encoding)``. UTF-8 is tried first: GB18030 would accept most UTF-8 bytes too."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise UndecodableFile(path, line, raw[exc.start]) from None


def read_text(path: Path) -> tuple[str, str]:
    """Read and decode a whole file; newlines are normalised by the CSV reader, not here."""
    return decode_bytes(path.read_bytes(), path)
