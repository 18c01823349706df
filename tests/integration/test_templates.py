"""Merge variables (docs/data-model.md, "Merge variables"): checked when a
template is saved (both ways in, nothing saved on error), the registry,
and the preview: data, missing data, fallbacks, the next interview in the
tenant's time zone, HTML escaping, reach."""

import pytest
import requests

import cand
from resources import (uniq, email, slug, make_tenant, make_user, post, count,
                       row, err)


@pytest.fixture(scope="module")
def owner(hrx):
    return make_tenant(hrx, hrx.login())


def tpl(hrx, sess, **kw):
    body = dict({"name": uniq("tpl"), "subject": "Hello", "body_text": "Hi"}, **kw)
    return post(hrx, sess, "templates", body)


def preview(hrx, sess, tid, cid):
    return sess.post(hrx.url("/api/v1/templates/%d/preview" % tid),
                     json={"candidate_id": cid})


# -- saving -------------------------------------------------------------------

@pytest.mark.parametrize("field", ["subject", "body_text", "body_html"])
def test_unknown_variable_is_400_naming_it_and_saves_nothing(hrx, owner, field):
    tenant = owner.tenant["id"]
    before = count(hrx, "email_templates", tenant)
    body = {"name": uniq("t"), "subject": "Hello", "body_text": "Hi",
            field: "Dear {candidate.shoe_size} and {姓}"}
    e = err(owner.post(hrx.url("/api/v1/templates"), json=body),
            400, "unknown_variable", field)
    assert "candidate.shoe_size" in e["message"]
    assert count(hrx, "email_templates", tenant) == before

    # PATCH: refused, the row unchanged
    t = tpl(hrx, owner)
    stored = row(hrx, "email_templates", t["id"])
    e = err(owner.patch(hrx.url("/api/v1/templates/%d" % t["id"]),
                        json={field: "x {未知の変数} y"}), 400, "unknown_variable", field)
    assert "未知の変数" in e["message"]
    assert row(hrx, "email_templates", t["id"]) == stored


@pytest.mark.parametrize("text", ["Dear {candidate.family_name", "{}", "{|x}",
                                  "{candidate.school|no close"])
def test_malformed_template_is_400(hrx, owner, text):
    before = count(hrx, "email_templates", owner.tenant["id"])
    err(owner.post(hrx.url("/api/v1/templates"), json={
        "name": uniq("t"), "subject": "s", "body_text": text}),
        400, "malformed_template", "body_text")
    assert count(hrx, "email_templates", owner.tenant["id"]) == before


def test_names_aliases_fallbacks_and_braces_are_accepted(hrx, owner):
    t = tpl(hrx, owner, subject="{姓}様 {名|}",
            body_text="{氏名}さん {次の面接日時|未定} {{literal}} {company.name}",
            body_html="<style>p {{ color: red }}</style><p>{LINE友だち登録URL|-}</p>")
    got = owner.get(hrx.url("/api/v1/templates/%d" % t["id"])).json()
    assert got["subject"] == "{姓}様 {名|}"


def test_merge_variables_registry(hrx, owner):
    r = owner.get(hrx.url("/api/v1/merge-variables"))
    assert r.status_code == 200, r.text
    items = r.json()
    names = {v["name"]: v for v in items}
    assert len(items) == 18
    assert names["candidate.family_name"]["alias"] == "姓"
    assert names["next_interview_at"]["alias"] == "次の面接日時"
    assert names["line.friend_url"]["alias"] == "LINE友だち登録URL"
    assert all(v["description"] for v in items)
    assert requests.get(hrx.url("/api/v1/merge-variables")).status_code == 401


# -- preview ------------------------------------------------------------------

@pytest.fixture(scope="module")
def data(hrx, owner):
    d = {}
    d["owner_user"] = post(hrx, owner, "users", {"email": email("rec"),
                                                 "name": "Recruiter Sato"})["id"]
    d["job"] = post(hrx, owner, "job-openings", {"title": "Backend Engineer"})["id"]
    d["agent"] = post(hrx, owner, "agents", {"name": "Agency K",
                                             "email": "k@agency.jp"})["id"]
    d["full"] = cand.make(hrx, owner, family_name="山田", given_name="花子",
                          family_name_kana="ヤマダ", given_name_kana="ハナコ",
                          email="hanako@example.com", school="東京大学",
                          graduation_year=2027, status="screening",
                          owner_id=d["owner_user"], job_opening_id=d["job"],
                          route="agent", agent_id=d["agent"])
    d["bare"] = cand.make(hrx, owner, family_name="Sato")
    d["evil"] = cand.make(hrx, owner, family_name="<script>alert('x')</script>",
                          given_name="A&B \"q\"")
    # a past interview, then two future ones: the earlier future one counts
    for at, where in (("2020-01-01T00:00:00Z", "Old room"),
                      ("2031-06-01T01:30:00Z", "Room 7"),
                      ("2030-12-01T05:00:00Z", "本社 3F")):
        post(hrx, owner, "interviews", {"candidate_id": d["full"], "starts_at": at,
                                        "location": where})
    return d


ALL = ("{candidate.family_name} {candidate.given_name} / {氏名} / {セイ} {メイ} / "
       "{candidate.email} / {学校名} / {卒業年度} / {選考ステータス} / {求人名} / "
       "{エージェント名} / {担当者名} / {会社名} / {次の面接日時} / {次の面接場所}")


