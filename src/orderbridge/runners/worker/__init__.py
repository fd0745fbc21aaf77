"""Scale-out: procrastinate jobs that sync one tenant each, on the PostgreSQL store."""
