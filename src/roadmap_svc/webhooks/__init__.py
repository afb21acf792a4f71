"""Signed webhooks (Standard Webhooks): endpoints, the outbox's deliveries, the dispatcher."""
