"""Benchmark app: GET /hello/<n:int> -> {"n": n} with miniframe."""

from miniframe import App

application = App()


@application.route("/hello/<n:int>")
def hello(n: int) -> dict:  # no `request` parameter, like the bottle and Flask apps
    return {"n": n}
