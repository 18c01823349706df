"""docs/openapi.json describes exactly the routes the module serves."""
import json
import os
import re

import requests

from hrx import TOP

HANDLER = os.path.join(TOP, "ngx_hrx_module", "ngx_http_hrx_handler.c")
SPEC = os.path.join(TOP, "docs", "openapi.json")
METHODS = {"get", "post", "put", "patch", "delete"}


def module_routes():
    src = open(HANDLER).read()
    found = re.findall(r'\{\s*NGX_HTTP_(GET|POST|PUT|PATCH|DELETE),\s*'
                       r'ngx_string\("(/api/v1/[^"]*|/webhooks/[^"]*)"\)', src)
    assert found, "route table not found in %s" % HANDLER
    return {(m.lower(), p) for m, p in found}


def spec_routes():
    spec = json.load(open(SPEC))
    return {(m, p) for p, item in spec["paths"].items()
            for m in item if m in METHODS}


def test_every_served_route_is_described():
    missing = module_routes() - spec_routes()
    assert not missing, "routes served but not in docs/openapi.json: %s" % sorted(missing)


def test_every_described_route_is_served(hrx):
    # openapi.json itself is served by nginx (static), not the module table
    undescribed = spec_routes() - module_routes() - {("get", "/api/v1/openapi.json")}
    assert not undescribed, "described but not served: %s" % sorted(undescribed)
    for method, path in spec_routes():
        r = requests.request(method, hrx.url(path.replace("{id}", "1")), json={})
        assert r.status_code not in (404, 405) or r.json()["error"]["code"] == "not_found" \
            and "{id}" in path, (method, path, r.status_code)


def test_openapi_is_served(hrx):
    r = requests.get(hrx.url("/api/v1/openapi.json"))
    assert r.status_code == 200
    assert r.json()["openapi"].startswith("3.")
