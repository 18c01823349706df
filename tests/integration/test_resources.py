"""The recruiting resources (docs/data-model.md): CRUD through the command
path, bad input naming the field with nothing changed, uniqueness, the
resources' own rules, permissions, reach through master groups, audit."""

import json

import pytest

from resources import (RESOURCES, BY_PATH, uniq, email, make_tenant, make_user,
                       make_candidate, db_write, post, prerequisites, count,
                       row, err, ids)


@pytest.fixture(scope="module")
def owner(hrx):
    """The owner (users.admin) of a tenant of this module's own."""
    return make_tenant(hrx, hrx.login())


@pytest.fixture(scope="module")
def pre(hrx, owner):
    return prerequisites(hrx, owner)


@pytest.fixture(scope="module")
def editor(hrx, owner):
    """A second administrator of the tenant (the built-in admin role)."""
    return make_user(hrx, owner)


@pytest.fixture(scope="module")
def nobody(hrx, owner):
    """A user whose role grants no permission at all."""
    role = post(hrx, owner, "roles", {"name": uniq("none"), "permissions": []})
    return make_user(hrx, owner, role_id=role["id"])


def audit(hrx, object_id, op):
    with hrx.db() as con:
        return [dict(r) for r in con.execute(
            "SELECT * FROM audit_log WHERE object_id = ? AND op = ?"
            " ORDER BY id", (object_id, op))]


# -- CRUD ------------------------------------------------------------------

@pytest.mark.parametrize("res", RESOURCES, ids=repr)
def test_crud_and_last_editor(hrx, owner, editor, pre, res):
    body = res.create(pre)
    r = owner.post(res.url(hrx), json=body)
    assert r.status_code == 201, r.text
    obj = r.json()
    for k, v in body.items():
        if k not in ("starts_at", "dates"):
            assert obj[k] == v, (k, obj)
    assert obj["created_by"] == owner.me["id"] == obj["updated_by"]
    assert obj["created_at"].endswith("Z")
    # read-your-write, the same object from a read
    got = owner.get(res.url(hrx, obj["id"]))
    assert got.status_code == 200 and got.json() == obj
    assert obj["id"] in ids(hrx, owner, res.path)

    # the last editor
    patch = res.patch(pre)
    r = editor.patch(res.url(hrx, obj["id"]), json=patch)
    assert r.status_code == 200, r.text
    changed = r.json()
    for k, v in patch.items():
        assert changed[k] == v, (k, changed)
    assert changed["updated_by"] == editor.me["id"]
    assert changed["created_by"] == owner.me["id"]
    assert owner.get(res.url(hrx, obj["id"])).json() == changed

    # every change in audit_log, typed and with the object's id
    name = res.path[:-2] if res.path.endswith("ches") else res.path[:-1]
    name = name.replace("-", "_")
    for op in ("create", "update"):
        rows = audit(hrx, obj["id"], "%s.%s" % (name, op))
        assert [(a["outcome"], a["object_type"], a["tenant_id"]) for a in rows] \
            == [("ok", name, owner.tenant["id"])], rows

    r = editor.delete(res.url(hrx, obj["id"]))
    assert r.status_code == 204, r.text
    err(owner.get(res.url(hrx, obj["id"])), 404, "not_found")
    err(owner.delete(res.url(hrx, obj["id"])), 404, "not_found")
    assert row(hrx, res.table, obj["id"]) is None
    assert [a["outcome"] for a in audit(hrx, obj["id"], name + ".delete")] \
        == ["ok", "rejected:not_found"]


def test_list_pages_by_id(hrx, owner):
    made = [post(hrx, owner, "labels", {"name": uniq("page")})["id"] for _ in range(5)]
    seen, after = [], None
    while True:
        q = "/api/v1/labels?limit=2" + ("&after=%d" % after if after else "")
        page = owner.get(hrx.url(q)).json()
        assert len(page["items"]) <= 2
        seen += [x["id"] for x in page["items"]]
        after = page["next_after"]
        if after is None:
            break
    assert seen == sorted(seen) and set(made) <= set(seen)
    err(owner.get(hrx.url("/api/v1/labels?limit=201")), 400, "invalid_value", "limit")


# -- bad input: the field is named, nothing changes --------------------------

