"""The query-plan check of test_query_plans.py (docs/performance.md, "Query
plans"): no statement the scheduler or the module prepares may scan a table
that grows with use, because its cost would then grow with history.

Where the statements come from:

- captured: with HRX_SQL_LOG naming a file, both processes append every
  distinct text they prepare to it (shm/hrx_prepare.c), NUL after each;
  conftest.py sets it for the whole pytest session;
- static: the fixed statement tables written out in the C sources
  (`static const char *const name[] = {...}` and `static const char
  name[] = "..."`), expanded by the C preprocessor so their macros are
  the real ones, and every statement the resource descriptors make
  (hrx-sql-dump, tests/integration/sql_dump.c) -- so statements no test
  happens to run are checked too.

How a statement is judged: EXPLAIN QUERY PLAN on the schema that the real
`hrx-scheduler --init` makes, with sqlite_stat1 saying the growing tables
are large (realistic_stats()).  A SCAN of a growing table, a full-index
SCAN of one (USING INDEX / COVERING INDEX) and an AUTOMATIC index on one
(built by scanning it, every run) are findings, and so is a virtual table
of the schema (the FTS5 index) that its module reads whole ("VIRTUAL TABLE
INDEX 0:" with no constraint); table-valued functions such as json_each
are bounded by their argument.  A finding fails the test unless the
statement is in ALLOWED with the reason it is bounded.  A DELETE from a
table that another growing table references needs an index on the
referencing columns: SQLite checks (or cascades) the foreign key with a
lookup that EXPLAIN QUERY PLAN does not show.
"""

import os
import re
import sqlite3
import subprocess

TOP = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))

# Tables whose size is bounded by configuration, not by use: a scan of one
# stays cheap however long hrx runs.  Every other table -- any table added
# later too -- counts as growing.
SMALL_TABLES = {
    "meta": "a handful of keys of the scheduler's own",
    "tenants": "one row per customer team: configuration, not use",
    "mail_settings": "one row per tenant",
    "line_settings": "one row per tenant",
    "sqlite_sequence": "one row per AUTOINCREMENT table",
    "candidate_text_pending": "at most 255 ids: the trigger "
                              "candidate_text_flush empties it at 256",
}

# Statements allowed to scan a growing table, each with why its cost is
# bounded anyway.  Keyed by a regex that must match the statement's text
# (whitespace collapsed) and the table it may scan; an entry that no
# statement needs is stale and fails a run of the whole suite.
ALLOWED = [
    # store_line_unparsed(): walks the partial index
    # line_deliveries_unparsed, which holds only the deliveries not parsed
    # yet -- they leave it in the batch after they came -- and stops at
    # LIMIT: bounded by the backlog.
    (r"^SELECT id FROM line_deliveries WHERE parsed = 0 ORDER BY id LIMIT",
     "line_deliveries", "a scan of the unparsed backlog's partial index"),
    # store_user_count(): only `hrx-scheduler --init`, once per start, to
    # know whether the first admin exists; users are people, not events.
    (r"^SELECT count\(\*\) FROM users$", "users",
     "once per --init, over the users (people)"),
]

SQL_VERBS = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "REPLACE")


def normalize(sql):
    return " ".join(sql.split())


# -- statements -----------------------------------------------------------