def test_preview_with_data(hrx, owner, data):
    t = tpl(hrx, owner, subject="{姓}様: {next_interview_at}", body_text=ALL,
            body_html="<p>{氏名}</p>")
    r = preview(hrx, owner, t["id"], data["full"])
    assert r.status_code == 200, r.text
    p = r.json()
    assert p["subject"] == "山田様: 2030-12-01 14:00"
    assert p["body_text"] == (
        "山田 花子 / 山田 花子 / ヤマダ ハナコ / hanako@example.com / 東京大学 / 2027 / "
        "screening / Backend Engineer / Agency K / Recruiter Sato / %s / "
        "2030-12-01 14:00 / 本社 3F" % owner.tenant["name"])
    assert p["body_html"] == "<p>山田 花子</p>"
    assert p["missing"] == []


def test_preview_missing_and_fallbacks(hrx, owner, data):
    t = tpl(hrx, owner, subject="{candidate.family_name} {candidate.school}",
            body_text="{form.url} {candidate.school} {next_interview_at} {学校名|your school}",
            body_html=None)
    p = preview(hrx, owner, t["id"], data["bare"]).json()
    assert p["subject"] == "Sato "
    assert p["body_html"] is None
    # each once, in order of first use: subject first
    assert p["missing"] == ["candidate.school", "form.url", "next_interview_at"]
    assert p["body_text"].endswith(" your school")

    t = tpl(hrx, owner, subject="{candidate.school|-}",
            body_text="{form.url|(link)} {event.url|} {line.friend_url|LINE}")
    p = preview(hrx, owner, t["id"], data["bare"]).json()
    assert p == {"subject": "-", "body_text": "(link)  LINE", "body_html": None,
                 "missing": []}


def test_preview_escapes_values_in_body_html(hrx, owner, data):
    t = tpl(hrx, owner, subject="{氏名}", body_text="{氏名}",
            body_html="<p class=\"x\">{氏名}</p><b>{candidate.school|<i>none</i>}</b>")
    p = preview(hrx, owner, t["id"], data["evil"]).json()
    raw = "<script>alert('x')</script> A&B \"q\""
    assert p["subject"] == raw and p["body_text"] == raw
    assert "<script>" not in p["body_html"]
    assert p["body_html"] == (
        "<p class=\"x\">&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; "
        "A&amp;B &quot;q&quot;</p><b>&lt;i&gt;none&lt;/i&gt;</b>")


def test_next_interview_in_the_tenants_time_zone(hrx):
    admin = hrx.login()
    s = slug()
    r = admin.post(hrx.url("/api/v1/tenants"), json={
        "slug": s, "name": "NY " + s, "time_zone": "America/New_York",
        "admin": {"email": email("ny"), "name": "NY", "password": "correct horse battery"}})
    assert r.status_code == 201, r.text
    ny = hrx.login(r.json()["admin"]["email"], "correct horse battery", tenant=s)
    ny.tenant = r.json()
    cid = cand.make(hrx, ny, family_name="Smith")
    post(hrx, ny, "interviews", {"candidate_id": cid, "starts_at": "2030-12-01T05:00:00Z"})
    post(hrx, ny, "interviews", {"candidate_id": cid, "starts_at": "2031-07-01T05:00:00Z"})
    t = tpl(hrx, ny, subject="{next_interview_at}")
    assert preview(hrx, ny, t["id"], cid).json()["subject"] == "2030-12-01 00:00"


def test_preview_reach(hrx, owner, data):
    hidden_group = post(hrx, owner, "candidate-groups", {"name": uniq("g")})["id"]
    shared_tpl = tpl(hrx, owner, subject="{姓}")
    hidden_tpl = tpl(hrx, owner, subject="{姓}")
    post(hrx, owner, "master-groups", {"name": uniq("mg"), "grants": [
        {"type": "template", "id": hidden_tpl["id"]},
        {"type": "candidate_group", "id": hidden_group}]})
    role = post(hrx, owner, "roles", {"name": uniq("r"), "permissions": []})["id"]
    viewer = make_user(hrx, owner, role_id=role)
    hidden_cand = cand.make(hrx, owner, family_name="Hidden",
                            candidate_group_id=hidden_group)

    # reading needs no permission: a reached template, an operable candidate
    r = preview(hrx, viewer, shared_tpl["id"], data["full"])
    assert r.status_code == 200 and r.json()["subject"] == "山田", r.text
    err(preview(hrx, viewer, hidden_tpl["id"], data["full"]), 404, "not_found")
    err(preview(hrx, viewer, shared_tpl["id"], hidden_cand), 404, "not_found",
        "candidate_id")
    assert preview(hrx, owner, shared_tpl["id"], hidden_cand).json()["subject"] == "Hidden"
    err(preview(hrx, owner, 999999999, data["full"]), 404, "not_found")
    err(preview(hrx, owner, shared_tpl["id"], 999999999), 404, "not_found", "candidate_id")
    # another tenant's template and candidate
    other = make_tenant(hrx, hrx.login())
    err(preview(hrx, other, shared_tpl["id"], data["full"]), 404, "not_found")
    t2 = tpl(hrx, other)
    err(preview(hrx, other, t2["id"], data["full"]), 404, "not_found", "candidate_id")
    # the body
    url = hrx.url("/api/v1/templates/%d/preview" % shared_tpl["id"])
    err(owner.post(url, json={}), 400, "required", "candidate_id")
    err(owner.post(url, json={"candidate_id": "1"}), 400, "invalid_type", "candidate_id")
    err(owner.post(url, json={"candidate_id": 1, "x": 1}), 400, "unknown_field", "x")
