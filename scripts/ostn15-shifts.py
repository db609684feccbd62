#!/usr/bin/env python3
"""Make crates/assetmap-core/data/ostn15/ostn15_shifts.bin from Ordnance Survey's OSTN15 data file.

Usage: python3 scripts/ostn15-shifts.py OSTN15_OSGM15_DataFile.txt[.xz]

The input is OS's `OSTN15_OSGM15_DataFile.txt` (the OSTN15 developer pack, BSD licence; the copy
used was the one packaged in the `ostn15_phf` 1.3.0 crate, `OSTN15_OSGM15_DataFile.txt.xz`).
It has one row per 1 km node of the ETRS89 grid, E 0–700 km by N 0–1250 km (701 x 1251 nodes),
in Point_ID order (east fastest). The output keeps only the horizontal shifts, in the same order,
as two little-endian u16 per node: (east shift - 80 m) and (north shift + 85 m), in millimetres
(the file's precision), so every shift is kept exactly.
"""
import lzma
import struct
import sys

COLUMNS, ROWS = 701, 1251
EAST_BASE_M, NORTH_BASE_M = 80.0, -85.0


def main(path):
    opener = lzma.open if path.endswith(".xz") else open
    out = bytearray()
    with opener(path, "rt") as f:
        f.readline()  # header
        for expected_id, line in enumerate(f, start=1):
            point_id, east, north, se, sn = line.split(",")[:5]
            assert int(point_id) == expected_id
            col, row = (expected_id - 1) % COLUMNS, (expected_id - 1) // COLUMNS
            assert int(east) == col * 1000 and int(north) == row * 1000
            e_mm = round((float(se) - EAST_BASE_M) * 1000)
            n_mm = round((float(sn) - NORTH_BASE_M) * 1000)
            assert 0 <= e_mm < 65536 and 0 <= n_mm < 65536
            out += struct.pack("<HH", e_mm, n_mm)
    assert len(out) == COLUMNS * ROWS * 4
    sys.stdout.buffer.write(out)


if __name__ == "__main__":
    main(sys.argv[1])
