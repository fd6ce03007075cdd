from flask import Flask

from config import DevConfig

app = Flask(__name__)
# from_object: later chapters switch between several configurations in one line.
app.config.from_object(DevConfig)


@app.route('/')
def home():
    return '<h1>Hello World!</h1>'


# What manage.py's @manager.shell did: `flask --app main shell` starts with these names.
@app.shell_context_processor
def make_shell_context():
    return dict(app=app)


if __name__ == '__main__':
    app.run()
