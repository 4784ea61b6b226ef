"""Small real media files for a ``files`` entity the user did not bind (``local.yaml``): a PNG, a
one-page PDF and a WAV, each a valid file of its type, deterministic and different per number."""

from __future__ import annotations

import io
import math
import struct
import wave
import zlib

from lakewharf.sources.files import content_type


def png(number: int) -> bytes:
    """An 8×8 RGB image of one colour (the colour follows ``number``)."""
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    colour = bytes(((number * 53) % 256, (number * 97) % 256, (number * 31) % 256))
    raw = b"".join(b"\x00" + colour * 8 for _ in range(8))
    header = struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def pdf(number: int) -> bytes:
    """A one-page PDF saying which sample it is (cross-reference offsets computed)."""
    text = f"BT /F1 18 Tf 36 100 Td (lakewharf sample {number}) Tj ET".encode("ascii")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 300 144] /Contents 4 0 R "
               b"/Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(text) + text + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % i + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def wav(number: int) -> bytes:
    """A tenth of a second of a sine tone (8 kHz, 16-bit mono; the pitch follows ``number``)."""
    rate, pitch = 8000, 220 + 20 * number
    frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * pitch * i / rate))) for i in range(800))
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(frames)
    return buffer.getvalue()


_MAKERS = {"image/png": (png, ".png"), "application/pdf": (pdf, ".pdf"), "audio/wav": (wav, ".wav")}


def sample_files(folder: str, prefix: str, suffix: str, count: int) -> dict[str, bytes]:
    """``count`` files named ``<folder>/<prefix>sample-NNN<suffix>``; the bytes are of the suffix's
    type when it is a PNG, PDF or WAV, else a PNG, a PDF and a WAV in turn (with their extension)."""
    out = {}
    cycle = list(_MAKERS.values())
    for number in range(1, count + 1):
        make, ext = _MAKERS.get(content_type(suffix), cycle[(number - 1) % len(cycle)])
        name = f"{prefix}sample-{number:03d}{suffix if content_type(suffix) in _MAKERS else ext + suffix}"
        out[f"{folder}/{name}"] = make(number)
    return out