def bad_bodies(res, d):
    body = res.create(d)
    field, maxlen = res.text
    yield "unknown_field", dict(body, bogus=1), "unknown_field", "bogus"
    yield "wrong_type", dict(body, **{res.required: 42}), "invalid_type", res.required
    missing = dict(body)
    del missing[res.required]
    yield "missing_required", missing, "required", res.required
    yield "too_long", dict(body, **{field: "x" * (maxlen + 1)}), "invalid_length", field
    yield "not_object", [body], "invalid_type", None


@pytest.mark.parametrize("case", ["unknown_field", "wrong_type", "missing_required",
                                  "too_long", "not_object"])
@pytest.mark.parametrize("res", RESOURCES, ids=repr)
def test_bad_input_changes_nothing(hrx, owner, pre, res, case):
    body, code, field = [(b, c, f) for n, b, c, f in bad_bodies(res, pre) if n == case][0]
    before = count(hrx, res.table, owner.tenant["id"])
    r = owner.post(res.url(hrx), json=body)
    err(r, 400, code, field)
    assert count(hrx, res.table, owner.tenant["id"]) == before


@pytest.mark.parametrize("res", RESOURCES, ids=repr)
def test_bad_patch_changes_nothing(hrx, owner, pre, res):
    obj = post(hrx, owner, res.path, res.create(pre))
    before = row(hrx, res.table, obj["id"])
    field, maxlen = res.text
    err(owner.patch(res.url(hrx, obj["id"]), json={"bogus": 1}), 400, "unknown_field", "bogus")
    err(owner.patch(res.url(hrx, obj["id"]), json={field: "x" * (maxlen + 1)}),
        400, "invalid_length", field)
    if res.required != res.text[0]:
        err(owner.patch(res.url(hrx, obj["id"]), json={res.required: None}),
            400, "required", res.required)
    assert row(hrx, res.table, obj["id"]) == before


REFS = [(res, key, field) for res in RESOURCES for key, field in res.refs]


@pytest.mark.parametrize("res,key,field", REFS,
                         ids=["%s.%s" % (r.path, f) for r, _, f in REFS])
def test_missing_reference_is_404_naming_the_field(hrx, owner, pre, res, key, field):
    before = count(hrx, res.table, owner.tenant["id"])
    r = owner.post(res.url(hrx), json=res.create(dict(pre, **{key: 999999999})))
    err(r, 404, "not_found", field)
    assert count(hrx, res.table, owner.tenant["id"]) == before


UNIQUE = [r for r in RESOURCES if r.unique]


@pytest.mark.parametrize("res", UNIQUE, ids=repr)
def test_unique_names_are_per_tenant_and_case_blind(hrx, owner, pre, res):
    a = post(hrx, owner, res.path, res.create(pre))
    before = count(hrx, res.table, owner.tenant["id"])
    dup = dict(res.create(pre), **{res.unique: a[res.unique].upper()})
    err(owner.post(res.url(hrx), json=dup), 409, "conflict", res.unique)
    assert count(hrx, res.table, owner.tenant["id"]) == before
    b = post(hrx, owner, res.path, res.create(pre))
    err(owner.patch(res.url(hrx, b["id"]), json={res.unique: a[res.unique]}),
        409, "conflict", res.unique)
    # renaming to its own name is fine; another tenant may use the name
    r = owner.patch(res.url(hrx, b["id"]), json={res.unique: b[res.unique]})
    assert r.status_code == 200, r.text
    other = make_tenant(hrx, hrx.login())
    if not res.refs:
        assert other.post(res.url(hrx), json=dup).status_code == 201


@pytest.mark.parametrize("res", RESOURCES, ids=repr)
def test_managing_needs_the_permission(hrx, owner, pre, nobody, res):
    obj = post(hrx, owner, res.path, res.create(pre))
    before = row(hrx, res.table, obj["id"])
    tries = [nobody.post(res.url(hrx), json=res.create(pre))]
    if not res.edit_by_reach:       # candidates: test_candidates.py
        tries.append(nobody.patch(res.url(hrx, obj["id"]), json=res.patch(pre)))
    tries.append(nobody.delete(res.url(hrx, obj["id"])))
    for r in tries:
        e = err(r, 403, "forbidden")
        assert res.manage in e["message"]
    assert row(hrx, res.table, obj["id"]) == before


# -- roles -------------------------------------------------------------------

