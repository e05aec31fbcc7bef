"""The azure-logic-apps health adapter: see adapter.py and README.md beside it."""
