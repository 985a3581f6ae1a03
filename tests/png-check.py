#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""png-check.py FILE WIDTH HEIGHT MIN_BYTES [MIN_COLOURS [MIN_SATURATED]]

Checks that FILE is a PNG of WIDTH x HEIGHT of at least MIN_BYTES bytes and,
when asked, that it is not blank: at least MIN_COLOURS distinct pixel values
and MIN_SATURATED pixels of a clear colour (not grey: the charts drew).
The pixels are decoded with zlib and the PNG row filters, so no imaging
library is needed. Prints what it found; exits 1 on a failed check."""
import struct
import sys
import zlib


def chunks(data):
    pos = 8
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        yield kind, data[pos + 8:pos + 8 + n]
        pos += 12 + n


def paeth(a, b, c):
    p = a + b - c
    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
    return a if pa <= pb and pa <= pc else b if pb <= pc else c


def unfilter(f, row, prev, bpp):
    n = len(row)
    if f == 1:
        for i in range(bpp, n):
            row[i] = (row[i] + row[i - bpp]) & 255
    elif f == 2:
        row[:] = bytes((a + b) & 255 for a, b in zip(row, prev))
    elif f == 3:
        for i in range(n):
            left = row[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + ((left + prev[i]) >> 1)) & 255
    elif f == 4:
        for i in range(n):
            left, up_left = (row[i - bpp], prev[i - bpp]) if i >= bpp else (0, 0)
            row[i] = (row[i] + paeth(left, prev[i], up_left)) & 255
    elif f != 0:
        raise ValueError(f"unknown PNG filter {f}")


def pixels(data, w, h, ctype):
    """Distinct pixel values and the count of clearly coloured pixels."""
    bpp = {0: 1, 2: 3, 4: 2, 6: 4}[ctype]
    raw = zlib.decompress(b"".join(b for k, b in chunks(data) if k == b"IDAT"))
    stride = w * bpp
    prev, colours, saturated = bytearray(stride), set(), 0
    for y in range(h):
        start = y * (stride + 1)
        row = bytearray(raw[start + 1:start + 1 + stride])
        unfilter(raw[start], row, prev, bpp)
        for i in range(0, stride, bpp):
            px = bytes(row[i:i + bpp])
            colours.add(px)
            if bpp >= 3 and max(px[:3]) - min(px[:3]) > 60:
                saturated += 1
        prev = row
    return colours, saturated


def main():
    path, want_w, want_h, min_bytes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    min_colours = int(sys.argv[5]) if len(sys.argv) > 5 else 0
    min_sat = int(sys.argv[6]) if len(sys.argv) > 6 else 0
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(f"{path}: not a PNG")
    kind, ihdr = next(chunks(data))
    if kind != b"IHDR":
        sys.exit(f"{path}: no IHDR chunk first")
    w, h, depth, ctype, _, _, interlace = struct.unpack(">IIBBBBB", ihdr)
    problems = []
    if (w, h) != (want_w, want_h):
        problems.append(f"{w} x {h}, expected {want_w} x {want_h}")
    if len(data) < min_bytes:
        problems.append(f"{len(data)} bytes, expected at least {min_bytes}")
    line = f"{path}: PNG {w} x {h}, {len(data)} bytes"
    if min_colours or min_sat:
        if depth != 8 or interlace or ctype not in (0, 2, 4, 6):
            sys.exit(f"{line}: cannot decode depth {depth} colour type {ctype} interlace {interlace}")
        colours, saturated = pixels(data, w, h, ctype)
        line += f", {len(colours)} distinct colours, {saturated} coloured pixels"
        if len(colours) < min_colours:
            problems.append(f"only {len(colours)} distinct colours (blank?), expected {min_colours}")
        if saturated < min_sat:
            problems.append(f"only {saturated} coloured pixels, expected {min_sat}")
    print(line)
    if problems:
        sys.exit(f"{path}: " + "; ".join(problems))


main()
