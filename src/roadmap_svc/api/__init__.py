"""The HTTP API: Litestar controllers, msgspec schemas, auth and the one error mapping."""
