"""Candidates (docs/data-model.md, "Candidates"): CRUD through the command
path with every field and its rules, bad input naming the field with
nothing changed, labels replaced as a whole, route and agent kept
consistent, the operate rule for reads and edits, and the bulk import
(CSV and JSON, all or nothing, 100 000 rows in one request, exactly once
across a scheduler crash).  Tenant isolation of candidates is in
test_isolation.py (candidates are in resources.RESOURCES)."""

import json
import os
import socket
import threading
import time

import pytest
import requests

from resources import (uniq, email, make_tenant, make_user, make_candidate,
                       post, count, row, err, ids)

CSV = {"Content-Type": "text/csv; charset=utf-8"}


@pytest.fixture(scope="module")
def w(hrx):
    """A tenant with labels, an agent, a job opening and candidate groups:
    g_open (no grant: everyone reaches it), g_mine (granted to master group
    M) and g_hidden (granted to master group O).  Users: member (in M, may
    not operate on other candidates), op (candidates.operate_other, in M,
    not users.admin) and nobody (no permission, in no group)."""
    owner = make_tenant(hrx, hrx.login())
    d = {"owner": owner}
    for k in ("l1", "l2", "l3"):
        d[k] = post(hrx, owner, "labels", {"name": uniq(k)})["id"]
    d["agent"] = post(hrx, owner, "agents", {"name": "Agency", "email": email("ag")})["id"]
    d["agent2"] = post(hrx, owner, "agents", {"name": "Agency 2", "email": email("ag")})["id"]
    d["job"] = post(hrx, owner, "job-openings", {"title": "Engineer"})["id"]
    for k in ("g_open", "g_mine", "g_hidden"):
        d[k] = post(hrx, owner, "candidate-groups", {"name": uniq(k)})["id"]
    m = post(hrx, owner, "master-groups", {"name": uniq("M"), "grants": [
        {"type": "candidate_group", "id": d["g_mine"]}]})["id"]
    post(hrx, owner, "master-groups", {"name": uniq("O"), "grants": [
        {"type": "candidate_group", "id": d["g_hidden"]}]})
    member_role = post(hrx, owner, "roles", {"name": uniq("member"),
                                             "permissions": ["bulk_actions.manage"]})["id"]
    op_role = post(hrx, owner, "roles", {"name": uniq("op"), "permissions": [
        "candidates.operate_other"]})["id"]
    none_role = post(hrx, owner, "roles", {"name": uniq("none")})["id"]
    d["member"] = make_user(hrx, owner, role_id=member_role, groups=[m])
    d["op"] = make_user(hrx, owner, role_id=op_role, groups=[m])
    d["nobody"] = make_user(hrx, owner, role_id=none_role)
    d["tid"] = owner.tenant["id"]
    return d


def url(hrx, id=None):
    return hrx.url("/api/v1/candidates" + ("" if id is None else "/%d" % id))


def spool_files(hrx):
    d = hrx.path("tmp", "import")
    return sorted(os.listdir(d)) if os.path.isdir(d) else []


def full_body(w):
    return {
        "family_name": "山田", "given_name": "花子",
        "family_name_kana": "ヤマダ", "given_name_kana": "ハナコ",
        "email": "hanako@example.jp", "phone": "+819012345678", "country": "JP",
        "graduation_year": 2027, "school": "東京大学", "status": "interview",
        "label_ids": [w["l2"], w["l1"]], "candidate_group_id": w["g_open"],
        "owner_id": w["member"].me["id"], "route": "agent", "agent_id": w["agent"],
        "job_opening_id": w["job"],
        "custom_fields": {"score": 82, "ratio": 0.5, "lang": "ja", "remote": True},
        "whatsapp_number": "+33612345678", "opted_out": True,
    }


# -- CRUD ---------------------------------------------------------------------

