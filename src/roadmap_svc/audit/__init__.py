"""Tamper evidence: the hash chain over the log, signed checkpoints, verify and export."""
