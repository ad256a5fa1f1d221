"""The Django side of the migrator: settings, models, views and Celery tasks."""

from wizard.celery import app as celery_app

__all__ = ["celery_app"]
