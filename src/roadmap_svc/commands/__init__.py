"""The Application's command methods, one module per part of the domain."""
