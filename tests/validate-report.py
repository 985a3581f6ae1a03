#!/usr/bin/python3
"""Validate a gnxbench report.json against docs/report-schema.json with a real
JSON Schema validator (Debian's python3-jsonschema). Exit 77 (skip) when the
module is missing, 1 when the report is invalid."""
import json
import sys

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed (apt-get install python3-jsonschema)")
    sys.exit(77)

schema_path, report_path = sys.argv[1], sys.argv[2]
with open(schema_path) as f:
    schema = json.load(f)
with open(report_path) as f:
    report = json.load(f)
cls = jsonschema.validators.validator_for(schema)
cls.check_schema(schema)
errors = sorted(cls(schema).iter_errors(report), key=lambda e: list(e.path))
for e in errors[:10]:
    print(f"{report_path}: {'/'.join(map(str, e.path))}: {e.message}")
sys.exit(1 if errors else 0)
