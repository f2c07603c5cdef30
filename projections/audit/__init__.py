"""The audit of past decisions, one package for every face (CLI, POST /audits, upload page).

- reading: decisions read one row at a time, from a CSV or JSON Lines file or from decoded
  JSON items; each row valid (its `Case`) or rejected with its errors.
- judging: the Auditor, which judges a decision under the policy in force on its date, and
  the audit's Summary.
- stream: the one loop, `audit_rows`, judging a stream of rows into a writer.
- reports: the report writers (CSV, JSON Lines, HTML).
- page, chart: the HTML report's page and its chart (cold code, not compiled).

The hot modules (reading, judging, stream, reports) are compiled with mypyc where the build
asks for it (pyproject.toml [tool.policy-ledger] compiled, setup.py).
"""