def test_role_permissions_are_checked(hrx, owner):
    for perms, field in ((["users.admin", "root"], "permissions[1]"),
                         (["users.admin", "users.admin"], "permissions[1]"),
                         ("users.admin", "permissions"),
                         ([1], "permissions[0]")):
        e = err(owner.post(hrx.url("/api/v1/roles"),
                           json={"name": uniq(), "permissions": perms}), 400, None, field)
        assert e["code"] in ("invalid_value", "invalid_type")
    r = owner.post(hrx.url("/api/v1/roles"), json={"name": uniq("r")})
    assert r.status_code == 201 and r.json()["permissions"] == []
    assert r.json()["builtin"] is False
    err(owner.patch(hrx.url("/api/v1/roles/%d" % r.json()["id"]),
                    json={"builtin": True}), 400, "read_only", "builtin")


def test_builtin_admin_role_is_protected(hrx):
    owner = make_tenant(hrx, hrx.login())
    admin_role = owner.me["role_id"]
    e = err(owner.patch(hrx.url("/api/v1/roles/%d" % admin_role),
                        json={"permissions": ["bulk_actions.manage"]}), 409, "builtin",
            "permissions")
    err(owner.patch(hrx.url("/api/v1/roles/%d" % admin_role), json={"name": "boss"}),
        409, "builtin", "name")
    err(owner.delete(hrx.url("/api/v1/roles/%d" % admin_role)), 409, "builtin")
    r = owner.patch(hrx.url("/api/v1/roles/%d" % admin_role), json={
        "permissions": ["users.admin", "bulk_actions.manage"]})
    assert r.status_code == 200, r.text
    assert "users.admin" in owner.get(hrx.url("/api/v1/auth/session")).json()["user"]["permissions"]
    assert e


def test_role_in_use_cannot_be_deleted_and_last_admin_is_kept(hrx):
    owner = make_tenant(hrx, hrx.login())
    role = post(hrx, owner, "roles", {"name": "boss", "permissions": ["users.admin"]})
    # the owner moves to the new role: the built-in role is now unused
    r = owner.patch(hrx.url("/api/v1/users/%d" % owner.me["id"]), json={"role_id": role["id"]})
    assert r.status_code == 200, r.text
    e = err(owner.delete(hrx.url("/api/v1/roles/%d" % role["id"])), 409, "in_use")
    assert "1 users" in e["message"]
    err(owner.patch(hrx.url("/api/v1/roles/%d" % role["id"]), json={"permissions": []}),
        409, "last_admin", "permissions")
    assert row(hrx, "roles", role["id"])["permissions"] == '["users.admin"]'
    # a role nobody has can go
    spare = post(hrx, owner, "roles", {"name": "spare"})
    assert owner.delete(hrx.url("/api/v1/roles/%d" % spare["id"])).status_code == 204


# -- master groups and users' master_group_ids -------------------------------

def test_master_groups_members_and_grants(hrx, owner, pre, nobody):
    u = post(hrx, owner, "users", {"email": email(), "name": "Member"})
    form = post(hrx, owner, "forms", BY_PATH["forms"].create(pre))
    g = post(hrx, owner, "master-groups", {
        "name": uniq("mg"), "member_ids": [u["id"]],
        "grants": [{"type": "form", "id": form["id"]},
                   {"type": "event_group", "id": pre["event_group"]}]})
    assert g["member_ids"] == [u["id"]]
    assert {(x["type"], x["id"]) for x in g["grants"]} == {
        ("form", form["id"]), ("event_group", pre["event_group"])}
    assert owner.get(hrx.url("/api/v1/users/%d" % u["id"])).json()["master_group_ids"] == [g["id"]]
    # replace the members; clear the grants
    r = owner.patch(hrx.url("/api/v1/master-groups/%d" % g["id"]),
                    json={"member_ids": [pre["user"], u["id"]], "grants": []})
    assert r.status_code == 200, r.text
    assert r.json()["member_ids"] == sorted([pre["user"], u["id"]])
    assert r.json()["grants"] == []
    # bad shapes and references name the field
    for grants, status, field in (([{"type": "planet", "id": 1}], 400, "grants[0].type"),
                                  ([{"type": "form"}], 400, "grants[0].id"),
                                  ([{"type": "form", "id": 1, "x": 2}], 400, "grants[0].x"),
                                  ([{"type": "form", "id": form["id"]}] * 2, 400, "grants[1]"),
                                  ([{"type": "template", "id": 99999999}], 404, "grants[0].id")):
        err(owner.patch(hrx.url("/api/v1/master-groups/%d" % g["id"]),
                        json={"grants": grants}), status, None, field)
    err(owner.post(hrx.url("/api/v1/master-groups"),
                   json={"name": uniq(), "member_ids": [1, 1]}), 400, "invalid_value",
        "member_ids[1]")
    # only users.admin reads master groups
    err(nobody.get(hrx.url("/api/v1/master-groups")), 403, "forbidden")
    err(nobody.get(hrx.url("/api/v1/master-groups/%d" % g["id"])), 403, "forbidden")
    # deleting the group takes its memberships with it
    assert owner.delete(hrx.url("/api/v1/master-groups/%d" % g["id"])).status_code == 204
    assert owner.get(hrx.url("/api/v1/users/%d" % u["id"])).json()["master_group_ids"] == []


