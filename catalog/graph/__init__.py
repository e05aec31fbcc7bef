"""The dependency graph of the estate: systems as nodes, integrations as edges, drawn by graphviz.

A large whole-estate view (more than aggregate.AGGREGATE_ABOVE_EDGES integrations, no system in
focus) is drawn aggregated: one edge per (source, target) pair with its count and worst health,
systems clustered by category, each edge linking to the integration list of its pair; a focus
draws each integration. A drawing not cached is made by a Celery task (catalog.tasks.draw_graph_task)
unless the estate is small; the page shows progress meanwhile and a failure is cached for a while.

model    plain values of what is drawn (no database, no graphviz)
load     reads the estate from the database into the model
view     which systems and integrations a filter keeps, and whether the view is aggregated
aggregate  one edge per pair of systems: counts and worst health
blast    what breaks downstream when a system is down
style    the palette: what categories and health states look like
escape   quoting user text for DOT and HTML-like labels
legend   the heading: title and legend
build    the DOT source
render   runs `dot` with a timeout; rebuilds its SVG from an allowlist
version  a cheap fingerprint of everything drawn
cache    rendered files under VAR_DIR, and the claims that make one render of N requests
drawing  what the page, the downloads and draw_graph ask for, cached by estate version; inline,
         or pending while the worker draws, or failed (cached)
forms    the page's filters
"""
