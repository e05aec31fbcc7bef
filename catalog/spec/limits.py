"""How much a spec may hold. Each limit sits far above what a real estate needs and keeps a
hostile or runaway file from taking the server with it: whatever a file holds, reading it
costs no more than reading a 10 MB file of ordinary specs. docs/spec-format.md ("Limits")
lists them for spec authors."""

from __future__ import annotations

MB = 1024 * 1024

# The file: its size is checked before it is read, the rest as libyaml parses it.
FILE_MAX_BYTES = 10 * MB  # an estate spreads over as many files as it likes
UPLOAD_MAX_BYTES = 20 * MB  # all files of one upload on /upload/ together
# Nodes (mappings, lists, scalars, aliases) in one file: specs average one every 13 bytes, so a
# 10 MB file of them holds about 800,000, where "[a,a,a,...]" would hold five million.
NODES_MAX = 1_000_000
# Nodes in one document, which is composed whole (300 bytes a node) before it is checked; the
# biggest spec, a value map of 20,000 rows written inline, holds about 100,000.
DOCUMENT_NODES_MAX = 120_000
DOCUMENTS_MAX = 100_000  # the smallest, a person, takes about 100 bytes

# The shape of a document.
NESTING_MAX = 20  # levels of mappings and lists; a spec needs three
# Nodes that aliases (`*name`) in one file may repeat, counted as they are expanded: anchors for
# shared blocks stay far below, and an alias bomb stops here, before anything is built.
ALIAS_NODES_MAX = 100_000
FIELD_NAME_MAX = 200  # characters of a mapping key; field names are short words

# Fields: characters of free text (description, workaround.description); items of a list.
TEXT_MAX = 65_536
DATA_OBJECTS_MAX = 100
NOTIFY_MAX = 200
MAPPINGS_MAX = 1_000
GOLIVE_INTEGRATIONS_MAX = 5_000

# Value maps: a chart of accounts runs to a few thousand rows, 20,000 at the most we have seen.
# Written inline a row is five nodes, so DOCUMENT_NODES_MAX holds the biggest value map.
VALUE_MAP_ROWS_MAX = 20_000
VALUE_MAP_CSV_MAX_BYTES = 5 * MB  # a `csv:` file or an upload on the value map's page
VALUE_TEXT_MAX = 500  # characters of one source or target value
