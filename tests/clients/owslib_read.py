"""Reads an assetmap server with OWSLib, a real OGC API Features client (the version pinned in
tests/clients/requirements.txt): the landing page, conformance, every collection, and every collection's items
whole and within a box, the assets' queryables, and the assets through a CQL2 filter in both encodings. Prints what it read as one JSON object, for tests/tests/owslib_client.rs
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
    read["queryables"] = sorted(api.collection_queryables("assets")["properties"])
    by_text = api.collection_items("assets", filter="name LIKE '%Library'", limit=10000)
    as_json = {"op": "like", "args": [{"property": "name"}, "%Library"]}
    by_json = api.collection_items(
        "assets", filter=json.dumps(as_json), limit=10000, **{"filter-lang": "cql2-json"}
    )
    read["filtered"] = {
        "text": sorted(f["id"] for f in by_text["features"]),
        "json": sorted(f["id"] for f in by_json["features"]),
    }
    json.dump(read, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
