"""roadmap-svc: an event-sourced REST backend for initiative roadmaps."""
