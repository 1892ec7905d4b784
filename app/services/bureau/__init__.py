"""The city bureau's figures, built from rollups rather than from the case table.

- `rollups`: daily and monthly counts kept by session hooks; `analytics`: the league table,
  trends, hot spots; `warnings`: early warning of spikes; `topics`: the monthly topic.
- `charts`, `report` (the monthly PDF), `exports` (CSV, XLSX).
- `csv_import`, `hotline` (12345 tickets), `visits` (daily park visits).
"""
