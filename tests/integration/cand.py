"""Candidates with chosen fields, for the search and template tests:
created through POST /api/v1/candidates, with the columns only LINE
linking sets (no API yet) written straight into the database."""

from resources import db_write

# columns a test may set that the API does not take (set by LINE linking)
READ_ONLY = ("line_user_id", "line_linked_at")


def make(hrx, sess, **fields):
    fields.setdefault("family_name", "Yamada")
    extra = {k: fields.pop(k) for k in READ_ONLY if k in fields}
    r = sess.post(hrx.url("/api/v1/candidates"), json=fields)
    assert r.status_code == 201, r.text
    cid = r.json()["id"]
    for column, value in extra.items():
        # column comes from READ_ONLY above, never from input
        db_write(hrx, "UPDATE candidates SET %s = ? WHERE id = ?" % column,
                 (value, cid))
    return cid
