"""The estate over time: a daily snapshot of its figures (snapshot.py), the dashboard's trend
lines drawn from them (chart.py, pure), and the weekly "what changed" email (weekly.py).

It lives in catalog: nearly every figure is catalog's (findings, completeness, phase two,
lifecycles) and the dashboard, the API and the emails that show them are catalog's; health, the
one figure monitoring observes, is read through catalog/health.py (`read_health_totals`,
`read_flips`), which monitoring fills in, so the import rule holds.
"""