def read_log(path):
    """The distinct statements of an HRX_SQL_LOG file."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        return set()
    return {normalize(s.decode()) for s in data.split(b"\0") if s.strip()}


_C_STRING = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_C_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|[A-Za-z_]\w*|\S')
_TABLE_START = re.compile(
    r"static\s+const\s+char\s*\*\s*const\s+(\w+)\s*\[[^\]]*\]\s*=\s*\{"
    r"|static\s+const\s+char\s+(\w+)\s*\[\s*\]\s*=")
_C_COMMENT = re.compile(r'"(?:[^"\\\n]|\\.)*"|/\*.*?\*/', re.S)
_DEFINE = re.compile(r"^[ \t]*#[ \t]*define\b(?:[^\n]*\\\n)*[^\n]*", re.M)


def uncomment(text):
    return _C_COMMENT.sub(lambda m: m.group(0) if m.group(0)[0] == '"'
                          else " ", text)


def _c_unescape(lit):
    out, i, s = [], 0, lit[1:-1]
    simple = {"n": "\n", "t": "\t", "\\": "\\", '"': '"', "'": "'"}
    while i < len(s):
        if s[i] == "\\" and i + 1 < len(s) and s[i + 1] in simple:
            out.append(simple[s[i + 1]])
            i += 2
        elif s[i] == "\\":
            raise ValueError("escape not understood in %s" % lit)
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _table_blocks(text):
    """(name, initializer text) of every static string table in text."""
    blocks = []
    for m in _TABLE_START.finditer(text):
        name = m.group(1) or m.group(2)
        i, depth, end = m.end(), 1 if m.group(1) else 0, None
        while i < len(text):
            c = text[i]
            if c == '"':
                i = _C_STRING.match(text, i).end() - 1
            elif text.startswith("/*", i):
                i = text.index("*/", i) + 1
            elif c == "{":
                depth += 1
            elif c == "}":
                depth -= 1
            elif c == ";" and depth == 0:
                end = i
                break
            i += 1
        blocks.append((name, text[m.end():end]))
    return blocks


def c_tables(paths, headers=()):
    """{(file, table name, n): [statement, ...]} of the static string tables
    of the C files paths, their macros (those of headers too) expanded by
    cc -E.  Entries that are printf templates ("%s") are left out: they
    are complete only at run time, and captured then."""
    defines = []
    for h in headers:
        with open(h) as f:
            defines += _DEFINE.findall(uncomment(f.read()))
    found = {}
    for path in paths:
        with open(path) as f:
            text = uncomment(f.read())
        blocks = _table_blocks(text)
        if not blocks:
            continue
        src = "\n".join(defines + _DEFINE.findall(text)) + "\n"
        for i, (name, body) in enumerate(blocks):
            src += "\n@@TABLE %d@@\n%s\n" % (i, body)
        out = subprocess.run(["cc", "-E", "-P", "-w", "-x", "c", "-"],
                             input=src, capture_output=True, text=True,
                             check=True).stdout
        parts = re.split(r"@@TABLE (\d+)@@", out)
        for k in range(1, len(parts), 2):
            name = blocks[int(parts[k])][0]
            rel = os.path.relpath(path, TOP)
            found[(rel, name, int(parts[k]))] = _entries(rel, name,
                                                         parts[k + 1])
    return found


def _entries(rel, name, body):
    """The SQL statements of one preprocessed table initializer."""
    entries, cur, odd, depth = [], [], None, 0
    toks = _C_TOKEN.findall(body)
    i = 0
    while i < len(toks):
        t = toks[i]
        if t == "[" and depth == 0:       # a designator: [NAME] =
            j = toks.index("]", i)
            i = j + 2 if j + 1 < len(toks) and toks[j + 1] == "=" else j + 1
            continue
        if t in "({":
            depth += 1
        elif t in ")}":
            depth -= 1
        if (t == "," and depth == 0) or (t == "}" and depth < 0):
            entries.append((cur, odd))
            cur, odd = [], None
        elif t.startswith('"'):
            cur.append(_c_unescape(t))
        elif t not in "{}" and not (t == "NULL" and not cur):
            odd = odd or t
        i += 1
    if cur:
        entries.append((cur, odd))

    def is_sql(parts):
        return "".join(parts).split(None, 1)[:1] in ([v] for v in SQL_VERBS)

    if not any(is_sql(e) for e, _ in entries):
        return []                       # not a table of statements
    stmts = []
    for e, odd in entries:
        if odd is not None:
            raise AssertionError("%s: %s: a statement made of more than "
                                 "string literals (%r): the check cannot "
                                 "read it" % (rel, name, odd))
        sql = normalize("".join(e))
        if not is_sql(e) or re.search(r"%[-0-9.$]*[sdiu]", sql):
            continue
        stmts.append(sql)
    return stmts


def static_statements(build):
    """Every statement the sources write out, and those of the resource
    descriptors (hrx-sql-dump of the build)."""
    dirs = ("scheduler", "shm", "ngx_hrx_module")
    files, headers = [], []
    for d in dirs:
        for n in sorted(os.listdir(os.path.join(TOP, d))):
            p = os.path.join(TOP, d, n)
            if n.endswith(".c") and n != "schema.c":
                files.append(p)
            elif n.endswith(".h"):
                headers.append(p)
    stmts = {}
    for (rel, name, _), sqls in c_tables(files, headers).items():
        for s in sqls:
            stmts.setdefault(s, "%s: %s" % (rel, name))
    out = subprocess.run([os.path.join(build, "hrx-sql-dump")],
                         capture_output=True, check=True).stdout
    for s in out.split(b"\0"):
        if s.strip():
            stmts.setdefault(normalize(s.decode()), "hrx-sql-dump")
    return stmts


# -- the schema -----------------------------------------------------------

def make_schema(scheduler, data_dir):
    """The database of a real `hrx-scheduler --init`, with stats."""
    env = dict(os.environ)
    env.pop("HRX_SQL_LOG", None)
    subprocess.run([scheduler, "--data-dir", data_dir, "--init"],
                   capture_output=True, check=True, timeout=60, env=env)
    path = os.path.join(data_dir, "hrx.db")
    con = sqlite3.connect(path)
    realistic_stats(con)
    con.close()
    return path


def growing(table):
    return table not in SMALL_TABLES


# The model of a database in use behind realistic_stats(): rows of a
# growing table, of a small one, and how many distinct values a column
# has (by its name: the rest are taken as 100 values).
GROWING_ROWS = 1000000
SMALL_ROWS = 100
TENANTS = 100
_FEW_VALUES = re.compile(r"^(status|state|kind|type|channel|direction|"
                         r"parsed|builtin|object_type|route|transport|"
                         r"published|opted_out|also_line|line|to_agent|"
                         r"platform_admin|redelivery|message_type|reason)$")
_UNIQUE_VALUES = re.compile(r"^(id|rowid|ring_pos|token_hash|nonce|"
                            r"message_id|webhook_event_id|line_user_id|"
                            r"email|slug|key|name|title|prefix)$|_at$")
# rows of a partial index, as a share of its table's: the work queues
# (rows leave when done) hold few
_PARTIAL_SHARE = {"outbox_due": 0.001, "line_deliveries_unparsed": 0.0001}


def _distinct(column, rows):
    if column == "tenant_id":
        return min(TENANTS, rows)
    if _FEW_VALUES.match(column):
        return min(5, rows)
    if _UNIQUE_VALUES.search(column):
        return rows
    if column.endswith("_id"):
        return max(1, rows // 10)       # ten rows per referenced row
    return min(100, rows)


def realistic_stats(con):
    """sqlite_stat1 as ANALYZE would write it on a database in use for a
    while: growing tables large, small ones small, a tenant a hundredth
    of each table, an id-like column nearly unique.  The planner then
    weighs indexes as it will in production rather than as on an empty
    file, where it takes every table for a million rows and every index
    for selective, and would hide a plan that only stats bring out."""
    con.execute("ANALYZE")
    con.execute("DELETE FROM sqlite_stat1")
    tables = [r[0] for r in con.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'"
        " AND name NOT LIKE 'sqlite_%' AND sql NOT LIKE 'CREATE VIRTUAL%'")]
    for t in tables:
        rows = GROWING_ROWS if growing(t) else SMALL_ROWS
        con.execute("INSERT INTO sqlite_stat1 VALUES (?, NULL, ?)",
                    (t, str(rows)))
        for _, idx, unique, _, partial in con.execute(
                "PRAGMA index_list(%s)" % t).fetchall():
            n = rows
            if partial:
                n = max(1, int(rows * _PARTIAL_SHARE.get(idx, 0.1)))
            cols = [r[2] for r in con.execute(
                "PRAGMA index_info(%s)" % idx).fetchall()]
            stat, left = [str(n)], n
            for i, c in enumerate(cols):
                left = max(1, left // _distinct(c or "", rows))
                if unique and i == len(cols) - 1:
                    left = 1
                stat.append(str(left))
            con.execute("INSERT INTO sqlite_stat1 VALUES (?, ?, ?)",
                        (t, idx, " ".join(stat)))
    con.commit()


# -- plans ----------------------------------------------------------------

def open_schema(path):
    con = sqlite3.connect("file:%s?mode=ro" % path, uri=True)
    # the search compiler's regex function (shm/hrx_search.c)
    con.create_function("hrx_regexp", 2, lambda p, v: 0)
    return con


def explain(con, sql):
    """EXPLAIN QUERY PLAN rows (id, parent, detail), every parameter NULL."""
    q = "EXPLAIN QUERY PLAN " + sql
    try:
        return con.execute(q, ()).fetchall()
    except sqlite3.ProgrammingError as e:
        m = re.search(r"uses (\d+)", str(e))
        if not m:
            raise
        return con.execute(q, [None] * int(m.group(1))).fetchall()


_KEYWORDS = {
    "where", "on", "join", "left", "inner", "cross", "outer", "natural",
    "using", "order", "group", "limit", "set", "values", "as", "union",
    "except", "intersect", "window", "having", "returning", "indexed",
    "not", "select", "default", "full", "right",
}
_FROM = re.compile(r"\b(?:FROM|JOIN|UPDATE|INTO)\s+([A-Za-z_]\w*)"
                   r"(?:\s+(?:AS\s+)?([A-Za-z_]\w*))?", re.I)
_SCAN = re.compile(r"^(SCAN|SEARCH) (\S+)(?: USING (?:COVERING )?INDEX "
                   r"(\S+)| USING AUTOMATIC| VIRTUAL TABLE)?")


def aliases(sql):
    """{name as EXPLAIN QUERY PLAN shows it: {tables}} of sql's FROM,
    JOIN, UPDATE and INTO clauses."""
    text = re.sub(r"'(?:[^']|'')*'", "''", sql)
    out = {}
    for m in _FROM.finditer(text):
        table, alias = m.group(1), m.group(2)
        if alias is None or alias.lower() in _KEYWORDS:
            alias = table
        out.setdefault(alias, set()).add(table)
    return out


class Schema:
    def __init__(self, con):
        self.con = con
        rows = con.execute("SELECT type, name, tbl_name FROM sqlite_master"
                           " WHERE type IN ('table', 'index')").fetchall()
        self.tables = {n for t, n, _ in rows if t == "table"}
        self.index_table = {n: tb for t, n, tb in rows if t == "index"}

    def leads_index(self, table, cols):
        """cols are table's rowid, or the leading columns of an index."""
        info = self.con.execute("PRAGMA table_info(%s)" % table).fetchall()
        pk = [r[1] for r in info if r[5]]
        if len(cols) == 1 and pk == cols and any(
                r[1] == cols[0] and r[2].upper() == "INTEGER" for r in info):
            return True
        for row in self.con.execute("PRAGMA index_list(%s)" % table):
            if row[4]:
                continue                # a partial index does not serve
            icols = [r[2] for r in self.con.execute(
                "PRAGMA index_info(%s)" % row[1])]
            if set(icols[:len(cols)]) == set(cols):
                return True
        return False


