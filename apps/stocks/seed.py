"""Sample data for the stocks app: a deterministic, realistic-looking market.

Codes follow the mainland boards (Shanghai 600/601/603, STAR 688, Shenzhen
000/002, ChiNext 300); short names are built from common name parts. The same
seed always gives the same rows, so tests and screenshots are repeatable.
"""

from __future__ import annotations

import random

SEED = 20240517
TRADE_DATE = "2024-05-17"
BOARD_PREFIXES = ("600", "601", "603", "688", "000", "002", "300")
NAME_HEADS = ("华夏", "长江", "东方", "中信", "海天", "金山", "宏达", "新华", "南方", "天宇",
              "光明", "恒瑞", "万通", "北辰", "盛达", "远洋", "国泰", "江南", "西部", "蓝海")
NAME_TAILS = ("银行", "证券", "科技", "电子", "药业", "汽车", "能源", "电力", "地产", "食品",
              "化工", "材料", "通信", "软件", "保险", "物流", "医疗", "矿业", "航空", "环保")
DAILY_LIMIT = 10.0  # the exchanges' daily price limit, in percent


def generate_stocks(count: int = 80, seed: int = SEED) -> list[dict]:
    """``count`` stocks as dicts with the columns of the ``info`` table."""
    rng = random.Random(seed)
    codes = _unique(count, lambda: rng.choice(BOARD_PREFIXES) + f"{rng.randrange(1000):03d}")
    names = _unique(count, lambda: rng.choice(NAME_HEADS) + rng.choice(NAME_TAILS))
    return [_quote(rng, code, names[index]) for index, code in enumerate(sorted(codes))]


def _unique(count: int, make) -> list[str]:
    seen: dict[str, None] = {}
    while len(seen) < count:
        seen[make()] = None
    return list(seen)


def _quote(rng: random.Random, code: str, name: str) -> dict:
    price = round(rng.lognormvariate(2.8, 0.8), 2) + 1.0
    change = max(-DAILY_LIMIT, min(DAILY_LIMIT, rng.gauss(0.2, 2.5)))
    return {
        "code": code,
        "short": name,
        "chg": round(change, 2),
        "turnover": round(rng.uniform(0.1, 15.0), 2),
        "price": round(price, 2),
        "highs": round(price * rng.uniform(1.0, 1.6), 2),
        "date": TRADE_DATE,
    }
