"""Read models: projection logic, their runners, and async query functions."""
