"""The migration engine: plain Python, no Django. It takes plain values and callbacks, so the
same code runs from the command line, a test or a Celery task."""
