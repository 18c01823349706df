"""Tenant isolation, for every resource of resources.RESOURCES: a user of
tenant A gets 404 for tenant B's ids (read, change, delete, and as the
value of every reference field), A's lists never hold B's rows, and B's
rows do not change.  A resource added to RESOURCES is covered here."""

import pytest

from resources import (RESOURCES, make_tenant, post, prerequisites, count, row,
                       err, ids)

REFS = [(res, key, field) for res in RESOURCES for key, field in res.refs]

# master group grants, by object type: where tenant B's object of that type is
GRANTS = [("search_group", lambda t: t["d"]["search_group"]),
          ("event_group", lambda t: t["d"]["event_group"]),
          ("candidate_group", lambda t: t["d"]["candidate_group"]),
          ("form", lambda t: t["objs"]["forms"]["id"]),
          ("template", lambda t: t["objs"]["templates"]["id"])]


def setup_tenant(hrx, platform_admin):
    s = make_tenant(hrx, platform_admin)
    d = prerequisites(hrx, s)
    objs = {res.path: post(hrx, s, res.path, res.create(d)) for res in RESOURCES}
    return {"s": s, "d": d, "objs": objs, "id": s.tenant["id"]}


@pytest.fixture(scope="module")
def tenants(hrx):
    pa = hrx.login()
    return setup_tenant(hrx, pa), setup_tenant(hrx, pa)


@pytest.mark.parametrize("res", RESOURCES, ids=repr)
def test_other_tenants_rows_are_not_found(hrx, tenants, res):
    a, b = tenants
    theirs = b["objs"][res.path]["id"]
    before = row(hrx, res.table, theirs)
    err(a["s"].get(res.url(hrx, theirs)), 404, "not_found")
    err(a["s"].patch(res.url(hrx, theirs), json=res.patch(a["d"])), 404, "not_found")
    err(a["s"].delete(res.url(hrx, theirs)), 404, "not_found")
    assert row(hrx, res.table, theirs) == before
    with hrx.db() as con:
        b_rows = {r[0] for r in con.execute(
            "SELECT id FROM %s WHERE tenant_id = ?" % res.table, (b["id"],))}
    listed = ids(hrx, a["s"], res.path)
    assert a["objs"][res.path]["id"] in listed
    assert not b_rows & set(listed)
    # and B still sees its own
    assert b["s"].get(res.url(hrx, theirs)).status_code == 200


@pytest.mark.parametrize("res,key,field", REFS,
                         ids=["%s.%s" % (r.path, f) for r, _, f in REFS])
def test_other_tenants_ids_cannot_be_referenced(hrx, tenants, res, key, field):
    a, b = tenants
    foreign = dict(a["d"], **{key: b["d"][key]})
    before = count(hrx, res.table, a["id"])
    err(a["s"].post(res.url(hrx), json=res.create(foreign)), 404, "not_found", field)
    assert count(hrx, res.table, a["id"]) == before
    mine = a["objs"][res.path]["id"]
    before = row(hrx, res.table, mine)
    err(a["s"].patch(res.url(hrx, mine), json=res.create(foreign)), 404, "not_found", field)
    assert row(hrx, res.table, mine) == before


@pytest.mark.parametrize("kind,theirs", GRANTS, ids=[k for k, _ in GRANTS])
def test_other_tenants_objects_cannot_be_granted(hrx, tenants, kind, theirs):
    a, b = tenants
    mg = a["objs"]["master-groups"]["id"]
    r = a["s"].patch(hrx.url("/api/v1/master-groups/%d" % mg),
                     json={"grants": [{"type": kind, "id": theirs(b)}]})
    err(r, 404, "not_found", "grants[0].id")
    assert a["s"].get(hrx.url("/api/v1/master-groups/%d" % mg)).json()["grants"] \
        == a["objs"]["master-groups"]["grants"]


def test_other_tenants_users_master_groups_and_dates(hrx, tenants):
    a, b = tenants
    s = a["s"]
    err(s.get(hrx.url("/api/v1/users/%d" % b["d"]["user"])), 404, "not_found")
    err(s.post(hrx.url("/api/v1/users"), json={
        "email": "x-%d@example.com" % b["id"], "name": "x",
        "master_group_ids": [b["d"]["master_group"]]}), 404, "not_found", "master_group_ids")
    err(s.patch(hrx.url("/api/v1/users/%d" % a["d"]["user"]),
                json={"master_group_ids": [b["d"]["master_group"]]}),
        404, "not_found", "master_group_ids")
    ev = a["objs"]["events"]
    their_date = b["objs"]["events"]["dates"][0]["id"]
    err(s.patch(hrx.url("/api/v1/events/%d" % ev["id"]), json={"dates": [
        {"id": their_date, "starts_at": "2027-06-01T10:00:00Z", "capacity": 2}]}),
        404, "not_found", "dates[0].id")
    assert s.get(hrx.url("/api/v1/events/%d" % ev["id"])).json()["dates"] == ev["dates"]
    assert b["s"].get(hrx.url("/api/v1/events/%d" % b["objs"]["events"]["id"])).json() \
        == b["objs"]["events"]
