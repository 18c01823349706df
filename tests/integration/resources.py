"""The recruiting resources of docs/data-model.md as one table, for the
CRUD, bad-input, reach and tenant-isolation tests: a new resource is
covered by adding one line to RESOURCES."""

import sqlite3
import uuid


def uniq(prefix="x"):
    return "%s-%s" % (prefix, uuid.uuid4().hex[:10])


def email(prefix="u"):
    return "%s@example.com" % uniq(prefix)


class Res:
    """path: under /api/v1; table: SQLite table; create(d)/patch(d): valid
    bodies, d holding the ids of the tenant's prerequisites (see
    prerequisites()); manage: the permission to change it; refs: [(key of d, field)] the reference fields, each
    tried with an id the tenant does not have; required: a required field;
    text: (a string field, its maximum length); unique: the unique field;
    edit_by_reach: PATCH needs only reach, not manage."""

    def __init__(self, path, table, manage, create, patch, refs=(),
                 required="name", text=("name", 200), unique=None,
                 edit_by_reach=False):
        self.path, self.table, self.manage = path, table, manage
        self.create, self.patch = create, patch
        self.refs, self.required, self.text = list(refs), required, text
        self.unique = unique
        # edited by whoever reaches the row (candidates: the operate rule),
        # not by the manage permission
        self.edit_by_reach = edit_by_reach

    def __repr__(self):
        return self.path

    def url(self, hrx, id=None):
        return hrx.url("/api/v1/%s%s" % (self.path, "" if id is None else "/%d" % id))


FUTURE = "2027-03-01T10:00:00Z"

RESOURCES = [
    Res("roles", "roles", "users.admin",
        lambda d: {"name": uniq("role"), "permissions": ["bulk_actions.manage"]},
        lambda d: {"name": uniq("role2"), "permissions": []},
        unique="name"),
    Res("master-groups", "master_groups", "users.admin",
        lambda d: {"name": uniq("mg"), "member_ids": [d["user"]],
                   "grants": [{"type": "search_group", "id": d["search_group"]}]},
        lambda d: {"name": uniq("mg2"), "member_ids": []},
        refs=[("user", "member_ids"), ("search_group", "grants[0].id")],
        unique="name"),
    Res("candidate-groups", "candidate_groups", "users.admin",
        lambda d: {"name": uniq("cg")}, lambda d: {"name": uniq("cg2")},
        unique="name"),
    Res("labels", "labels", "candidates.operate_other",
        lambda d: {"name": uniq("lb"), "color": "#12ab9f"},
        lambda d: {"color": None}, text=("name", 100), unique="name"),
    Res("agents", "agents", "candidates.operate_other",
        lambda d: {"name": "Agency", "email": email("agent"), "route_to_agent": True},
        lambda d: {"status": "disabled"}),
    Res("job-openings", "job_openings", "candidates.operate_other",
        lambda d: {"title": "Engineer", "description": "Build things"},
        lambda d: {"status": "closed"}, required="title", text=("title", 200)),
    Res("interviews", "interviews", "candidates.operate_other",
        lambda d: {"candidate_id": d["candidate"], "job_opening_id": d["job_opening"],
                   "starts_at": FUTURE, "location": "Room 1",
                   "interviewer_id": d["user"]},
        lambda d: {"location": "Room 2"},
        refs=[("candidate", "candidate_id"), ("job_opening", "job_opening_id"),
              ("user", "interviewer_id")],
        required="starts_at", text=("location", 500)),
    Res("search-groups", "search_groups", "bulk_actions.manage",
        lambda d: {"name": uniq("sg")}, lambda d: {"name": uniq("sg2")},
        unique="name"),
    Res("saved-searches", "saved_searches", "bulk_actions.manage",
        lambda d: {"search_group_id": d["search_group"], "name": "4th years",
                   "condition": {"all": [{"field": "graduation_year", "op": "eq",
                                          "value": 2027}]}},
        lambda d: {"name": "renamed"},
        refs=[("search_group", "search_group_id")]),
    Res("event-groups", "event_groups", "bulk_actions.manage",
        lambda d: {"name": uniq("eg")}, lambda d: {"name": uniq("eg2")},
        unique="name"),
    Res("events", "events", "bulk_actions.manage",
        lambda d: {"event_group_id": d["event_group"], "title": "Seminar",
                   "published": True,
                   "dates": [{"starts_at": FUTURE, "capacity": 20}]},
        lambda d: {"title": "Seminar 2"},
        refs=[("event_group", "event_group_id")], required="title",
        text=("title", 200)),
    Res("forms", "forms", "templates.manage",
        lambda d: {"name": "Survey", "questions": [
            {"key": "school", "label": "School", "type": "text", "required": True},
            {"key": "day", "label": "Day", "type": "choice", "choices": ["Mon", "Tue"]}]},
        lambda d: {"name": "Survey 2"}),
    Res("templates", "email_templates", "templates.manage",
        lambda d: {"name": uniq("tpl"), "subject": "Hello", "body_text": "Dear candidate"},
        lambda d: {"body_html": "<p>Dear candidate</p>"},
        text=("subject", 255), unique="name"),
    Res("candidates", "candidates", "candidates.operate_other",
        lambda d: {"family_name": "山田", "given_name": "花子",
                   "email": email("cand"), "label_ids": [d["label"]],
                   "candidate_group_id": d["candidate_group"],
                   "owner_id": d["user"], "job_opening_id": d["job_opening"],
                   "route": "agent", "agent_id": d["agent"],
                   "custom_fields": {"score": 80}},
        lambda d: {"status": "screening", "school": "Kyoto University"},
        refs=[("label", "label_ids"), ("candidate_group", "candidate_group_id"),
              ("user", "owner_id"), ("job_opening", "job_opening_id"),
              ("agent", "agent_id")],
        required="family_name", text=("family_name", 100), edit_by_reach=True),
]

