"""Saved-search conditions evaluated (docs/data-model.md, "Saved-search
conditions"): POST /searches/count, GET /saved-searches/{id}/count and
/candidates against known data, every leaf op once, the operate rule in
counts, validation naming the node with nothing saved, reach."""

import time

import pytest
import requests

import cand
from resources import uniq, make_tenant, make_user, post, count, err


@pytest.fixture(scope="module")
def world(hrx):
    """A tenant of its own with five known candidates, and a user who may
    not operate on candidates outside its groups."""
    owner = make_tenant(hrx, hrx.login())
    w = {"owner": owner, "t0": int(time.time())}
    w["l1"] = post(hrx, owner, "labels", {"name": uniq("l1")})["id"]
    w["l2"] = post(hrx, owner, "labels", {"name": uniq("l2")})["id"]
    w["g_hidden"] = post(hrx, owner, "candidate-groups", {"name": uniq("gh")})["id"]
    w["g_shared"] = post(hrx, owner, "candidate-groups", {"name": uniq("gs")})["id"]
    w["sg_open"] = post(hrx, owner, "search-groups", {"name": uniq("so")})["id"]
    w["sg_hidden"] = post(hrx, owner, "search-groups", {"name": uniq("sh")})["id"]
    agent = post(hrx, owner, "agents", {"name": "Agency", "email": "a@agency.jp"})["id"]
    post(hrx, owner, "master-groups", {"name": uniq("other"), "grants": [
        {"type": "candidate_group", "id": w["g_hidden"]},
        {"type": "search_group", "id": w["sg_hidden"]}]})
    mine = post(hrx, owner, "master-groups", {"name": uniq("mine"), "grants": [
        {"type": "candidate_group", "id": w["g_shared"]}]})["id"]
    role = post(hrx, owner, "roles", {"name": uniq("planner"),
                                      "permissions": ["bulk_actions.manage"]})["id"]
    w["planner"] = make_user(hrx, owner, role_id=role, groups=[mine])

    c = {}
    c["A"] = cand.make(hrx, owner, family_name="Yamada", given_name="Hanako",
                       email="hanako@example.com", school="Tokyo University",
                       graduation_year=2026, status="applied", label_ids=[w["l1"]],
                       custom_fields={"score": 80, "lang": "ja"}, country="JP",
                       phone="+819012345678")
    c["B"] = cand.make(hrx, owner, family_name="Suzuki", given_name="Taro",
                       email="taro@example.jp", school="Kyoto University",
                       graduation_year=2027, status="screening",
                       label_ids=[w["l1"], w["l2"]], route="agent", agent_id=agent,
                       custom_fields={"score": 55})
    c["C"] = cand.make(hrx, owner, family_name="Tanaka", given_name="Jiro",
                       email="jiro@test.org", school="Osaka Tech", graduation_year=2025,
                       status="interview", line_user_id="U" + "0" * 32,
                       custom_fields={"score": "n/a"})
    c["D"] = cand.make(hrx, owner, family_name="Sato", status="rejected",
                       candidate_group_id=w["g_hidden"], opted_out=True)
    c["E"] = cand.make(hrx, owner, family_name="Ito", given_name="Yuki",
                       email="yuki@example.com", school="tokyo institute",
                       graduation_year=2027, status="applied",
                       candidate_group_id=w["g_shared"])
    post(hrx, owner, "interviews", {"candidate_id": c["C"],
                                    "starts_at": "2030-01-10T01:00:00Z"})
    w["c"] = c
    w["name"] = {v: k for k, v in c.items()}
    w["t1"] = int(time.time()) + 1
    return w


def count_of(hrx, sess, condition):
    r = sess.post(hrx.url("/api/v1/searches/count"), json={"condition": condition})
    assert r.status_code == 200, r.text
    return r.json()["count"]


def hits(hrx, sess, search_id, limit=200):
    """The ids GET /saved-searches/{id}/candidates shows, page by page."""
    seen, after = [], None
    while True:
        q = "/api/v1/saved-searches/%d/candidates?limit=%d%s" % (
            search_id, limit, "&after=%d" % after if after else "")
        r = sess.get(hrx.url(q))
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= limit
        seen += [x["id"] for x in page["items"]]
        after = page["next_after"]
        if after is None:
            return seen


def iso(t):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


