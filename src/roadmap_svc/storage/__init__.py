"""Storage: database targets, embedded PostgreSQL, migrations, pools and the transcoder."""
