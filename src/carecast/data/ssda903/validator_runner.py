"""Run DfE's SSDA903 rules (csc-validator-be-903) on one return; JSON issues to stdout.

Executed by the validator's own interpreter (``.venv-validator``, pandas 1.x), never
imported by carecast. Input on stdin: {"collection_year": "2024", "la": "E...", "ruleset":
"lac2023_24", "files": [{"path": ..., "description": "This year" | "Prev year"}]}. Output:
{"issues": [[child, table, column, row, rule, message], ...], "ran": n, "failed": [codes]}.
Rows are 0-based positions in each table, as the validator reports them. Standard library and
the validator's API only, so it runs under the validator's Python.
"""

import importlib
import json
import logging
import sys


def main() -> None:
    request = json.load(sys.stdin)
    logging.disable(logging.CRITICAL)
    from lac_validator.lac_validator import LacValidator, create_issue_df
    from lac_validator.report import Report

    registry = importlib.import_module(f"lac_validator.rules.{request['ruleset']}").registry
    files = []
    for item in request["files"]:
        with open(item["path"], "rb") as handle:
            files.append({"name": item["path"], "file_content": handle.read(),
                          "description": item["description"]})
    metadata = {"collectionYear": request["collection_year"], "localAuthority": request["la"]}
    result = LacValidator(metadata=metadata, files=files, registry=registry)
    report = Report(result.ds_results, registry)
    issues = []
    if any(c.startswith("ERR_") for c in report.report.columns):
        frame = create_issue_df(report.report, report.error_report)
        for row in frame.itertuples(index=False):
            issues.append([
                None if row.child_id != row.child_id else str(row.child_id),
                str(row.tables_affected), str(row.columns_affected), int(row.row_id),
                str(row.rule_code), str(row.rule_description),
            ])
    json.dump({"issues": issues, "ran": len(result.dones), "failed": result.fails}, sys.stdout)


if __name__ == "__main__":
    main()