def test_every_field_round_trips(hrx, w):
    owner = w["owner"]
    body = full_body(w)
    r = owner.post(url(hrx), data=json.dumps(body, ensure_ascii=False).encode(),
                   headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    c = r.json()
    for k, v in body.items():
        if k == "label_ids":
            assert c[k] == sorted(v)
        else:
            assert c[k] == v, k
    assert c["line_user_id"] is None and c["line_linked_at"] is None
    assert c["created_by"] == c["updated_by"] == owner.me["id"]
    assert c["created_at"].endswith("Z") and c["updated_at"] == c["created_at"]
    assert owner.get(url(hrx, c["id"])).json() == c
    assert c["id"] in ids(hrx, owner, "candidates")
    db = row(hrx, "candidates", c["id"])
    assert db["tenant_id"] == w["tid"] and json.loads(db["custom_fields"]) == body["custom_fields"]


def test_defaults(hrx, w):
    c = post(hrx, w["owner"], "candidates", {"family_name": "Sato"})
    assert (c["status"], c["route"], c["opted_out"], c["custom_fields"], c["label_ids"]) \
        == ("applied", "direct", False, {}, [])
    for k in ("given_name", "email", "phone", "country", "graduation_year", "school",
              "candidate_group_id", "owner_id", "agent_id", "job_opening_id",
              "whatsapp_number", "family_name_kana", "given_name_kana"):
        assert c[k] is None, k


def test_patch_clears_and_sets_and_records_the_editor(hrx, w):
    owner, op = w["owner"], w["op"]
    c = post(hrx, owner, "candidates", full_body(w))
    r = op.patch(url(hrx, c["id"]), json={
        "school": None, "email": None, "status": "offer", "custom_fields": None,
        "route": "direct", "agent_id": None, "graduation_year": 2028})
    assert r.status_code == 200, r.text
    p = r.json()
    assert (p["school"], p["email"], p["status"], p["custom_fields"], p["route"],
            p["agent_id"], p["graduation_year"]) == (None, None, "offer", {}, "direct",
                                                     None, 2028)
    assert p["family_name"] == "山田" and p["label_ids"] == sorted([w["l1"], w["l2"]])
    assert p["updated_by"] == op.me["id"] and p["created_by"] == owner.me["id"]
    # custom fields are replaced as a whole
    r = op.patch(url(hrx, c["id"]), json={"custom_fields": {"a": 1}})
    assert r.json()["custom_fields"] == {"a": 1}
    r = op.patch(url(hrx, c["id"]), json={"custom_fields": {"b": "x"}})
    assert r.json()["custom_fields"] == {"b": "x"}


def test_delete(hrx, w):
    owner = w["owner"]
    c = post(hrx, owner, "candidates", full_body(w))
    iv = post(hrx, owner, "interviews", {"candidate_id": c["id"],
                                         "starts_at": "2027-01-01T10:00:00Z"})
    assert owner.delete(url(hrx, c["id"])).status_code == 204
    err(owner.get(url(hrx, c["id"])), 404, "not_found")
    assert row(hrx, "candidates", c["id"]) is None
    assert row(hrx, "interviews", iv["id"]) is None       # its interviews go too
    with hrx.db() as con:
        assert con.execute("SELECT count(*) FROM candidate_labels WHERE candidate_id = ?",
                           (c["id"],)).fetchone()[0] == 0
    err(owner.delete(url(hrx, c["id"])), 404, "not_found", "id")


# -- bad input: the field is named, nothing changes ------------------------------

BAD = [
    ({"family_name": ""}, "invalid_length", "family_name"),
    ({"family_name": "x" * 101}, "invalid_length", "family_name"),
    ({"family_name": 42}, "invalid_type", "family_name"),
    ({"given_name": "x" * 101}, "invalid_length", "given_name"),
    ({"family_name_kana": "ア" * 101}, "invalid_length", "family_name_kana"),
    ({"given_name_kana": 1}, "invalid_type", "given_name_kana"),
    ({"email": "no-at"}, "invalid_value", "email"),
    ({"email": "a@b@example.jp"}, "invalid_value", "email"),
    ({"email": "a b@example.jp"}, "invalid_value", "email"),
    ({"email": "x" * 250 + "@b.jp"}, "invalid_length", "email"),
    ({"phone": "09012345678"}, "invalid_value", "phone"),
    ({"phone": "+0901234567"}, "invalid_value", "phone"),
    ({"phone": "+81-90-1234-5678"}, "invalid_value", "phone"),
    ({"phone": "+12345"}, "invalid_value", "phone"),
    ({"phone": 819012345678}, "invalid_type", "phone"),
    ({"country": "jp"}, "invalid_value", "country"),
    ({"country": "XX"}, "invalid_value", "country"),
    ({"country": "JPN"}, "invalid_length", "country"),
    ({"graduation_year": 1949}, "invalid_value", "graduation_year"),
    ({"graduation_year": 2101}, "invalid_value", "graduation_year"),
    ({"graduation_year": "2027"}, "invalid_type", "graduation_year"),
    ({"graduation_year": 2027.5}, "invalid_type", "graduation_year"),
    ({"school": "x" * 201}, "invalid_length", "school"),
    ({"status": "gone"}, "invalid_value", "status"),
    ({"label_ids": "1"}, "invalid_type", "label_ids"),
    ({"label_ids": [0]}, "invalid_type", "label_ids[0]"),
    ({"label_ids": [5, 5]}, "invalid_value", "label_ids[1]"),
    ({"label_ids": list(range(1, 102))}, "invalid_length", "label_ids"),
    ({"candidate_group_id": "1"}, "invalid_type", "candidate_group_id"),
    ({"candidate_group_id": 0}, "invalid_value", "candidate_group_id"),
    ({"owner_id": -3}, "invalid_value", "owner_id"),
    ({"route": "walk-in"}, "invalid_value", "route"),
    ({"route": "agent"}, "required", "agent_id"),
    ({"route": "direct", "agent_id": 1}, "invalid_value", "agent_id"),
    ({"job_opening_id": True}, "invalid_type", "job_opening_id"),
    ({"custom_fields": []}, "invalid_type", "custom_fields"),
    ({"custom_fields": {"Bad": 1}}, "invalid_value", "custom_fields.Bad"),
    ({"custom_fields": {"a": None}}, "invalid_type", "custom_fields.a"),
    ({"custom_fields": {"a": {"b": 1}}}, "invalid_type", "custom_fields.a"),
    ({"custom_fields": {"a": "x" * 1001}}, "invalid_length", "custom_fields.a"),
    ({"custom_fields": {"k%d" % i: i for i in range(51)}}, "invalid_length",
     "custom_fields"),
    ({"whatsapp_number": "+81 90 1234 5678"}, "invalid_value", "whatsapp_number"),
    ({"opted_out": "yes"}, "invalid_type", "opted_out"),
    ({"line_user_id": "U" + "0" * 32}, "read_only", "line_user_id"),
    ({"line_linked_at": "2027-01-01T00:00:00Z"}, "read_only", "line_linked_at"),
    ({"colour": "red"}, "unknown_field", "colour"),
    ({"id": 5}, "unknown_field", "id"),
]


@pytest.mark.parametrize("bad,code,field", BAD, ids=["%s-%s" % (f, c) for _, c, f in BAD])
def test_bad_field_is_named_and_nothing_changes(hrx, w, bad, code, field):
    owner = w["owner"]
    before = count(hrx, "candidates", w["tid"])
    err(owner.post(url(hrx), json=dict({"family_name": "Yamada"}, **bad)), 400, code, field)
    assert count(hrx, "candidates", w["tid"]) == before
    # the same on a PATCH (the route rule: an agent candidate stays one)
    c = make_candidate(hrx, owner)
    old = row(hrx, "candidates", c)
    if bad == {"route": "agent"}:
        bad = {"route": "agent", "agent_id": None}
    err(owner.patch(url(hrx, c), json=bad), 400, code, field)
    assert row(hrx, "candidates", c) == old


def test_required_and_malformed(hrx, w):
    owner = w["owner"]
    before = count(hrx, "candidates", w["tid"])
    err(owner.post(url(hrx), json={"given_name": "x"}), 400, "required", "family_name")
    err(owner.post(url(hrx), json={"family_name": None}), 400, "required", "family_name")
    err(owner.post(url(hrx), data="{", headers={"Content-Type": "application/json"}),
        400, "malformed_json")
    err(owner.post(url(hrx), data="x", headers={"Content-Type": "text/plain"}),
        415, "unsupported_media_type")
    c = make_candidate(hrx, owner)
    err(owner.patch(url(hrx, c), json={"family_name": None}), 400, "required", "family_name")
    assert count(hrx, "candidates", w["tid"]) == before + 1


REFS = [("label_ids", lambda w: [w["l1"], 999999999]),
        ("candidate_group_id", lambda w: 999999999),
        ("owner_id", lambda w: 999999999),
        ("job_opening_id", lambda w: 999999999)]


@pytest.mark.parametrize("field,value", REFS, ids=[f for f, _ in REFS])
def test_missing_reference_is_404_naming_it(hrx, w, field, value):
    owner = w["owner"]
    before = count(hrx, "candidates", w["tid"])
    err(owner.post(url(hrx), json={"family_name": "x", field: value(w)}), 404,
        "not_found", field)
    assert count(hrx, "candidates", w["tid"]) == before
    c = make_candidate(hrx, owner)
    old = row(hrx, "candidates", c)
    err(owner.patch(url(hrx, c), json={field: value(w)}), 404, "not_found", field)
    assert row(hrx, "candidates", c) == old
    err(owner.post(url(hrx), json={"family_name": "x", "route": "agent",
                                   "agent_id": 999999999}), 404, "not_found", "agent_id")


def test_owner_is_a_user_of_the_tenant(hrx, w):
    other = make_tenant(hrx, hrx.login())
    err(w["owner"].post(url(hrx), json={"family_name": "x", "owner_id": other.me["id"]}),
        404, "not_found", "owner_id")


def test_labels_are_replaced_as_a_whole(hrx, w):
    owner = w["owner"]
    c = post(hrx, owner, "candidates", {"family_name": "L", "label_ids": [w["l1"], w["l2"]]})
    with hrx.db() as con:
        at = dict(con.execute("SELECT label_id, labeled_at FROM candidate_labels"
                              " WHERE candidate_id = ?", (c["id"],)).fetchall())
    time.sleep(0.01)
    r = owner.patch(url(hrx, c["id"]), json={"label_ids": [w["l3"], w["l2"]]})
    assert r.status_code == 200 and r.json()["label_ids"] == sorted([w["l2"], w["l3"]])
    with hrx.db() as con:
        now = dict(con.execute("SELECT label_id, labeled_at FROM candidate_labels"
                               " WHERE candidate_id = ?", (c["id"],)).fetchall())
    assert now[w["l2"]] == at[w["l2"]]          # kept, with its time
    assert now[w["l3"]] > at[w["l2"]]
    # other members leave the labels alone; [] and null clear them
    assert owner.patch(url(hrx, c["id"]), json={"school": "x"}).json()["label_ids"] \
        == sorted([w["l2"], w["l3"]])
    assert owner.patch(url(hrx, c["id"]), json={"label_ids": []}).json()["label_ids"] == []
    owner.patch(url(hrx, c["id"]), json={"label_ids": [w["l1"]]})
    assert owner.patch(url(hrx, c["id"]), json={"label_ids": None}).json()["label_ids"] == []
    # a label that is deleted leaves its candidates
    lb = post(hrx, owner, "labels", {"name": uniq("tmp")})["id"]
    owner.patch(url(hrx, c["id"]), json={"label_ids": [lb, w["l1"]]})
    assert owner.delete(hrx.url("/api/v1/labels/%d" % lb)).status_code == 204
    assert owner.get(url(hrx, c["id"])).json()["label_ids"] == [w["l1"]]


def test_route_and_agent_stay_consistent(hrx, w):
    owner = w["owner"]
    c = make_candidate(hrx, owner)
    u = url(hrx, c)
    old = row(hrx, "candidates", c)
    err(owner.patch(u, json={"route": "agent"}), 400, "required", "agent_id")
    err(owner.patch(u, json={"agent_id": w["agent"]}), 400, "invalid_value", "agent_id")
    assert row(hrx, "candidates", c) == old
    r = owner.patch(u, json={"route": "agent", "agent_id": w["agent"]})
    assert r.status_code == 200 and (r.json()["route"], r.json()["agent_id"]) == \
        ("agent", w["agent"])
    assert owner.patch(u, json={"agent_id": w["agent2"]}).json()["agent_id"] == w["agent2"]
    old = row(hrx, "candidates", c)
    err(owner.patch(u, json={"agent_id": None}), 400, "required", "agent_id")
    err(owner.patch(u, json={"route": "direct"}), 400, "invalid_value", "agent_id")
    err(owner.patch(u, json={"route": None}), 400, "invalid_value", "agent_id")
    assert row(hrx, "candidates", c) == old
    r = owner.patch(u, json={"route": "direct", "agent_id": None})
    assert (r.json()["route"], r.json()["agent_id"]) == ("direct", None)
    # an agent with candidates cannot be deleted
    owner.patch(u, json={"route": "agent", "agent_id": w["agent2"]})
    err(owner.delete(hrx.url("/api/v1/agents/%d" % w["agent2"])), 409, "in_use")


# -- who may do what ----------------------------------------------------------------

def test_create_and_delete_need_operate_other(hrx, w):
    member, nobody, owner = w["member"], w["nobody"], w["owner"]
    c = make_candidate(hrx, owner)
    before = row(hrx, "candidates", c)
    n = count(hrx, "candidates", w["tid"])
    for s in (member, nobody):
        e = err(s.post(url(hrx), json={"family_name": "x"}), 403, "forbidden")
        assert "candidates.operate_other" in e["message"]
        e = err(s.delete(url(hrx, c)), 403, "forbidden")
        assert "candidates.operate_other" in e["message"]
    assert count(hrx, "candidates", w["tid"]) == n and row(hrx, "candidates", c) == before


def test_operate_rule(hrx, w):
    owner, member, op = w["owner"], w["member"], w["op"]
    hidden = make_candidate(hrx, owner, w["g_hidden"])
    mine = make_candidate(hrx, owner, w["g_mine"])
    free = make_candidate(hrx, owner)
    opened = make_candidate(hrx, owner, w["g_open"])
    # member: no candidates.operate_other; in M, which reaches g_mine only
    listed = ids(hrx, member, "candidates")
    assert {mine, free, opened} <= set(listed) and hidden not in listed
    err(member.get(url(hrx, hidden)), 404, "not_found")
    before = row(hrx, "candidates", hidden)
    err(member.patch(url(hrx, hidden), json={"school": "x"}), 404, "not_found", "id")
    assert row(hrx, "candidates", hidden) == before
    # edits what it operates on (no manage permission needed)
    for c in (mine, free, opened):
        r = member.patch(url(hrx, c), json={"school": "Edited"})
        assert r.status_code == 200 and r.json()["updated_by"] == member.me["id"], r.text
    # may move one into a group it reaches, not into one it does not
    err(member.patch(url(hrx, free), json={"candidate_group_id": w["g_hidden"]}),
        403, "forbidden", "candidate_group_id")
    assert member.patch(url(hrx, free), json={"candidate_group_id": w["g_mine"]}) \
        .status_code == 200
    # op: candidates.operate_other sees and changes every candidate
    assert hidden in ids(hrx, op, "candidates")
    assert op.get(url(hrx, hidden)).status_code == 200
    assert op.patch(url(hrx, hidden), json={"school": "by op"}).status_code == 200
    # but creating one in a group it does not reach is refused, naming it
    n = count(hrx, "candidates", w["tid"])
    err(op.post(url(hrx), json={"family_name": "x", "candidate_group_id": w["g_hidden"]}),
        403, "forbidden", "candidate_group_id")
    assert count(hrx, "candidates", w["tid"]) == n
    assert op.post(url(hrx), json={"family_name": "x", "candidate_group_id": w["g_mine"]}) \
        .status_code == 201
    assert op.delete(url(hrx, hidden)).status_code == 204


def test_reach_changes_take_effect_at_once(hrx, w):
    owner, member = w["owner"], w["member"]
    g = post(hrx, owner, "candidate-groups", {"name": uniq("late")})["id"]
    c = make_candidate(hrx, owner, g)
    assert c in ids(hrx, member, "candidates")          # no grant: open to all
    post(hrx, owner, "master-groups", {"name": uniq("X"), "grants": [
        {"type": "candidate_group", "id": g}]})
    assert c not in ids(hrx, member, "candidates")
    err(member.patch(url(hrx, c), json={"school": "x"}), 404, "not_found", "id")


# -- import ---------------------------------------------------------------------------

def imp(hrx, sess, body, ctype="text/csv; charset=utf-8"):
    if isinstance(body, str):
        body = body.encode()
    return sess.post(hrx.url("/api/v1/candidates/import"), data=body,
                     headers={"Content-Type": ctype}, timeout=120)


def imported(hrx, sess, r, n):
    assert r.status_code == 201, r.text
    j = r.json()
    assert j["imported"] == n and j["last_id"] - j["first_id"] == n - 1, j
    return [sess.get(url(hrx, i)).json() for i in range(j["first_id"], j["last_id"] + 1)]


def test_import_csv(hrx, w):
    owner = w["owner"]
    before = count(hrx, "candidates", w["tid"])
    csv = ("\ufeff" "family_name,given_name,email,school,label_ids,graduation_year,"
           "opted_out,route,agent_id,custom.score,custom.zip,custom.note,phone\r\n"
           "山田,花子,hanako@example.jp,\"Tokyo University, Faculty of Law\",%d;%d,"
           "2027,true,agent,%d,82,0123,\"line one\nline two\",+819012345678\r\n"
           "\"O\"\"Neil\",Tom,,,,,,,,,,,\r\n"
           "\r\n"
           "佐藤,太郎,taro@example.jp,京都大学,%d,2026,0,direct,,-1.5,,\"say \"\"hi\"\"\",\r\n"
           % (w["l1"], w["l2"], w["agent"], w["l3"]))
    rows = imported(hrx, owner, imp(hrx, owner, csv), 3)
    a, b, c = rows
    assert (a["family_name"], a["given_name"], a["school"], a["label_ids"],
            a["graduation_year"], a["opted_out"], a["route"], a["agent_id"],
            a["phone"]) == ("山田", "花子", "Tokyo University, Faculty of Law",
                            sorted([w["l1"], w["l2"]]), 2027, True, "agent",
                            w["agent"], "+819012345678")
    assert a["custom_fields"] == {"score": 82, "zip": "0123", "note": "line one\nline two"}
    assert (b["family_name"], b["given_name"], b["email"], b["custom_fields"],
            b["label_ids"], b["status"]) == ('O"Neil', "Tom", None, {}, [], "applied")
    assert c["custom_fields"] == {"score": -1.5, "note": 'say "hi"'}
    assert all(x["created_by"] == owner.me["id"] for x in rows)
    assert count(hrx, "candidates", w["tid"]) == before + 3
    assert spool_files(hrx) == []
    with hrx.db() as con:
        a_ = con.execute("SELECT outcome, object_type FROM audit_log WHERE op ="
                         " 'candidate.import' AND tenant_id = ? ORDER BY id DESC",
                         (w["tid"],)).fetchone()
    assert tuple(a_) == ("ok", "candidate")


def test_import_json(hrx, w):
    owner = w["owner"]
    body = {"candidates": [
        {"family_name": "鈴木", "given_name": "一郎", "label_ids": [w["l3"]],
         "custom_fields": {"score": 9.5, "ok": False}, "country": "JP"},
        {"family_name": "Brown", "route": "agent", "agent_id": w["agent"],
         "job_opening_id": w["job"], "owner_id": w["member"].me["id"]}]}
    rows = imported(hrx, owner, imp(hrx, owner, json.dumps(body, ensure_ascii=False),
                                    "application/json"), 2)
    assert (rows[0]["family_name"], rows[0]["label_ids"], rows[0]["custom_fields"],
            rows[0]["country"]) == ("鈴木", [w["l3"]], {"score": 9.5, "ok": False}, "JP")
    assert (rows[1]["agent_id"], rows[1]["job_opening_id"], rows[1]["owner_id"]) == \
        (w["agent"], w["job"], w["member"].me["id"])


def test_import_bad_row_in_the_middle_imports_nothing(hrx, w):
    owner = w["owner"]
    before = count(hrx, "candidates", w["tid"])
    lines = ["family_name,email,custom.score"]
    lines += ["Row%d,r%d@example.jp,%d" % (i, i, i) for i in range(1, 50)]
    lines[25] = "Row25,not-an-email,25"
    r = imp(hrx, owner, "\n".join(lines) + "\n")
    e = err(r, 400, "invalid_rows")
    assert e["rows"] == [{"row": 25, "field": "email", "code": "invalid_value",
                          "message": e["rows"][0]["message"]}]
    assert e["total_errors"] == 1 and "email" in e["rows"][0]["message"]
    assert count(hrx, "candidates", w["tid"]) == before
    assert spool_files(hrx) == []
    # JSON: the row's index from 1, the field as the API names it
    body = {"candidates": [{"family_name": "a"}, {"family_name": "b",
                                                  "custom_fields": {"Bad": 1}},
                           {"family_name": "c"}, 7]}
    e = err(imp(hrx, owner, json.dumps(body), "application/json"), 400, "invalid_rows")
    assert [(x["row"], x["field"], x["code"]) for x in e["rows"]] == [
        (2, "custom_fields.Bad", "invalid_value"), (4, None, "invalid_type")]
    assert count(hrx, "candidates", w["tid"]) == before


def test_import_lists_the_first_100_bad_rows(hrx, w):
    owner = w["owner"]
    before = count(hrx, "candidates", w["tid"])
    lines = ["family_name,graduation_year,custom.k"]
    for i in range(1, 301):
        lines.append("R%d,%s,%s" % (i, "1900" if i % 2 else "2027",
                                   "x" if i != 300 else "y"))
    lines.append("R301,2027,\"%s\"" % ("z" * 1001))
    e = err(imp(hrx, owner, "\n".join(lines)), 400, "invalid_rows")
    assert e["total_errors"] == 151
    assert len(e["rows"]) == 100
    assert [x["row"] for x in e["rows"]] == list(range(1, 200, 2))
    assert {x["field"] for x in e["rows"]} == {"graduation_year"}
    assert count(hrx, "candidates", w["tid"]) == before


def test_import_checks_references_and_reach(hrx, w):
    owner, op = w["owner"], w["op"]
    before = count(hrx, "candidates", w["tid"])
    other = make_tenant(hrx, hrx.login())
    their_label = post(hrx, other, "labels", {"name": uniq("theirs")})["id"]
    csv = ("family_name,label_ids,owner_id,candidate_group_id\n"
           "A,%d,,\nB,%d,,\nC,,999999999,\nD,,,%d\nE,,,%d\n"
           % (w["l1"], their_label, w["g_hidden"], w["g_mine"]))
    e = err(imp(hrx, op, csv), 400, "invalid_rows")
    assert [(x["row"], x["field"], x["code"]) for x in e["rows"]] == [
        (2, "label_ids", "not_found"), (3, "owner_id", "not_found"),
        (4, "candidate_group_id", "forbidden")]
    assert count(hrx, "candidates", w["tid"]) == before
    # the owner (users.admin) reaches every group
    e = err(imp(hrx, owner, csv), 400, "invalid_rows")
    assert [x["row"] for x in e["rows"]] == [2, 3]


@pytest.mark.parametrize("body,ctype,status,code,field", [
    ("family_name,colour\nA,red\n", "text/csv", 400, "unknown_field", "colour"),
    ("family_name,line_user_id\nA,U1\n", "text/csv", 400, "read_only", "line_user_id"),
    ("given_name\nA\n", "text/csv", 400, "required", "family_name"),
    ("family_name\n\"A\n", "text/csv", 400, "malformed_csv", None),
    ("family_name\n", "text/csv", 400, "invalid_length", None),
    ("", "text/csv", 400, "invalid_length", None),
    ("family_name\nA\n", "text/csv; charset=shift_jis", 415, "unsupported_media_type",
     None),
    ("family_name\nA\n", "text/plain", 415, "unsupported_media_type", None),
    ('{"rows": []}', "application/json", 400, "unknown_field", "rows"),
    ('{"candidates": [{"family_name": "A"}', "application/json", 400,
     "malformed_json", None),
    ('[{"family_name": "A"}]', "application/json", 400, "invalid_type", None),
], ids=["unknown-column", "read-only-column", "no-family-name", "open-quote",
        "header-only", "empty", "charset", "text-plain", "unknown-member",
        "truncated-json", "bare-array"])
def test_import_refused_as_a_whole(hrx, w, body, ctype, status, code, field):
    owner = w["owner"]
    before = count(hrx, "candidates", w["tid"])
    err(imp(hrx, owner, body, ctype), status, code, field)
    assert count(hrx, "candidates", w["tid"]) == before
    assert spool_files(hrx) == []


def test_import_too_many_rows(hrx, w):
    owner = w["owner"]
    before = count(hrx, "candidates", w["tid"])
    body = "family_name\n" + "x\n" * 100001
    err(imp(hrx, owner, body), 400, "too_many_rows")
    assert count(hrx, "candidates", w["tid"]) == before


def test_import_needs_the_permission_before_the_body_is_read(hrx, w):
    body = "family_name\nA\n"
    e = err(imp(hrx, w["member"], body), 403, "forbidden")
    assert "candidates.operate_other" in e["message"]
    err(requests.post(hrx.url("/api/v1/candidates/import"), data=body, headers=CSV),
        401, "unauthenticated")
    # a large body is refused without being read
    r = w["member"].post(hrx.url("/api/v1/candidates/import"),
                         data=b"family_name\n" + b"x\n" * 1000000, headers=CSV)
    err(r, 403, "forbidden")
    r = requests.get(hrx.url("/api/v1/candidates/import"))
    assert r.status_code == 405 and r.headers["Allow"] == "POST"


def test_import_client_gone_leaves_nothing_behind(hrx):
    """The client hangs up while its rows are being read on the thread
    pool: the request is finished when the task is, and the spool file is
    removed (or, if the command went out first, imported and removed)."""
    owner = make_tenant(hrx, hrx.login())
    tok = owner.post(hrx.url("/api/v1/tokens"), json={"name": "import"}).json()["token"]
    n = 50000
    body = ("family_name\n" + "x\n" * n).encode()
    for _ in range(3):
        c = socket.create_connection(("127.0.0.1", hrx.port))
        c.sendall(b"POST /api/v1/candidates/import HTTP/1.1\r\nHost: x\r\n"
                  b"Authorization: Bearer " + tok.encode() + b"\r\n"
                  b"Content-Type: text/csv\r\nContent-Length: %d\r\n\r\n" % len(body)
                  + body)
        c.close()
    # three imports of 50 000 rows, sanitized on a loaded machine, can take
    # a while (longer since candidates feed the trigram index, migration
    # 5); a file left behind would stay for an hour (the sweep)
    # empty for a whole second: a later connection's file may not exist
    # yet when an earlier one's is already gone
    deadline = time.time() + 180
    empty_since = None
    while time.time() < deadline:
        if spool_files(hrx):
            empty_since = None
        elif empty_since is None:
            empty_since = time.time()
        elif time.time() - empty_since >= 1.0:
            break
        time.sleep(0.1)
    assert spool_files(hrx) == []
    assert count(hrx, "candidates", owner.tenant["id"]) % n == 0
    # the worker still answers
    r = imp(hrx, owner, "family_name\nstill here\n")
    assert r.status_code == 201, r.text


def test_import_body_limit(make_hrx):
    h = make_hrx(extra_conf="location = /api/v1/candidates/import "
                            "{ hrx_api; hrx_import_body_limit 1k; }")
    h.start()
    s = h.login()
    err(s.post(h.url("/api/v1/candidates/import"), data="family_name\n" + "x\n" * 600,
               headers=CSV), 413, "body_too_large")

    def chunks():
        yield b"family_name\n"
        for _ in range(600):
            yield b"x\n"
    err(s.post(h.url("/api/v1/candidates/import"), data=chunks(), headers=CSV),
        413, "body_too_large")
    r = s.post(h.url("/api/v1/candidates/import"), data="family_name\n" + "x\n" * 400,
               headers=CSV)
    assert r.status_code == 201 and r.json()["imported"] == 400, r.text
    # the other routes keep hrx_body_limit
    err(s.post(h.url("/api/v1/candidates"), json={"family_name": "x" * 2000000}),
        413, "body_too_large")


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def test_import_100000_rows_in_one_request(make_hrx, capsys):
    h = make_hrx()
    h.start()
    s = h.login()
    label = post(h, s, "labels", {"name": "imported"})["id"]
    lines = ["family_name,given_name,email,graduation_year,school,label_ids,custom.rank"]
    for i in range(100000):
        lines.append('姓%d,Given %d,c%d@example.jp,%d,"School, No. %d",%d,%d'
                     % (i, i, i, 2025 + i % 4, i % 100, label, i))
    body = ("\r\n".join(lines) + "\r\n").encode()
    workers = h.worker_pids()
    rss0 = {p: rss_kb(p) for p in workers}
    t0 = time.monotonic()
    r = s.post(h.url("/api/v1/candidates/import"), data=body, headers=CSV, timeout=300)
    took = time.monotonic() - t0
    rss1 = {p: rss_kb(p) for p in workers}
    assert r.status_code == 201, r.text
    j = r.json()
    assert j["imported"] == 100000 and j["last_id"] - j["first_id"] == 99999
    with h.db() as con:
        assert con.execute("SELECT count(*) FROM candidates").fetchone()[0] == 100000
        assert con.execute("SELECT count(*) FROM candidate_labels WHERE label_id = ?",
                           (label,)).fetchone()[0] == 100000
        last = dict(con.execute("SELECT * FROM candidates WHERE id = ?",
                                (j["last_id"],)).fetchone())
    assert (last["family_name"], last["school"], json.loads(last["custom_fields"])) \
        == ("姓99999", "School, No. 99", {"rank": 99999})
    assert spool_files(h) == []
    log = [l for l in h.error_log().splitlines() if "rows read and spooled" in l]
    with capsys.disabled():
        print("\n  import of 100000 rows (%.1f MB of CSV): %.2f s end to end"
              % (len(body) / 1e6, took))
        if log:
            print("  worker: " + log[-1].split("hrx: ")[-1].split(", client")[0])
        applied = [l for l in h.scheduler_log().splitlines() if "candidates written" in l]
        if applied:
            print("  scheduler: " + applied[-1].split("] ")[-1])
        for p in workers:
            print("  worker %d RSS %d KB -> %d KB (%+d KB)"
                  % (p, rss0[p], rss1[p], rss1[p] - rss0[p]))


def test_import_exactly_once_across_a_scheduler_crash(fresh_hrx):
    h = fresh_hrx
    s = h.login()
    n = 5000
    body = "family_name,email\n" + "".join("K%d,k%d@example.jp\n" % (i, i)
                                           for i in range(n))
    r = imp(h, s, body)
    assert r.status_code == 201, r.text
    h.kill_scheduler()                      # right after the acknowledgment
    h.start_scheduler()
    h.wait_scheduler_up()
    with h.db() as con:
        assert con.execute("SELECT count(*) FROM candidates").fetchone()[0] == n
    assert spool_files(h) == []
    # and the next import still works
    r = imp(h, s, "family_name\nafter\n")
    assert r.status_code == 201, r.text
    with h.db() as con:
        assert con.execute("SELECT count(*) FROM candidates").fetchone()[0] == n + 1


def test_import_survives_a_scheduler_killed_while_applying_it(fresh_hrx):
    """kill -9 while the rows are being written (before the commit): the
    restarted scheduler applies the command again from the ring, from the
    same spool file, and the client, still waiting, gets that reply."""
    h = fresh_hrx
    s = h.login()
    n = 100000
    body = "family_name,custom.i\n" + "".join("P%d,%d\n" % (i, i) for i in range(n))
    out = {}
    t = threading.Thread(target=lambda: out.update(r=imp(h, s, body)))
    t.start()
    deadline = time.time() + 60
    while time.time() < deadline:
        if requests.get(h.url("/api/v1/health")).json()["ring"]["depth_bytes"] > 0:
            break                   # the command is in the ring: being applied
        time.sleep(0.005)
    time.sleep(0.3)
    h.kill_scheduler()
    h.start_scheduler()
    t.join(120)
    r = out["r"]
    assert r.status_code == 201, r.text
    assert r.json()["imported"] == n
    with h.db() as con:
        assert con.execute("SELECT count(*) FROM candidates").fetchone()[0] == n
        assert con.execute("SELECT count(*) FROM audit_log WHERE op = 'candidate.import'"
                           " AND outcome = 'ok'").fetchone()[0] == 1
    assert spool_files(h) == []


def test_orphan_spool_files_are_swept(fresh_hrx):
    """A file left by a scheduler that died between its commit and the
    unlink (or by a worker that died before sending the command) is
    removed once older than an hour; a recent one is left alone."""
    h = fresh_hrx
    d = h.path("tmp", "import")
    old = os.path.join(d, "1-1-deadbeefdeadbeef.jsonl")
    new = os.path.join(d, "1-2-feedfacefeedface.jsonl")
    other = os.path.join(d, "keep-me.txt")
    for p in (old, new, other):
        with open(p, "w") as f:
            f.write('{"family_name":"x"}\n')
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(other, (two_hours_ago, two_hours_ago))
    h.stop_scheduler()
    h.start_scheduler()
    h.wait_scheduler_up()
    deadline = time.time() + 10
    while os.path.exists(old) and time.time() < deadline:
        time.sleep(0.1)
    assert not os.path.exists(old)
    assert os.path.exists(new) and os.path.exists(other)