def findings(schema, sql):
    """[(table, plan line)] of the scans of growing tables in sql's plan."""
    rows = explain(schema.con, sql)
    names = aliases(sql)
    # subqueries and CTEs that the plan materializes: not tables
    made = {r[3].split(" ", 1)[1] for r in rows
            if r[3].startswith(("MATERIALIZE ", "CO-ROUTINE "))}
    found = []
    for r in rows:
        detail = r[3]
        m = _SCAN.match(detail)
        if not m:
            continue
        kind, name, index = m.groups()
        auto = "AUTOMATIC" in detail
        if kind == "SEARCH" and not auto:
            continue
        if name == "CONSTANT":
            continue
        if "VIRTUAL TABLE" in detail:
            # a table-valued function (json_each) is bounded by its
            # argument; a virtual table of the schema (FTS5) is scanned
            # whole when its xBestIndex used no constraint: "INDEX 0:"
            table = (names.get(name) or {name}) & schema.tables
            if table and re.search(r"VIRTUAL TABLE INDEX 0:$", detail):
                found += [(t, detail) for t in sorted(table) if growing(t)]
            continue
        if index is not None:
            tables = {schema.index_table[index]}
        elif name in names:
            tables = names[name]
        elif name in schema.tables:
            tables = {name}
        elif name in made or name.startswith("("):
            continue
        else:
            raise AssertionError("cannot tell which table %r is in %r of"
                                 " %s" % (name, detail, sql))
        tables = {t for t in tables if t in schema.tables}
        if not tables and name not in made:
            continue
        for t in sorted(tables):
            if growing(t):
                found.append((t, detail))
    return found