def test_users_get_master_group_ids(hrx, owner, pre, nobody):
    g1 = post(hrx, owner, "master-groups", {"name": uniq("g1")})["id"]
    g2 = post(hrx, owner, "master-groups", {"name": uniq("g2")})["id"]
    u = post(hrx, owner, "users", {"email": email(), "name": "Grouped",
                                   "master_group_ids": [g2, g1]})
    assert u["master_group_ids"] == sorted([g1, g2])
    r = owner.patch(hrx.url("/api/v1/users/%d" % u["id"]), json={"master_group_ids": [g2]})
    assert r.status_code == 200 and r.json()["master_group_ids"] == [g2]
    assert owner.get(hrx.url("/api/v1/master-groups/%d" % g1)).json()["member_ids"] == []
    before = count(hrx, "users", owner.tenant["id"])
    err(owner.post(hrx.url("/api/v1/users"), json={
        "email": email(), "name": "x", "master_group_ids": [g1, 999999999]}),
        404, "not_found", "master_group_ids")
    assert count(hrx, "users", owner.tenant["id"]) == before
    err(owner.post(hrx.url("/api/v1/users"), json={
        "email": email(), "name": "x", "master_group_ids": "1"}),
        400, "invalid_type", "master_group_ids")
    err(owner.patch(hrx.url("/api/v1/users/%d" % u["id"]),
                    json={"master_group_ids": [999999999]}), 404, "not_found",
        "master_group_ids")
    assert owner.get(hrx.url("/api/v1/users/%d" % u["id"])).json()["master_group_ids"] == [g2]
    # a user cannot put itself into groups
    s = nobody
    err(s.patch(hrx.url("/api/v1/users/%d" % s.me["id"]), json={"master_group_ids": [g1]}),
        403, "forbidden", "master_group_ids")
    assert s.login_reply.json()["user"]["master_group_ids"] == []


def test_a_user_is_in_at_most_100_master_groups(hrx, owner):
    u = post(hrx, owner, "users", {"email": email(), "name": "Busy"})
    groups = [post(hrx, owner, "master-groups", {"name": uniq("many")})["id"]
              for _ in range(101)]
    err(owner.patch(hrx.url("/api/v1/users/%d" % u["id"]),
                    json={"master_group_ids": groups}), 400, "invalid_value",
        "master_group_ids")
    r = owner.patch(hrx.url("/api/v1/users/%d" % u["id"]),
                    json={"master_group_ids": groups[:100]})
    assert r.status_code == 200, r.text
    err(owner.patch(hrx.url("/api/v1/master-groups/%d" % groups[100]),
                    json={"member_ids": [u["id"]]}), 409, "too_many_groups", "member_ids")
    assert owner.get(hrx.url("/api/v1/master-groups/%d" % groups[100])).json()["member_ids"] == []


# -- events and their dates -------------------------------------------------

