"""Transport for jobs: Celery over Redis in production, an in-process executor by default."""
