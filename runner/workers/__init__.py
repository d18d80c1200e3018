"""Workers past one machine: Celery on a Redis broker advances runs that live in the store."""
