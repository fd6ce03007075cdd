"""gunicorn's settings: `gunicorn 'webapp:create_app()'` reads this file from the folder it starts in."""

# Build the app once, in gunicorn's main process, before it starts the workers. A configuration
# that cannot start (production without SECRET_KEY) then stops the server with its one-line
# message; built in each worker instead, the error would end the worker, gunicorn would boot
# another, and so on forever, while clients wait. Nothing connects to the database while the app
# is built, so the workers share no connection.
preload_app = True
