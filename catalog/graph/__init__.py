"""The dependency graph of the estate: systems as nodes, integrations as edges, drawn by graphviz.

model    plain values of what is drawn (no database, no graphviz)
load     reads the estate from the database into the model
view     which systems and integrations a filter keeps
blast    what breaks downstream when a system is down
style    the palette: what categories and health states look like
escape   quoting user text for DOT and HTML-like labels
legend   the heading: title and legend
build    the DOT source
render   runs `dot` with a timeout; rebuilds its SVG from an allowlist
version  a cheap fingerprint of everything drawn
cache    rendered files under VAR_DIR
drawing  what the page, the downloads and draw_graph ask for, cached by estate version
forms    the page's filters
"""
