#!/usr/bin/env python3
"""Write visibility across assetmap server processes on one store (issue 21, item 6).

Makes W writes, each through one process chosen in turn (creates, and replacements `PUT` with
`If-Match`), and for each measures the time from the write's acknowledgement (its 201/200
answer read in full) until `GET /collections/assets/items/{id}` answers that version (its
`ETag`) on EVERY process. One poller thread per process, each with its own keep-alive
connection, asks again POLL_MS after each answer that does not show it yet; a write not seen
everywhere within TIMEOUT seconds is a failure. Writes are made one at a time: the next starts
once the previous one is seen everywhere (or has failed) and PAUSE_MS more have passed.

Python 3 standard library only. Used by scripts/bench-multi-process.sh; prints a table and
writes every write's figures as JSON (--json).

  python3 scripts/write_visibility.py --ports 18001,18002,18003 --token T --writes 300 \
      --synthetic 100000 --json out.json
"""

import argparse
import http.client
import json
import random
import sys
import threading
import time

ITEMS = "/collections/assets/items"


class Conn:
    """One keep-alive HTTP/1.1 connection to 127.0.0.1:port, reopened when the server closes it."""

    def __init__(self, port, timeout):
        self.port = port
        self.timeout = timeout
        self.c = None

    def request(self, method, path, body=None, headers=None):
        """(status, headers as a lower-cased dict, body bytes). Retries once on a dropped connection
        for GETs only (a write is never sent twice)."""
        attempts = 2 if method == "GET" else 1
        for attempt in range(attempts):
            if self.c is None:
                self.c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
            try:
                self.c.request(method, path, body=body, headers=headers or {})
                r = self.c.getresponse()
                data = r.read()
                hdrs = {k.lower(): v for k, v in r.getheaders()}
                if hdrs.get("connection", "").lower() == "close":
                    self.c.close()
                    self.c = None
                return r.status, hdrs, data
            except (http.client.HTTPException, OSError):
                self.c.close()
                self.c = None
                if attempt + 1 == attempts:
                    raise
        raise AssertionError("unreachable")


def etag_version(headers):
    tag = headers.get("etag", "").strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    tag = tag.strip('"')
    try:
        return int(tag)
    except ValueError:
        return None


class Poller(threading.Thread):
    """Polls one process for (id, version) each time it is given a write, and reports when it saw it."""

    def __init__(self, index, port, poll_s, timeout_s):
        super().__init__(daemon=True)
        self.index = index
        self.conn = Conn(port, timeout=max(timeout_s, 5.0))
        self.poll_s = poll_s
        self.timeout_s = timeout_s
        self.job = None
        self.result = None
        self.start_evt = threading.Event()
        self.done_evt = threading.Event()
        self.stop = False

    def give(self, asset_id, version, acked_at):
        self.job = (asset_id, version, acked_at)
        self.result = None
        self.done_evt.clear()
        self.start_evt.set()

    def run(self):
        while True:
            self.start_evt.wait()
            self.start_evt.clear()
            if self.stop:
                return
            asset_id, version, acked_at = self.job
            deadline = acked_at + self.timeout_s
            polls = 0
            last = None
            seen = None
            while True:
                try:
                    status, headers, _ = self.conn.request("GET", f"{ITEMS}/{asset_id}")
                    last = status
                except (http.client.HTTPException, OSError) as e:
                    status, headers, last = None, {}, f"error: {e}"
                now = time.perf_counter()
                polls += 1
                if status == 200:
                    v = etag_version(headers)
                    if v is not None and v >= version:
                        seen = now
                        break
                if now >= deadline:
                    break
                time.sleep(self.poll_s)
            self.result = {
                "seen_s": None if seen is None else seen - acked_at,
                "polls": polls,
                "last_status": last,
            }
            self.done_evt.set()