BY_PATH = {r.path: r for r in RESOURCES}


def slug():
    return "t-" + uuid.uuid4().hex[:10]


def make_tenant(hrx, platform_admin, password="correct horse battery"):
    """A new tenant and its owner's session (users.admin)."""
    s = slug()
    owner = email("owner")
    r = platform_admin.post(hrx.url("/api/v1/tenants"), json={
        "slug": s, "name": "Tenant " + s,
        "admin": {"email": owner, "name": "Owner", "password": password}})
    assert r.status_code == 201, r.text
    sess = hrx.login(owner, password, tenant=s)
    sess.tenant = r.json()
    sess.slug = s
    sess.me = r.json()["admin"]
    return sess


def make_user(hrx, owner, role_id=None, groups=None, password="a long password 1"):
    """A user of owner's tenant with a role and master groups, signed in."""
    body = {"email": email("user"), "name": "User", "password": password}
    if role_id:
        body["role_id"] = role_id
    if groups is not None:
        body["master_group_ids"] = groups
    r = owner.post(hrx.url("/api/v1/users"), json=body)
    assert r.status_code == 201, r.text
    s = hrx.login(body["email"], password, tenant=owner.slug)
    s.me = r.json()
    return s


def make_candidate(hrx, sess, group_id=None, **fields):
    """A candidate of sess's tenant, through POST /api/v1/candidates."""
    body = dict({"family_name": "Yamada", "given_name": "Hanako"}, **fields)
    if group_id:
        body["candidate_group_id"] = group_id
    r = sess.post(hrx.url("/api/v1/candidates"), json=body)
    assert r.status_code == 201, r.text
    return r.json()["id"]


def db_write(hrx, sql, args=()):
    """For state no API makes yet (event registrations)."""
    con = sqlite3.connect(hrx.path("hrx.db"), timeout=10)
    try:
        with con:
            con.execute(sql, args)
    finally:
        con.close()


def post(hrx, sess, path, body):
    r = sess.post(hrx.url("/api/v1/" + path), json=body)
    assert r.status_code == 201, (path, r.text)
    return r.json()


def prerequisites(hrx, owner):
    """One of everything the resources reference, in owner's tenant."""
    d = {}
    d["user"] = post(hrx, owner, "users", {"email": email(), "name": "Interviewer"})["id"]
    d["job_opening"] = post(hrx, owner, "job-openings", {"title": "Sales"})["id"]
    d["search_group"] = post(hrx, owner, "search-groups", {"name": uniq("sg")})["id"]
    d["event_group"] = post(hrx, owner, "event-groups", {"name": uniq("eg")})["id"]
    d["candidate_group"] = post(hrx, owner, "candidate-groups", {"name": uniq("cg")})["id"]
    d["master_group"] = post(hrx, owner, "master-groups", {"name": uniq("mg")})["id"]
    d["label"] = post(hrx, owner, "labels", {"name": uniq("lb")})["id"]
    d["agent"] = post(hrx, owner, "agents", {"name": "Agency", "email": email("ag")})["id"]
    d["candidate"] = make_candidate(hrx, owner)
    return d


def count(hrx, table, tenant_id):
    with hrx.db() as con:
        return con.execute("SELECT count(*) FROM %s WHERE tenant_id = ?" % table,
                           (tenant_id,)).fetchone()[0]


def row(hrx, table, id):
    with hrx.db() as con:
        r = con.execute("SELECT * FROM %s WHERE id = ?" % table, (id,)).fetchone()
        return dict(r) if r else None


def err(r, status, code=None, field=None):
    assert r.status_code == status, (r.status_code, r.text)
    e = r.json()["error"]
    if code is not None:
        assert e["code"] == code, e
    if field is not None:
        assert e["field"] == field, e
    assert e["message"]
    return e


def ids(hrx, sess, path):
    """Every id a list shows sess, following the pages."""
    seen, after = [], None
    while True:
        q = "/api/v1/%s?limit=200%s" % (path, "&after=%d" % after if after else "")
        page = sess.get(hrx.url(q))
        assert page.status_code == 200, page.text
        page = page.json()
        seen += [x["id"] for x in page["items"]]
        after = page["next_after"]
        if after is None:
            return seen

