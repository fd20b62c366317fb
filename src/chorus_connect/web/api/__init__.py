"""The REST API under /api/v1 (OpenAPI description at /api/v1/openapi.json)."""