def percentile(sorted_values, p):
    """Nearest-rank percentile of an ascending list (p in 0..100)."""
    if not sorted_values:
        return None
    k = max(1, -(-len(sorted_values) * p // 100))  # ceil(n * p / 100), at least 1
    return sorted_values[int(k) - 1]


def fmt_ms(s):
    return "—" if s is None else f"{s * 1000:.1f}"


def summary_row(label, values, failures):
    v = sorted(values)
    return (
        f"| {label} | {len(v) + failures} | {fmt_ms(percentile(v, 50))} | {fmt_ms(percentile(v, 95))} "
        f"| {fmt_ms(percentile(v, 99))} | {fmt_ms(v[-1] if v else None)} | {failures} |"
    )


def new_feature(name, rng):
    # The synthetic assets' extent (assetmap-synthetic): lon -3.0..-1.9, lat 53.2..53.7.
    lon = round(-3.0 + rng.random() * 1.1, 6)
    lat = round(53.2 + rng.random() * 0.5, 6)
    return {
        "type": "Feature",
        "geometry": {"type": "Point", "coordinates": [lon, lat]},
        "properties": {
            "name": name,
            "description": "A group made by the write-visibility benchmark.",
            "abcd_type": "association",
            "categories": ["arts_heritage"],
            "provenance": {"source": "assetmap write-visibility benchmark", "licence": "OGL-3.0"},
        },
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ports", required=True, help="comma-separated loopback ports of the server processes")
    ap.add_argument("--token", required=True, help="bearer token allowed to write (the admin token)")
    ap.add_argument("--writes", type=int, default=300)
    ap.add_argument("--synthetic", type=int, required=True, help="N: the store holds syn-00000000 … syn-(N-1)")
    ap.add_argument("--poll-ms", type=float, default=2.0, help="pause between a poller's GETs")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds after which a write not seen everywhere fails")
    ap.add_argument("--pause-ms", type=float, default=20.0, help="pause after a write is seen everywhere")
    ap.add_argument("--seed", type=int, default=21)
    ap.add_argument("--json", help="write every write's figures here")
    args = ap.parse_args()

    ports = [int(p) for p in args.ports.split(",")]
    rng = random.Random(args.seed)
    run_tag = f"{int(time.time())}"
    token = args.token
    poll_s = args.poll_ms / 1000.0

    writers = [Conn(p, timeout=30.0) for p in ports]
    pollers = [Poller(i, p, poll_s, args.timeout) for i, p in enumerate(ports)]
    for t in pollers:
        t.start()

    created = []  # [id, version, feature] of assets this run created
    touched = set()
    records = []
    write_errors = []
    started_wall = time.time()
    for i in range(args.writes):
        w = i % len(ports)
        conn = writers[w]
        kind = ("create", "replace-created", "create", "replace-synthetic")[i % 4]
        if kind == "replace-created" and not created:
            kind = "create"
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/geo+json"}
        if kind == "create":
            asset_id = f"bench-{run_tag}-{i:05d}"
            feature = new_feature(f"Visibility benchmark group {i}", rng)
            feature["id"] = asset_id
            method, path, want = "POST", ITEMS, 201
        elif kind == "replace-created":
            entry = created[rng.randrange(len(created))]
            asset_id, version, feature = entry
            feature = json.loads(json.dumps(feature))
            feature["properties"]["name"] = f"Visibility benchmark group, replaced by write {i}"
            headers["If-Match"] = f'"{version}"'
            method, path, want = "PUT", f"{ITEMS}/{asset_id}", 200
        else:
            # A synthetic asset not written yet in this run: read it (untimed) through the
            # process that will write it, for its body and version.
            while True:
                asset_id = f"syn-{rng.randrange(args.synthetic):08d}"
                if asset_id not in touched:
                    break
            status, h, body = conn.request("GET", f"{ITEMS}/{asset_id}")
            if status != 200:
                write_errors.append(f"write {i}: GET {asset_id} through port {ports[w]}: {status}")
                continue
            feature = json.loads(body)
            feature["properties"]["name"] = f"{feature['properties'].get('name', '')} (write {i})"
            headers["If-Match"] = h.get("etag", "")
            method, path, want = "PUT", f"{ITEMS}/{asset_id}", 200
        touched.add(asset_id)
        payload = json.dumps(feature).encode()
        sent = time.perf_counter()
        try:
            status, h, body = conn.request(method, path, body=payload, headers=headers)
        except (http.client.HTTPException, OSError) as e:
            write_errors.append(f"write {i}: {method} {path} through port {ports[w]}: {e}")
            continue
        acked = time.perf_counter()
        version = etag_version(h)
        if status != want or version is None:
            write_errors.append(
                f"write {i}: {method} {path} through port {ports[w]}: {status} {body[:200]!r}"
            )
            continue
        if kind == "create":
            created.append([asset_id, version, feature])
        elif kind == "replace-created":
            entry[1] = version
            entry[2] = feature
        for t in pollers:
            t.give(asset_id, version, acked)
        for t in pollers:
            t.done_evt.wait()
        per = [t.result for t in pollers]
        seen = [r["seen_s"] for r in per]
        records.append(
            {
                "write": i,
                "kind": kind,
                "method": method,
                "id": asset_id,
                "version": version,
                "through": w,
                "ack_s": acked - sent,
                "seen_s": seen,
                "all_s": None if any(s is None for s in seen) else max(seen),
                "others_s": None
                if any(s is None for j, s in enumerate(seen) if j != w)
                else max(s for j, s in enumerate(seen) if j != w),
                "polls": [r["polls"] for r in per],
                "last_status": [r["last_status"] for r in per],
            }
        )
        time.sleep(args.pause_ms / 1000.0)
    finished_wall = time.time()
    for t in pollers:
        t.stop = True
        t.start_evt.set()

    ok_all = [r["all_s"] for r in records if r["all_s"] is not None]
    fail_all = sum(1 for r in records if r["all_s"] is None)
    ok_others = [r["others_s"] for r in records if r["others_s"] is not None]
    fail_others = sum(1 for r in records if r["others_s"] is None)
    own = [r["seen_s"][r["through"]] for r in records if r["seen_s"][r["through"]] is not None]
    fail_own = sum(1 for r in records if r["seen_s"][r["through"]] is None)
    acks = [r["ack_s"] for r in records]

    print(f"writes attempted {args.writes}, acknowledged {len(records)}, refused or failed {len(write_errors)}; "
          f"{finished_wall - started_wall:.1f} s; poll every {args.poll_ms:g} ms, timeout {args.timeout:g} s")
    for e in write_errors[:10]:
        print(f"  {e}")
    print()
    print("| from the write's acknowledgement until … (ms) | writes | p50 | p95 | p99 | max | failures (> %g s) |" % args.timeout)
    print("|---|---|---|---|---|---|---|")
    print(summary_row("**visible on all three processes**", ok_all, fail_all))
    print(summary_row("visible on the two other processes", ok_others, fail_others))
    for kind in ("create", "replace-created", "replace-synthetic"):
        rs = [r for r in records if r["kind"] == kind]
        print(summary_row(f"… all three, {kind} only", [r["all_s"] for r in rs if r["all_s"] is not None],
                          sum(1 for r in rs if r["all_s"] is None)))
    print(summary_row("visible on the process that took the write (one GET under load)", own, fail_own))
    print(summary_row("the write itself: request sent until acknowledged", acks, 0))
    for w, port in enumerate(ports):
        vals = [r["seen_s"][w] for r in records if r["through"] != w and r["seen_s"][w] is not None]
        fails = sum(1 for r in records if r["through"] != w and r["seen_s"][w] is None)
        print(summary_row(f"visible on process {w + 1} (port {port}), writes through the others", vals, fails))
    failed = [r for r in records if r["all_s"] is None]
    if failed:
        print()
        print(f"{len(failed)} write(s) not seen everywhere within {args.timeout:g} s (first 10):")
        for r in failed[:10]:
            print(f"  write {r['write']} {r['method']} {r['id']} version {r['version']} through process "
                  f"{r['through'] + 1}: seen {r['seen_s']}, last answers {r['last_status']}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump({"ports": ports, "writes": records, "errors": write_errors,
                       "started": started_wall, "finished": finished_wall}, f)
    return 0 if not write_errors and fail_all == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
