"""Migration revisions of the store."""
