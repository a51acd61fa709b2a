"""Benchmark app: GET /hello/<int:n> -> {"n": n} with Flask."""

from flask import Flask

application = Flask(__name__)


@application.route("/hello/<int:n>")
def hello(n: int) -> dict:
    return {"n": n}
