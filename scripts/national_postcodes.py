"""Writes a synthetic ONS Postcode Directory of N rows (default 2,700,000, about the size of
the real one) for benchmarking `assetmap place build`: the bundled Trafford postcodes once, as
they are, then copies of them under other local authority codes, moved so that no two
authorities overlap. Columns and order as in the real ONSPD subset the tests use.

Usage: python3 scripts/national_postcodes.py OUT.csv [N]
"""

import csv
import sys

HEADER = ["pcd", "pcd2", "pcds", "dointr", "doterm", "oscty", "ced", "oslaua", "osward",
          "parish", "usertype", "oseast1m", "osnrth1m", "osgrdind", "ctry", "rgn", "pcon",
          "lat", "long", "oa21", "lsoa21", "msoa21"]


def main(out, n):
    with open("data/sources/trafford/postcodes/trafford_postcodes.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(HEADER)
        written, copy = 0, 0
        while written < n:
            for r in rows:
                if written >= n:
                    break
                la = r["la_code"] if copy == 0 else "E%08d" % (6000000 + copy)
                code = lambda c: c if copy == 0 else c[:3] + "%06d" % ((int(c[3:]) + copy * 1000) % 1000000)
                pc = r["postcode"] if copy == 0 else "%s%d %s" % (
                    "ABCDEFGHJKLNOPRSTUWY"[copy % 20], copy // 20 % 100, r["postcode"].split()[-1])
                lon = float(r["lon"]) + (copy % 40) * 0.3
                lat = float(r["lat"]) + (copy // 40) * 0.2 - 3.0 * (copy > 0)
                w.writerow([pc.replace(" ", ""), pc, pc, "198001", "", "E99999999", "E99999999",
                            la, code(r["ward_code"]), "E43000172", "0", "377000", "390000", "1",
                            "E92000001", "E12000002", "E14001000", "%.6f" % lat, "%.6f" % lon,
                            "E00000000", code(r["lsoa_code"]), code(r["msoa_code"])])
                written += 1
            copy += 1


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) > 2 else 2_700_000)
