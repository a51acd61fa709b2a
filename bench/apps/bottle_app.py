"""Benchmark app: GET /hello/<n:int> -> {"n": n} with bottle."""

import bottle

application = bottle.Bottle()


@application.route("/hello/<n:int>")
def hello(n: int) -> dict:
    return {"n": n}