def test_event_dates(hrx, owner, pre):
    ev = post(hrx, owner, "events", {
        "event_group_id": pre["event_group"], "title": "Info session",
        "dates": [{"starts_at": "2027-04-01T10:00:00+09:00",
                   "ends_at": "2027-04-01T12:00:00+09:00", "capacity": 30},
                  {"starts_at": "2027-04-02T10:00:00Z", "capacity": 5}]})
    assert [d["starts_at"] for d in ev["dates"]] == ["2027-04-01T01:00:00Z", "2027-04-02T10:00:00Z"]
    assert [d["registered"] for d in ev["dates"]] == [0, 0]
    assert ev["dates"][1]["ends_at"] is None
    d1, d2 = [d["id"] for d in ev["dates"]]
    db_write(hrx, "UPDATE event_dates SET registered = 3 WHERE id = ?", (d1,))
    url = hrx.url("/api/v1/events/%d" % ev["id"])
    before = owner.get(url).json()
    assert before["dates"][0]["registered"] == 3
    # a date with registrations cannot be removed, nor its capacity cut below
    err(owner.patch(url, json={"dates": [{"id": d2, "starts_at": "2027-04-02T10:00:00Z",
                                          "capacity": 5}]}), 409, "in_use", "dates")
    err(owner.patch(url, json={"dates": [{"id": d1, "starts_at": "2027-04-01T01:00:00Z",
                                          "capacity": 2}]}), 409,
        "capacity_below_registered", "dates[0].capacity")
    err(owner.delete(url), 409, "in_use")
    assert owner.get(url).json() == before
    # keep d1 (moved), drop d2, add one
    r = owner.patch(url, json={"dates": [
        {"id": d1, "starts_at": "2027-04-03T10:00:00Z", "capacity": 3},
        {"starts_at": "2027-04-04T10:00:00Z", "capacity": 1}]})
    assert r.status_code == 200, r.text
    dates = r.json()["dates"]
    assert [(d["id"] == d1, d["capacity"], d["registered"]) for d in dates] == \
        [(True, 3, 3), (False, 1, 0)]
    assert row(hrx, "event_dates", d2) is None
    # another event's date is not this event's
    other = post(hrx, owner, "events", BY_PATH["events"].create(pre))
    err(owner.patch(url, json={"dates": [
        {"id": d1, "starts_at": "2027-04-03T10:00:00Z", "capacity": 3},
        {"id": other["dates"][0]["id"], "starts_at": "2027-04-03T10:00:00Z",
         "capacity": 9}]}), 404, "not_found", "dates[1].id")


@pytest.mark.parametrize("dates,code,field", [
    ([], "invalid_length", "dates"),
    ([{"starts_at": "2027-01-01T10:00:00Z", "capacity": 1}] * 51, "invalid_length", "dates"),
    ([{"starts_at": "2027-01-01T10:00:00Z", "capacity": 0}], "invalid_value", "dates[0].capacity"),
    ([{"starts_at": "2027-01-01T10:00:00Z"}], "required", "dates[0].capacity"),
    ([{"starts_at": "tomorrow", "capacity": 1}], "invalid_value", "dates[0].starts_at"),
    ([{"starts_at": "2027-01-01T10:00:00Z", "ends_at": "2027-01-01T09:00:00Z",
       "capacity": 1}], "invalid_value", "dates[0].ends_at"),
    ([{"starts_at": "2027-01-01T10:00:00Z", "capacity": 1, "seats": 2}],
     "unknown_field", "dates[0].seats"),
    ("2027-01-01", "invalid_type", "dates"),
])
def test_event_dates_are_checked(hrx, owner, pre, dates, code, field):
    before = count(hrx, "events", owner.tenant["id"])
    err(owner.post(hrx.url("/api/v1/events"), json={
        "event_group_id": pre["event_group"], "title": "x", "dates": dates}), 400, code, field)
    assert count(hrx, "events", owner.tenant["id"]) == before


# -- forms, saved searches, labels, agents, templates ---------------------------

@pytest.mark.parametrize("questions,code,field", [
    ([], "invalid_length", "questions"),
    ([{"key": "Bad", "label": "x", "type": "text"}], "invalid_value", "questions[0].key"),
    ([{"key": "a", "label": "x", "type": "text"}, {"key": "a", "label": "y", "type": "date"}],
     "invalid_value", "questions[1].key"),
    ([{"key": "a", "label": "x", "type": "choice"}], "required", "questions[0].choices"),
    ([{"key": "a", "label": "x", "type": "text", "choices": ["a"]}],
     "invalid_value", "questions[0].choices"),
    ([{"key": "a", "label": "x", "type": "choice", "choices": ["a", "a"]}],
     "invalid_value", "questions[0].choices[1]"),
    ([{"key": "a", "label": "x", "type": "slider"}], "invalid_value", "questions[0].type"),
    ([{"key": "a", "type": "text"}], "required", "questions[0].label"),
    ([{"key": "a", "label": "x", "type": "text", "required": "yes"}],
     "invalid_type", "questions[0].required"),
])
def test_form_questions_are_checked(hrx, owner, questions, code, field):
    before = count(hrx, "forms", owner.tenant["id"])
    err(owner.post(hrx.url("/api/v1/forms"), json={"name": "F", "questions": questions}),
        400, code, field)
    assert count(hrx, "forms", owner.tenant["id"]) == before


