"""The REST API under /api/v1/: spec documents as JSON, through the same rules as import."""