# every leaf op and shorthand once: (condition, who matches)
def cases(w):
    return [
        ({"field": "status", "op": "eq", "value": "applied"}, "AE"),
        ({"field": "school", "op": "ne", "value": "Osaka Tech"}, "ABDE"),
        ({"field": "status", "op": "in", "value": ["applied", "screening"]}, "ABE"),
        ({"field": "graduation_year", "op": "range", "value": [2026, 2027]}, "ABE"),
        ({"field": "graduation_year", "op": "range", "value": [None, 2025]}, "C"),
        ({"field": "school", "op": "contains", "value": "TOKYO"}, "AE"),
        ({"field": "email", "op": "regex", "value": "@example\\.(com|jp)$"}, "ABE"),
        ({"field": "email", "op": "exists", "value": False}, "D"),
        ({"field": "custom.score", "op": "range", "value": [60, 100]}, "A"),
        ({"field": "custom.lang", "op": "eq", "value": "ja"}, "A"),
        ({"field": "opted_out", "op": "eq", "value": True}, "D"),
        ({"field": "created_at", "op": "range",
          "value": [iso(w["t0"] - 1), iso(w["t1"] + 1)]}, "ABCDE"),
        ({"has_label": w["l1"]}, "AB"),
        ({"has_line_link": True}, "C"),
        ({"agent_route": True}, "B"),
        ({"has_interview": True}, "C"),
        ({"not": {"has_label": w["l1"]}}, "CDE"),
        ({"all": [{"field": "status", "op": "in", "value": ["applied", "screening"]},
                  {"field": "graduation_year", "op": "range", "value": [2027, 2027]}]},
         "BE"),
        ({"any": [{"has_label": w["l2"]}, {"field": "status", "op": "eq",
                                            "value": "rejected"}]}, "BD"),
    ]


def test_every_op_counts_and_lists(hrx, world):
    owner = world["owner"]
    for cond, expect in cases(world):
        assert count_of(hrx, owner, cond) == len(expect), cond
        s = post(hrx, owner, "saved-searches", {
            "search_group_id": world["sg_open"], "name": uniq("s"), "condition": cond})
        r = owner.get(hrx.url("/api/v1/saved-searches/%d/count" % s["id"]))
        assert r.status_code == 200 and r.json() == {"count": len(expect)}, (cond, r.text)
        got = hits(hrx, owner, s["id"])
        assert got == sorted(got)
        assert "".join(sorted(world["name"][i] for i in got)) == expect, cond


def test_pages_and_items(hrx, world):
    owner = world["owner"]
    s = post(hrx, owner, "saved-searches", {
        "search_group_id": world["sg_open"], "name": "all",
        "condition": {"field": "family_name", "op": "exists", "value": True}})
    everyone = sorted(world["c"].values())
    assert hits(hrx, owner, s["id"], limit=2) == everyone
    assert hits(hrx, owner, s["id"], limit=1) == everyone
    page = owner.get(hrx.url("/api/v1/saved-searches/%d/candidates?limit=2" % s["id"])).json()
    assert page["next_after"] == everyone[1]
    a = page["items"][0]
    assert a["id"] == world["c"]["A"]
    assert a["family_name"] == "Yamada" and a["email"] == "hanako@example.com"
    # the same object as the candidates API renders, when it is served
    r = owner.get(hrx.url("/api/v1/candidates/%d" % a["id"]))
    if r.status_code == 200:
        assert r.json() == a
    err(owner.get(hrx.url("/api/v1/saved-searches/%d/candidates?limit=0" % s["id"])),
        400, "invalid_value", "limit")
    err(owner.get(hrx.url("/api/v1/saved-searches/%d/candidates?after=x" % s["id"])),
        400, "invalid_value", "after")


def test_operate_rule_applies_to_counts(hrx, world):
    """The planner cannot operate on candidates of a group its master
    groups do not reach (D): they are not counted or listed."""
    owner, planner = world["owner"], world["planner"]
    everyone = {"field": "family_name", "op": "exists", "value": True}
    assert count_of(hrx, owner, everyone) == 5
    assert count_of(hrx, planner, everyone) == 4
    assert count_of(hrx, planner, {"field": "status", "op": "eq", "value": "rejected"}) == 0
    s = post(hrx, planner, "saved-searches", {
        "search_group_id": world["sg_open"], "name": "mine", "condition": everyone})
    assert planner.get(hrx.url("/api/v1/saved-searches/%d/count" % s["id"])).json() \
        == {"count": 4}
    assert world["c"]["D"] not in hits(hrx, planner, s["id"])
    assert world["c"]["D"] in hits(hrx, owner, s["id"])