def test_saved_search_condition_is_an_object_of_at_most_64k(hrx, owner, pre):
    base = {"search_group_id": pre["search_group"], "name": "s"}
    err(owner.post(hrx.url("/api/v1/saved-searches"), json=dict(base, condition=[1])),
        400, "invalid_type", "condition")
    # a valid tree (at most 50 children a node) of 70 leaves of 1000 characters
    leaf = {"field": "email", "op": "contains", "value": "x" * 1000}
    big = {"any": [{"all": [leaf] * 35}, {"all": [leaf] * 35}]}
    err(owner.post(hrx.url("/api/v1/saved-searches"), json=dict(base, condition=big)),
        400, "invalid_length", "condition")
    label = post(hrx, owner, "labels", {"name": uniq("lb")})["id"]
    s = post(hrx, owner, "saved-searches", dict(base, condition={"has_label": label}))
    assert s["condition"] == {"has_label": label}


def test_label_colors_agent_emails_and_statuses(hrx, owner):
    for color in ("red", "#12345", "#12345g", "#1234567"):
        e = err(owner.post(hrx.url("/api/v1/labels"), json={"name": uniq(), "color": color}),
                400, None, "color")
        assert e["code"] in ("invalid_value", "invalid_length")
    for bad in ({"email": "no-at"}, {"email": "a@b@c"}, {"status": "asleep"},
                {"route_to_agent": "yes"}):
        body = dict({"name": "A", "email": "a@b.jp"}, **bad)
        err(owner.post(hrx.url("/api/v1/agents"), json=body), 400, None, list(bad)[0])
    a = post(hrx, owner, "agents", {"name": "A", "email": "a@b.jp"})
    assert a["status"] == "active" and a["route_to_agent"] is False
    j = post(hrx, owner, "job-openings", {"title": "QA"})
    assert j["status"] == "open" and j["description"] is None
    err(owner.patch(hrx.url("/api/v1/job-openings/%d" % j["id"]), json={"status": "paused"}),
        400, "invalid_value", "status")


