"""The domain: aggregates, events, value types and errors. No I/O here."""