def test_saved_search_in_unreached_group_is_404(hrx, world):
    owner, planner = world["owner"], world["planner"]
    s = post(hrx, owner, "saved-searches", {
        "search_group_id": world["sg_hidden"], "name": "hidden",
        "condition": {"has_label": world["l1"]}})
    assert owner.get(hrx.url("/api/v1/saved-searches/%d/count" % s["id"])).json() \
        == {"count": 2}
    for path in ("count", "candidates"):
        err(planner.get(hrx.url("/api/v1/saved-searches/%d/%s" % (s["id"], path))),
            404, "not_found")
        err(owner.get(hrx.url("/api/v1/saved-searches/999999999/%s" % path)),
            404, "not_found")
    # another tenant's search is not found either
    other = make_tenant(hrx, hrx.login())
    err(other.get(hrx.url("/api/v1/saved-searches/%d/count" % s["id"])), 404, "not_found")


BAD = [
    ({"all": [{"has_label": 1}, {"field": "email", "op": "regex", "value": "(unclosed"}]},
     "invalid_value", "condition.all[1].value"),
    ({"any": [{"field": "shoe_size", "op": "eq", "value": 42}]},
     "unknown_field", "condition.any[0].field"),
    ({"field": "graduation_year", "op": "eq", "value": "2027"},
     "invalid_type", "condition.value"),
    ({"field": "status", "op": "in", "value": ["applied", "hired", "asleep"]},
     "invalid_value", "condition.value[2]"),
    ([{"has_label": 1}], "invalid_type", "condition"),
]


@pytest.mark.parametrize("cond,code,field", BAD, ids=[b[2] for b in BAD])
def test_bad_condition_is_400_naming_the_node_and_saves_nothing(hrx, world, cond,
                                                                 code, field):
    owner = world["owner"]
    if isinstance(cond, dict) and "all" in cond:
        cond["all"][0]["has_label"] = world["l1"]
    e = err(owner.post(hrx.url("/api/v1/searches/count"), json={"condition": cond}),
            400, None, field)
    assert e["code"] == code, e
    assert field in e["message"]
    tenant = owner.tenant["id"]
    before = count(hrx, "saved_searches", tenant)
    e = err(owner.post(hrx.url("/api/v1/saved-searches"), json={
        "search_group_id": world["sg_open"], "name": "bad", "condition": cond}),
        400, code, field)
    assert count(hrx, "saved_searches", tenant) == before
    # and on update: the stored condition stays
    s = post(hrx, owner, "saved-searches", {
        "search_group_id": world["sg_open"], "name": "ok",
        "condition": {"has_label": world["l1"]}})
    err(owner.patch(hrx.url("/api/v1/saved-searches/%d" % s["id"]),
                    json={"condition": cond}), 400, code, field)
    assert owner.get(hrx.url("/api/v1/saved-searches/%d" % s["id"])).json()["condition"] \
        == {"has_label": world["l1"]}


def test_has_label_must_be_a_label_of_the_tenant(hrx, world):
    owner = world["owner"]
    other = make_tenant(hrx, hrx.login())
    foreign = post(hrx, other, "labels", {"name": uniq("x")})["id"]
    for label in (foreign, 999999999):
        cond = {"all": [{"has_label": world["l1"]},
                        {"not": {"has_label": label}}]}
        e = err(owner.post(hrx.url("/api/v1/searches/count"), json={"condition": cond}),
                400, "invalid_value", "condition.all[1].not.has_label")
        assert str(label) in e["message"]
        before = count(hrx, "saved_searches", owner.tenant["id"])
        err(owner.post(hrx.url("/api/v1/saved-searches"), json={
            "search_group_id": world["sg_open"], "name": "x", "condition": cond}),
            400, "invalid_value", "condition.all[1].not.has_label")
        assert count(hrx, "saved_searches", owner.tenant["id"]) == before


def test_count_body_is_checked(hrx, world):
    owner = world["owner"]
    url = hrx.url("/api/v1/searches/count")
    err(owner.post(url, json={}), 400, "required", "condition")
    err(owner.post(url, json={"condition": {"has_label": world["l1"]}, "x": 1}),
        400, "unknown_field", "x")
    err(owner.post(url, data="[1]", headers={"Content-Type": "application/json"}),
        400)
    r = requests.post(url, json={"condition": {"has_label": world["l1"]}})
    assert r.status_code == 401


def test_many_counts_at_once(hrx, world):
    """Counts run on the thread pool: concurrent ones all answer."""
    from concurrent.futures import ThreadPoolExecutor
    owner = world["owner"]
    cond = {"field": "email", "op": "regex", "value": "example"}

    def one(_):
        r = requests.post(hrx.url("/api/v1/searches/count"), json={"condition": cond},
                          cookies=owner.cookies, headers=dict(owner.headers))
        assert r.status_code == 200, r.text
        return r.json()["count"]
    with ThreadPoolExecutor(16) as ex:
        got = list(ex.map(one, range(64)))
    assert got == [3] * 64
