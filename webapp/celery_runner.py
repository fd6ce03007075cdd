"""Where Celery finds the app (the book's celery_runner.py), for its worker and for beat:

    celery -A celery_runner worker --loglevel=info
    celery -A celery_runner beat --loglevel=info

WEBAPP_ENV picks the configuration, as for `flask --app webapp`: dev (the embedded broker) by default,
prod for RabbitMQ and Redis; CELERY_BROKER_URL and CELERY_RESULT_BACKEND name others.
"""
from webapp import create_app

flask_app = create_app()
celery = flask_app.extensions['celery']
