FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY customs_ecom ./customs_ecom
COPY aeo ./aeo
COPY declarations ./declarations
COPY risk ./risk
COPY revenue ./revenue
RUN pip install .
COPY . .
RUN DJANGO_SECRET_KEY=build-only python manage.py collectstatic --noinput \
    && useradd --create-home customs && mkdir -p /data/media && chown -R customs /data /app
USER customs
EXPOSE 8000
CMD ["gunicorn", "customs_ecom.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