def _allowed(sql, table):
    return [a for a in ALLOWED if a[1] == table and re.search(a[0], sql)]


def foreign_key_findings(schema, sql):
    """A DELETE from a table that a growing table references: the
    referencing columns must lead an index (or be the rowid), or each such
    delete scans the referencing table to check or cascade the key."""
    m = re.match(r"DELETE FROM (\w+)", sql)
    if not m:
        return []
    parent, con, out = m.group(1), schema.con, []
    for child in sorted(schema.tables):
        if not growing(child) or child.startswith("sqlite_"):
            continue
        fks = {}
        for row in con.execute("PRAGMA foreign_key_list(%s)" % child):
            if row[2] == parent:
                fks.setdefault(row[0], []).append(row[3])
        for cols in fks.values():
            if not schema.leads_index(child, cols):
                out.append("%s: %s(%s) references %s without an index"
                           % (sql, child, ", ".join(cols), parent))
    return out


class Report:
    def __init__(self):
        self.errors, self.findings, self.fk, self.stale = [], [], [], []


def check(path, statements):
    """Every statement of statements (texts) judged on the schema at
    path."""
    con = open_schema(path)
    schema = Schema(con)
    report, used = Report(), set()
    for sql in sorted(statements):
        if sql.split(" ", 1)[0].upper() not in SQL_VERBS:
            continue
        try:
            found = findings(schema, sql)
        except (sqlite3.Error, AssertionError) as e:
            report.errors.append("%s: %s" % (sql, e))
            continue
        for table, detail in found:
            allowed = _allowed(sql, table)
            if allowed:
                used.update(id(a) for a in allowed)
            else:
                report.findings.append("%s\n    %s: %s" % (sql, table,
                                                          detail))
        report.fk += foreign_key_findings(schema, sql)
    report.stale = ["%s (%s)" % (a[0], a[1]) for a in ALLOWED
                    if id(a) not in used]
    con.close()
    return report
