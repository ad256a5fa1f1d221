FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/var/lib/migrator STATIC_ROOT=/app/staticfiles
WORKDIR /app
COPY pyproject.toml README.md ./
COPY migrator ./migrator
COPY wizard ./wizard
RUN pip install --no-cache-dir .
COPY manage.py ./
COPY templates ./templates
COPY static ./static
COPY locale ./locale
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends gettext \
 && SECRET_KEY=build SECRETS_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    python manage.py compilemessages \
 && apt-get purge -y -qq gettext && apt-get autoremove -y -qq && rm -rf /var/lib/apt/lists/*
RUN SECRET_KEY=build SECRETS_ENCRYPTION_KEYS=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA= \
    python manage.py collectstatic --noinput \
 && useradd --system --home /var/lib/migrator migrator && mkdir -p /var/lib/migrator \
 && chown migrator /var/lib/migrator
USER migrator
EXPOSE 8000
CMD ["gunicorn", "wizard.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3"]
