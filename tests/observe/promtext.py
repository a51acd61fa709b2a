"""A strict reader of the Prometheus text format (0.0.4) for the tests, beside
prometheus_client.parser, which accepts more than it should (a sample of an
undeclared family, a histogram whose buckets go down)."""

from __future__ import annotations

import math
import re
import urllib.error
import urllib.request

from prometheus_client.parser import text_string_to_metric_families

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
SAMPLE = re.compile(rf"^({NAME})(?:\{{((?:[a-zA-Z_][a-zA-Z0-9_]*=\"[^\"\\\n]*\",?)*)\}})? "
                    r"(\S+)$")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def _family_of(sample: str, types: dict[str, str]) -> str:
    for suffix in ("_bucket", "_sum", "_count"):
        base = sample.removesuffix(suffix)
        if base != sample and types.get(base) == "histogram":
            return base
    return sample


def parse_strict(text: str) -> dict[tuple[str, tuple], float]:
    """{(sample name, ((label, value), ...)): value}; AssertionError on anything off."""
    assert text.endswith("\n") and "\r" not in text
    types: dict[str, str] = {}
    helps: set[str] = set()
    samples: dict[tuple[str, tuple], float] = {}
    for line in text[:-1].split("\n"):
        if line.startswith("# HELP "):
            name = line.split(" ", 3)[2]
            assert name not in helps and name not in types, f"HELP after TYPE or twice: {line}"
            helps.add(name)
        elif line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            assert kind in TYPES and name not in types, line
            assert re.fullmatch(NAME, name), line
            types[name] = kind
        else:
            match = SAMPLE.match(line)
            assert match, f"not a sample line: {line!r}"
            name, labels, value = match.groups()
            family = _family_of(name, types)
            assert family in types, f"sample of an undeclared family: {line}"
            pairs = tuple(re.findall(r'([a-zA-Z_][a-zA-Z0-9_]*)="([^"]*)"', labels or ""))
            key = (name, pairs)
            assert key not in samples, f"series twice: {line}"
            samples[key] = float(value)
    _check_histograms(types, samples)
    # The reference parser must read the same page (and the same number of samples).
    parsed = sum(len(f.samples) for f in text_string_to_metric_families(text))
    assert parsed == len(samples)
    return samples


def _check_histograms(types: dict[str, str], samples: dict) -> None:
    for family, kind in types.items():
        if kind != "histogram":
            continue
        buckets = [(float(dict(labels)["le"]), value) for (name, labels), value
                   in samples.items() if name == family + "_bucket"]
        assert buckets and buckets[-1][0] == math.inf, family
        assert [b for b, _ in buckets] == sorted(b for b, _ in buckets), family
        counts = [value for _, value in buckets]
        assert counts == sorted(counts), f"{family}: buckets go down"
        assert samples[(family + "_count", ())] == buckets[-1][1]
        assert (family + "_sum", ()) in samples


def fetch(url: str) -> tuple[int, bytes]:
    """(status, body) of a GET, an error status too."""
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


def scrape(port: int) -> dict:
    """The samples of 127.0.0.1:`port`/metrics, read strictly."""
    status, body = fetch(f"http://127.0.0.1:{port}/metrics")
    assert status == 200
    return parse_strict(body.decode())
