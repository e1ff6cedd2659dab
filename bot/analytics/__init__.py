"""Analysts' tools over the ledger: measure views and full-text search (schema), the measures
(sql, measures), the report and its HTML charts, exports, Datasette, and synthetic demo data."""
