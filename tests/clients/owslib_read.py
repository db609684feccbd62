"""Reads every collection of an assetmap server with OWSLib's OGC API Features client, as a
council analyst's script would: the first page of each, then a bounding box around the middle
of the collection's extent, and checks what comes back. Prints one line per collection; exits 1
on the first thing that is wrong.

Usage: python owslib_read.py BASE_URL
"""

import sys

from owslib.ogcapi.features import Features


def fail(message):
    print(f"owslib_read: {message}", file=sys.stderr)
    sys.exit(1)


def inside(point, box):
    lon, lat = point
    return box[0] <= lon <= box[2] and box[1] <= lat <= box[3]


def positions(geometry):
    """Every [lon, lat] position of a GeoJSON geometry."""
    coords = geometry["coordinates"]
    kind = geometry["type"]
    if kind == "Point":
        return [coords]
    if kind in ("LineString", "MultiPoint"):
        return coords
    if kind in ("Polygon", "MultiLineString"):
        return [p for ring in coords for p in ring]
    if kind == "MultiPolygon":
        return [p for poly in coords for ring in poly for p in ring]
    fail(f"unexpected geometry type {kind}")


def main(base):
    api = Features(base)
    collections = api.collections()["collections"]
    if not collections:
        fail("no collections")
    for c in collections:
        cid = c["id"]
        page = api.collection_items(cid, limit=5)
        features = page["features"]
        if not features:
            fail(f"{cid}: the first page is empty")
        extent = c["extent"]["spatial"]["bbox"][0]
        # A box of a fifth of the extent's width and height around its middle.
        mid_lon = (extent[0] + extent[2]) / 2
        mid_lat = (extent[1] + extent[3]) / 2
        half_w = (extent[2] - extent[0]) / 10
        half_h = (extent[3] - extent[1]) / 10
        box = [mid_lon - half_w, mid_lat - half_h, mid_lon + half_w, mid_lat + half_h]
        boxed = api.collection_items(cid, bbox=box, limit=1000)
        found = boxed["features"]
        if not found:
            fail(f"{cid}: nothing in {box}, the middle of its own extent")
        for f in found:
            pts = positions(f["geometry"])
            if f["geometry"]["type"] == "Point":
                if not inside(pts[0], box):
                    fail(f"{cid}: {f['id']} at {pts[0]} is outside the box {box}")
            else:
                # An area is answered when it intersects the box: its envelope must overlap it.
                lons = [p[0] for p in pts]
                lats = [p[1] for p in pts]
                if max(lons) < box[0] or min(lons) > box[2] or max(lats) < box[1] or min(lats) > box[3]:
                    fail(f"{cid}: {f['id']} does not reach the box {box}")
        print(f"{cid}: first page {len(features)}, in the middle box {len(found)}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        fail("usage: owslib_read.py BASE_URL")
    main(sys.argv[1])
