#!/usr/bin/env python3
"""Writes a council-shaped directory table (CSV) of N rows on standard output, for the import
benchmark (BENCHMARKS.md, "Mapped import"): a reference, a name, the council's own type words,
British National Grid easting/northing (every tenth row only a postcode), a phone number, opening
hours written as people write them, and a description. Deterministic: the same N gives the same
bytes. Read it with scripts/council_table.toml.

    python3 scripts/council_table.py 1000000 > /tmp/council.csv
"""
import random
import sys

TYPES = ["Cafe", "Community Group", "Park", "Library", "Place of Worship", "Sports Club",
         "Food Bank", "Advice Centre", "Youth Club", "Allotment"]
HOURS = ["Mon-Fri 9am-5pm", "9:00-17:00, Sat 10-12", "By appointment", "Tue 18:00-21:00",
         "Mon–Fri 9am–5pm", ""]
WORDS = ["community", "weekly", "friendly", "free", "group", "meets", "local", "all welcome",
         "volunteers", "families", "older people", "support", "activities", "garden"]
# Postcodes that the bundled place pack knows (a row with only a postcode is placed by it).
POSTCODES = ["M33 7XY", "M33 6AA", "WA14 1PH", "M32 0AA", "M41 0AA", "WA15 6AA"]


def main() -> int:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
    rng = random.Random(42)
    out = sys.stdout
    out.write("Ref,Organisation,Type,Easting,Northing,Postcode,Telephone,Hours,Description\n")
    for i in range(n):
        kind = TYPES[i % len(TYPES)]
        name = f"{rng.choice(WORDS).title()} {kind} {i}"
        if i % 10 == 9:
            easting = northing = ""
            postcode = POSTCODES[i % len(POSTCODES)]
        else:
            easting = f"{rng.uniform(370000, 385000):.1f}"
            northing = f"{rng.uniform(385000, 395000):.1f}"
            postcode = ""
        phone = f"0161 {rng.randint(200, 999)} {rng.randint(1000, 9999)}" if i % 3 else ""
        hours = HOURS[i % len(HOURS)]
        desc = " ".join(rng.choice(WORDS) for _ in range(8)).capitalize() + "."
        out.write(f'R{i},{name},{kind},{easting},{northing},{postcode},{phone},"{hours}",{desc}\n')
    return 0


if __name__ == "__main__":
    sys.exit(main())
