"""The sap-integration-suite health adapter: see adapter.py and README.md beside it."""