def test_template_lengths(hrx, owner):
    base = {"name": uniq("t"), "subject": "s", "body_text": "b"}
    for field, n in (("subject", 256), ("body_text", 100001), ("body_html", 200001)):
        err(owner.post(hrx.url("/api/v1/templates"), json=dict(base, **{field: "x" * n})),
            400, "invalid_length", field)
    # lengths are characters, not bytes
    err(owner.post(hrx.url("/api/v1/templates"), json=dict(base, subject="あ" * 256)),
        400, "invalid_length", "subject")
    body = dict(base, subject="あ" * 255, body_text="い" * 100000, body_html="<b>x</b>")
    r = owner.post(hrx.url("/api/v1/templates"),
                   data=json.dumps(body, ensure_ascii=False).encode(),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json()["subject"] == "あ" * 255 and r.json()["body_text"] == body["body_text"]


def test_interview_needs_an_operable_candidate(hrx, owner, pre):
    r = owner.post(hrx.url("/api/v1/interviews"), json={
        "candidate_id": pre["candidate"], "starts_at": "2027-01-01T10:00:00+09:00"})
    assert r.status_code == 201, r.text
    assert r.json()["starts_at"] == "2027-01-01T01:00:00Z"
    assert r.json()["job_opening_id"] is None and r.json()["interviewer_id"] is None
    err(owner.post(hrx.url("/api/v1/interviews"), json={
        "candidate_id": pre["candidate"], "starts_at": "2027-13-01T10:00:00Z"}),
        400, "invalid_value", "starts_at")


# -- deleting what is still used ------------------------------------------------

def test_delete_in_use(hrx, owner, pre):
    sg = post(hrx, owner, "search-groups", {"name": uniq("sg")})
    post(hrx, owner, "saved-searches", dict(BY_PATH["saved-searches"].create(pre),
                                            search_group_id=sg["id"]))
    e = err(owner.delete(hrx.url("/api/v1/search-groups/%d" % sg["id"])), 409, "in_use")
    assert "1 saved searches" in e["message"]

    eg = post(hrx, owner, "event-groups", {"name": uniq("eg")})
    post(hrx, owner, "events", dict(BY_PATH["events"].create(pre), event_group_id=eg["id"]))
    err(owner.delete(hrx.url("/api/v1/event-groups/%d" % eg["id"])), 409, "in_use")

    job = post(hrx, owner, "job-openings", {"title": "Ops"})
    post(hrx, owner, "interviews", dict(BY_PATH["interviews"].create(pre),
                                        job_opening_id=job["id"]))
    err(owner.delete(hrx.url("/api/v1/job-openings/%d" % job["id"])), 409, "in_use")

    cg = post(hrx, owner, "candidate-groups", {"name": uniq("cg")})
    make_candidate(hrx, owner, cg["id"])
    err(owner.delete(hrx.url("/api/v1/candidate-groups/%d" % cg["id"])), 409, "in_use")
    for table, id in (("search_groups", sg["id"]), ("event_groups", eg["id"]),
                      ("job_openings", job["id"]), ("candidate_groups", cg["id"])):
        assert row(hrx, table, id) is not None


def test_deleting_a_granted_object_drops_its_grants(hrx, owner, pre):
    tpl = post(hrx, owner, "templates", BY_PATH["templates"].create(pre))
    g = post(hrx, owner, "master-groups", {"name": uniq("mg"),
                                           "grants": [{"type": "template", "id": tpl["id"]}]})
    assert owner.delete(hrx.url("/api/v1/templates/%d" % tpl["id"])).status_code == 204
    assert owner.get(hrx.url("/api/v1/master-groups/%d" % g["id"])).json()["grants"] == []


# -- reach through master groups ------------------------------------------------

@pytest.fixture(scope="module")
def reach(hrx):
    """A tenant with master groups A and B, users in A and in B who manage
    bulk actions and templates (not users.admin), and for each kind of
    object one granted to A, one granted to B and one without grants."""
    owner = make_tenant(hrx, hrx.login())
    ga = post(hrx, owner, "master-groups", {"name": "A"})["id"]
    gb = post(hrx, owner, "master-groups", {"name": "B"})["id"]
    role = post(hrx, owner, "roles", {"name": "manager", "permissions": [
        "bulk_actions.manage", "templates.manage"]})["id"]
    ua = make_user(hrx, owner, role_id=role, groups=[ga])
    ub = make_user(hrx, owner, role_id=role, groups=[gb])
    o = {}
    for kind, path, body in (
            ("search_group", "search-groups", lambda n: {"name": n}),
            ("event_group", "event-groups", lambda n: {"name": n}),
            ("form", "forms", lambda n: dict(BY_PATH["forms"].create({}), name=n)),
            ("template", "templates", lambda n: {"name": n, "subject": "s", "body_text": "b"}),
            ("candidate_group", "candidate-groups", lambda n: {"name": n})):
        for who in ("A", "B", "open"):
            o[kind, who] = post(hrx, owner, path, body(uniq(kind + who)))["id"]
    for who, g in (("A", ga), ("B", gb)):
        r = owner.patch(hrx.url("/api/v1/master-groups/%d" % g), json={"grants": [
            {"type": kind, "id": o[kind, who]} for kind in
            ("search_group", "event_group", "form", "template", "candidate_group")]})
        assert r.status_code == 200, r.text
    for who in ("A", "B", "open"):
        o["saved_search", who] = post(hrx, owner, "saved-searches", {
            "search_group_id": o["search_group", who], "name": "s",
            "condition": {"has_line_link": False}})["id"]
        o["event", who] = post(hrx, owner, "events", {
            "event_group_id": o["event_group", who], "title": "e",
            "dates": [{"starts_at": "2027-05-01T10:00:00Z", "capacity": 1}]})["id"]
        cand = make_candidate(hrx, owner, None if who == "open" else o["candidate_group", who])
        o["interview", who] = post(hrx, owner, "interviews", {
            "candidate_id": cand, "starts_at": "2027-05-01T10:00:00Z"})["id"]
    return {"owner": owner, "A": ua, "B": ub, "o": o, "ga": ga, "gb": gb}


REACHED = [("search_group", "search-groups"), ("event_group", "event-groups"),
           ("form", "forms"), ("template", "templates"),
           ("candidate_group", "candidate-groups"), ("saved_search", "saved-searches"),
           ("event", "events"), ("interview", "interviews")]


@pytest.mark.parametrize("kind,path", REACHED, ids=[p for _, p in REACHED])
def test_objects_outside_the_users_groups_are_invisible(hrx, reach, kind, path):
    o, ua = reach["o"], reach["A"]
    listed = ids(hrx, ua, path)
    assert o[kind, "A"] in listed and o[kind, "open"] in listed
    assert o[kind, "B"] not in listed
    url = hrx.url("/api/v1/%s/%d" % (path, o[kind, "B"]))
    err(ua.get(url), 404, "not_found")
    assert ua.get(hrx.url("/api/v1/%s/%d" % (path, o[kind, "A"]))).status_code == 200
    # users.admin sees everything
    assert {o[kind, w] for w in ("A", "B", "open")} <= set(ids(hrx, reach["owner"], path))


@pytest.mark.parametrize("kind,path", [(k, p) for k, p in REACHED
                                       if p not in ("candidate-groups", "interviews")],
                         ids=[p for k, p in REACHED if p not in ("candidate-groups", "interviews")])
def test_objects_outside_the_users_groups_cannot_be_changed(hrx, reach, kind, path):
    o, ua = reach["o"], reach["A"]
    table = BY_PATH[path].table
    before = row(hrx, table, o[kind, "B"])
    url = hrx.url("/api/v1/%s/%d" % (path, o[kind, "B"]))
    err(ua.patch(url, json={"name": "mine"} if "name" in before else {"title": "mine"}),
        404, "not_found", "id")
    err(ua.delete(url), 404, "not_found", "id")
    assert row(hrx, table, o[kind, "B"]) == before


def test_referencing_an_unreached_object_is_403_naming_the_field(hrx, reach):
    o, ua = reach["o"], reach["A"]
    before = count(hrx, "saved_searches", reach["owner"].tenant["id"])
    err(ua.post(hrx.url("/api/v1/saved-searches"), json={
        "search_group_id": o["search_group", "B"], "name": "x",
        "condition": {"has_line_link": False}}),
        403, "forbidden", "search_group_id")
    assert count(hrx, "saved_searches", reach["owner"].tenant["id"]) == before
    err(ua.patch(hrx.url("/api/v1/saved-searches/%d" % o["saved_search", "A"]),
                 json={"search_group_id": o["search_group", "B"]}),
        403, "forbidden", "search_group_id")
    err(ua.post(hrx.url("/api/v1/events"), json={
        "event_group_id": o["event_group", "B"], "title": "x",
        "dates": [{"starts_at": "2027-01-01T10:00:00Z", "capacity": 1}]}),
        403, "forbidden", "event_group_id")
    r = ua.post(hrx.url("/api/v1/saved-searches"), json={
        "search_group_id": o["search_group", "open"], "name": "ok",
        "condition": {"has_line_link": False}})
    assert r.status_code == 201, r.text


def test_reach_is_rechecked_when_groups_change(hrx, reach):
    """A grant or a membership that goes away takes the reach with it, for
    reads and for the next command alike."""
    owner, ub, o = reach["owner"], reach["B"], reach["o"]
    g = post(hrx, owner, "master-groups", {"name": uniq("tmp"),
                                           "member_ids": [ub.me["id"]]})
    sg = post(hrx, owner, "search-groups", {"name": uniq("sg")})["id"]
    r = owner.patch(hrx.url("/api/v1/master-groups/%d" % g["id"]),
                    json={"grants": [{"type": "search_group", "id": sg}]})
    assert r.status_code == 200
    assert sg in ids(hrx, ub, "search-groups")
    assert sg not in ids(hrx, reach["A"], "search-groups")
    r = owner.patch(hrx.url("/api/v1/master-groups/%d" % g["id"]), json={"member_ids": []})
    assert r.status_code == 200
    assert sg not in ids(hrx, ub, "search-groups")
    err(ub.post(hrx.url("/api/v1/saved-searches"), json={
        "search_group_id": sg, "name": "x",
        "condition": {"has_line_link": False}}), 403, "forbidden",
        "search_group_id")
    assert o
