"""Tenants and users: commands through the ring, reads from SQLite,
permissions and tenant isolation."""
import uuid

import requests


def uniq(prefix="u"):
    return "%s-%s@example.com" % (prefix, uuid.uuid4().hex[:10])


def slug():
    return "t-" + uuid.uuid4().hex[:10]


def make_tenant(hrx, admin, password="correct horse battery"):
    s = slug()
    email = uniq("owner")
    r = admin.post(hrx.url("/api/v1/tenants"), json={
        "slug": s, "name": "Tenant " + s, "time_zone": "Europe/Paris",
        "admin": {"email": email, "name": "Owner", "password": password}})
    assert r.status_code == 201, r.text
    t = r.json()
    return t, hrx.login(email, password, tenant=s)


def test_create_user_then_read_it_back(hrx, admin):
    email = uniq()
    r = admin.post(hrx.url("/api/v1/users"), json={"email": email, "name": "Aiko Sato"})
    assert r.status_code == 201, r.text
    u = r.json()
    assert u["email"] == email and u["status"] == "active"
    assert u["has_password"] is False
    # read-your-write: the reply comes after commit
    got = admin.get(hrx.url("/api/v1/users/%d" % u["id"]))
    assert got.status_code == 200 and got.json()["name"] == "Aiko Sato"
    me = admin.get(hrx.url("/api/v1/auth/session")).json()["user"]
    assert got.json()["created_by"] == me["id"]
    assert got.json()["updated_by"] == me["id"]
    listed = admin.get(hrx.url("/api/v1/users?limit=200")).json()
    assert email in [x["email"] for x in listed["items"]]


def test_duplicate_email_is_a_conflict_and_changes_nothing(hrx, admin):
    email = uniq()
    assert admin.post(hrx.url("/api/v1/users"), json={"email": email, "name": "A"}).status_code == 201
    r = admin.post(hrx.url("/api/v1/users"), json={"email": email.upper(), "name": "B"})
    assert r.status_code == 409
    assert r.json()["error"] == {"code": "conflict", "field": "email",
                                 "message": r.json()["error"]["message"]}
    with hrx.db() as con:
        n = con.execute("SELECT COUNT(*) FROM users WHERE email = ?", (email,)).fetchone()[0]
    assert n == 1


def test_user_with_password_can_log_in_and_disabling_ends_sessions(hrx, admin):
    email = uniq()
    r = admin.post(hrx.url("/api/v1/users"),
                   json={"email": email, "name": "Ken", "password": "a long password 1"})
    assert r.status_code == 201, r.text
    uid = r.json()["id"]
    s = hrx.login(email, "a long password 1")
    assert s.get(hrx.url("/api/v1/auth/session")).status_code == 200
    r = admin.patch(hrx.url("/api/v1/users/%d" % uid), json={"status": "disabled"})
    assert r.status_code == 200 and r.json()["status"] == "disabled"
    assert s.get(hrx.url("/api/v1/auth/session")).status_code == 401
    r = requests.post(hrx.url("/api/v1/auth/login"),
                      json={"email": email, "password": "a long password 1"})
    assert r.status_code == 401


def test_short_password_is_refused_naming_the_field(hrx, admin):
    r = admin.post(hrx.url("/api/v1/users"),
                   json={"email": uniq(), "name": "X", "password": "short"})
    assert r.status_code == 400
    assert r.json()["error"]["field"] == "password"


def test_last_admin_cannot_be_disabled(hrx, admin):
    t, owner = make_tenant(hrx, admin)
    me = owner.get(hrx.url("/api/v1/auth/session")).json()["user"]
    r = owner.patch(hrx.url("/api/v1/users/%d" % me["id"]), json={"status": "disabled"})
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "last_admin"


def test_tenants_are_created_by_the_platform_admin_only(hrx, admin):
    t, owner = make_tenant(hrx, admin)
    assert t["time_zone"] == "Europe/Paris"
    r = owner.post(hrx.url("/api/v1/tenants"), json={
        "slug": slug(), "name": "nope", "admin": {"email": uniq(), "name": "x"}})
    assert r.status_code == 403
    assert r.json()["error"]["code"] == "forbidden"
    assert owner.get(hrx.url("/api/v1/tenants")).status_code == 403
    assert owner.get(hrx.url("/api/v1/tenant")).json()["slug"] == t["slug"]
    r = admin.post(hrx.url("/api/v1/tenants"), json={
        "slug": t["slug"], "name": "dup", "admin": {"email": uniq(), "name": "x"}})
    assert r.status_code == 409 and r.json()["error"]["field"] == "slug"


def test_tenant_isolation(hrx, admin):
    """A user of tenant A gets 404 for tenant B's ids and never sees B's rows."""
    _, a = make_tenant(hrx, admin)
    _, b = make_tenant(hrx, admin)
    b_user = b.post(hrx.url("/api/v1/users"), json={"email": uniq(), "name": "Bee"}).json()
    b_token = b.post(hrx.url("/api/v1/tokens"), json={"name": "b tok"}).json()
    assert a.get(hrx.url("/api/v1/users/%d" % b_user["id"])).status_code == 404
    r = a.patch(hrx.url("/api/v1/users/%d" % b_user["id"]), json={"name": "pwned"})
    assert r.status_code == 404
    assert a.delete(hrx.url("/api/v1/tokens/%d" % b_token["id"])).status_code == 404
    a_users = a.get(hrx.url("/api/v1/users?limit=200")).json()["items"]
    assert b_user["id"] not in [u["id"] for u in a_users]
    assert all(u["tenant_id"] == a_users[0]["tenant_id"] for u in a_users)
    assert b_token["id"] not in [t["id"] for t in a.get(hrx.url("/api/v1/tokens")).json()["items"]]
    # and nothing changed
    assert b.get(hrx.url("/api/v1/users/%d" % b_user["id"])).json()["name"] == "Bee"


def test_same_email_in_two_tenants_needs_the_tenant_to_log_in(hrx, admin):
    email = uniq("shared")
    slugs = []
    for _ in range(2):
        s = slug()
        r = admin.post(hrx.url("/api/v1/tenants"), json={
            "slug": s, "name": s,
            "admin": {"email": email, "name": "Same", "password": "same password 42"}})
        assert r.status_code == 201, r.text
        slugs.append(s)
    r = requests.post(hrx.url("/api/v1/auth/login"),
                      json={"email": email, "password": "same password 42"})
    assert r.status_code == 400 and r.json()["error"]["field"] == "tenant"
    s = hrx.login(email, "same password 42", tenant=slugs[1])
    assert s.get(hrx.url("/api/v1/tenant")).json()["slug"] == slugs[1]


def test_pagination(hrx, admin):
    _, owner = make_tenant(hrx, admin)
    for i in range(5):
        assert owner.post(hrx.url("/api/v1/users"),
                          json={"email": uniq("p%d" % i), "name": "P"}).status_code == 201
    seen, after = [], None
    while True:
        q = "/api/v1/users?limit=2" + ("&after=%d" % after if after else "")
        page = owner.get(hrx.url(q)).json()
        assert len(page["items"]) <= 2
        seen += [u["id"] for u in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert len(seen) == 6 and seen == sorted(seen)
    assert owner.get(hrx.url("/api/v1/users?limit=0")).status_code == 400
    assert owner.get(hrx.url("/api/v1/users?limit=abc")).status_code == 400
