"""Reads an assetmap server with OWSLib, a real OGC API Features client (the version pinned in
tests/clients/requirements.txt): the landing page, conformance, every collection, and every collection's items
whole and within a box. Prints what it read as one JSON object, for tests/tests/owslib_client.rs
to compare with the server's own counts.

Usage: python tests/clients/owslib_read.py BASE_URL MINLON,MINLAT,MAXLON,MAXLAT
"""

import json
import sys

from owslib.ogcapi.features import Features


def main(base, bbox_text):
    bbox = [float(v) for v in bbox_text.split(",")]
    api = Features(base)
    conformance = api.conformance()["conformsTo"]
    read = {"conformance": conformance, "collections": {}}
    for collection in api.collections()["collections"]:
        cid = collection["id"]
        meta = api.collection(cid)
        whole = api.collection_items(cid, limit=10000)
        boxed = api.collection_items(cid, bbox=bbox, limit=10000)
        read["collections"][cid] = {
            "extent": meta["extent"]["spatial"]["bbox"][0],
            "all": len(whole["features"]),
            "all_matched": whole["numberMatched"],
            "bbox": sorted(str(f["id"]) for f in boxed["features"]),
            "bbox_matched": boxed["numberMatched"],
        }
    json.dump(read, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
