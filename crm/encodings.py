"""Which text encoding an uploaded file is in, decided so that a guess never garbles names.

Order: a byte-order mark (UTF-8, UTF-16) first; then strict UTF-8 over the whole file; then
charset-normalizer among the Western encodings Excel writes on a UK machine. A file that
holds valid UTF-8 sequences *and* bytes that are not UTF-8 is a damaged UTF-8 file, not a
Windows-1252 one: reading it as Windows-1252 would turn every "Zoë" into "ZoÃ«", so it is
refused, and the caller names the row and column of the first bad byte.
"""

from __future__ import annotations

import codecs
import re
from dataclasses import dataclass
from typing import IO

import charset_normalizer

CHUNK = 1 << 20
# What the detector may choose between: the encodings of Excel's plain "CSV" on Western
# Windows and older Macs. Anything else is refused rather than guessed.
SINGLE_BYTE_CANDIDATES = ["cp1252", "latin_1", "iso8859_15"]
DETECTOR_SAMPLE = 1 << 18
MAX_CHAOS = 0.1
# A multi-byte UTF-8 sequence: a lead byte followed by the right number of continuations.
UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)


@dataclass
class EncodingUnclear(Exception):
    """The file cannot be decoded with confidence. ``offset`` is the first bad byte, when the
    file is mostly UTF-8; ``encoding`` is what the rest of the file is in."""

    reason: str
    offset: int | None = None
    encoding: str = "utf-8"


def _first_error(handle: IO[bytes], encoding: str) -> int | None:
    """Offset of the first byte ``encoding`` cannot decode, or None when all of it decodes."""
    handle.seek(0)
    decoder = codecs.getincrementaldecoder(encoding)()
    consumed = 0  # bytes handed to the decoder, including those it still holds back
    pending = 0
    try:
        while chunk := handle.read(CHUNK):
            pending = len(decoder.getstate()[0])
            decoder.decode(chunk)
            consumed += len(chunk)
        pending = len(decoder.getstate()[0])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as exc:
        # exc.start counts from the bytes held back before this call.
        return consumed - pending + exc.start
    finally:
        handle.seek(0)
    return None


def _has_utf8_sequences(handle: IO[bytes]) -> bool:
    handle.seek(0)
    try:
        tail = b""
        while chunk := handle.read(CHUNK):
            if UTF8_SEQUENCE.search(tail + chunk):
                return True
            tail = chunk[-3:]
        return False
    finally:
        handle.seek(0)


def encoding_decide(handle: IO[bytes]) -> str:
    """The Python codec to read ``handle`` with, or EncodingUnclear. Leaves it at offset 0."""
    handle.seek(0)
    start = handle.read(4)
    handle.seek(0)
    if start.startswith(codecs.BOM_UTF8):
        encoding = "utf-8-sig"
    elif start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        encoding = ""
    if encoding:
        offset = _first_error(handle, encoding)
        if offset is not None:
            raise EncodingUnclear("bom", offset=offset, encoding=encoding)
        return encoding
    offset = _first_error(handle, "utf-8")
    if offset is None:
        return "utf-8"
    if _has_utf8_sequences(handle):
        raise EncodingUnclear("damaged-utf8", offset=offset)
    sample = handle.read(DETECTOR_SAMPLE)
    handle.seek(0)
    best = charset_normalizer.from_bytes(sample, cp_isolation=SINGLE_BYTE_CANDIDATES).best()
    if (best is None or best.chaos > MAX_CHAOS) and not _plausible_cp1252(sample):
        raise EncodingUnclear("unknown")
    # cp1252 is latin-1 with printable characters where latin-1 has control codes, so it
    # is the reading to use whenever it decodes.
    if _first_error(handle, "cp1252") is not None:
        raise EncodingUnclear("unknown")
    return "cp1252"


# What a spreadsheet in the UK writes beyond ASCII: accented letters, the pound and euro
# signs, typographic quotes and dashes. A short file holds too little text for the detector
# to be sure; if everything non-ASCII it holds, read as Windows-1252, is one of these, that
# reading is the one its author saw. Another encoding read this way shows stray symbols.
_CP1252_TYPOGRAPHY = set("£€“”‘’–—…•°©®«»·")


def _plausible_cp1252(sample: bytes) -> bool:
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        return False
    for ch in text:
        if ch < "\x80":
            if ch < " " and ch not in "\t\r\n":
                return False
        elif not (ch in _CP1252_TYPOGRAPHY or ("\xc0" <= ch <= "\xff" and ch.isalpha())):
            return False
    return True
