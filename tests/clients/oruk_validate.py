"""Validates JSON documents against the bundled Open Referral (HSDS 3.0 / ORUK 3.0) schemas.

Usage: python oruk_validate.py SCHEMA_DIR < checks.json

`checks.json` is a list of {"name": ..., "schema": "hsds3_service.json", "document": {...}}.
Each schema's `$ref`s (e.g. "phone.json") resolve to the file of that name with the `hsds3_`
prefix in SCHEMA_DIR; formats (uuid, email, uri, date-time) are checked. Prints a JSON list of
problems ({"name", "path", "message"}); exits 0 whether or not there are any (the caller
asserts), and non-zero only when the input cannot be read.
"""

import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

BASE = "https://assetmap.invalid/openreferral/"


def registry(schema_dir: pathlib.Path) -> Registry:
    resources = []
    for f in sorted(schema_dir.glob("*.json")):
        contents = json.loads(f.read_text(encoding="utf-8"))
        resource = Resource.from_contents(contents, default_specification=DRAFT202012)
        resources.append((BASE + f.name, resource))
        if f.name.startswith("hsds3_"):
            # The HSDS schemas refer to each other by their upstream names ("phone.json").
            resources.append((BASE + f.name[len("hsds3_"):], resource))
    return Registry().with_resources(resources)


def main() -> int:
    schema_dir = pathlib.Path(sys.argv[1])
    reg = registry(schema_dir)
    checks = json.load(sys.stdin)
    problems = []
    for check in checks:
        validator = jsonschema.Draft202012Validator(
            {"$ref": BASE + check["schema"]},
            registry=reg,
            format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER,
        )
        for e in validator.iter_errors(check["document"]):
            problems.append(
                {
                    "name": check["name"],
                    "path": "/".join(str(p) for p in e.absolute_path),
                    "message": e.message[:300],
                }
            )
    json.dump(problems, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
