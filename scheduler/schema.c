/*
 * The schema, as an ordered list of migrations.
 *
 * PRAGMA user_version holds how many of these a database has applied;
 * store_open() runs the missing ones, each in one transaction together
 * with the version bump (store.c).  A migration is never edited once
 * shipped: a change is a new entry at the end.
 */

/*
 * Migrations, in order; migration N (1-based) brings user_version from
 * N-1 to N.  Never edit one that has shipped: add the next.
 */

#include "schema.h"

const char *const store_migrations[] = {

    /*
     * 1: docs/commands.md, "Schema (migration 1)".  Objects that audit rows
     * point at use AUTOINCREMENT: an id, once used, never names another row.
     */
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "CREATE TABLE tenants ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  slug TEXT NOT NULL UNIQUE, name TEXT NOT NULL,"
    "  time_zone TEXT NOT NULL DEFAULT 'Asia/Tokyo',"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE TABLE roles ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL, permissions TEXT NOT NULL DEFAULT '[]',"
    "  builtin INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER,"
    "  UNIQUE (tenant_id, name));"
    "CREATE TABLE users ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  email TEXT NOT NULL COLLATE NOCASE, name TEXT NOT NULL,"
    "  password_hash TEXT, role_id INTEGER NOT NULL REFERENCES roles(id),"
    "  platform_admin INTEGER NOT NULL DEFAULT 0,"
    "  status TEXT NOT NULL DEFAULT 'active'"
    "    CHECK (status IN ('active','disabled')),"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER,"
    "  UNIQUE (tenant_id, email));"
    "CREATE INDEX users_email ON users(email);"
    "CREATE TABLE sessions ("
    "  id INTEGER PRIMARY KEY, token_hash TEXT NOT NULL UNIQUE,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  tenant_id INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL, expires_at INTEGER NOT NULL,"
    "  user_agent TEXT, ip TEXT);"
    "CREATE TABLE api_tokens ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL,"
    "  user_id INTEGER NOT NULL REFERENCES users(id),"
    "  name TEXT NOT NULL, token_hash TEXT NOT NULL UNIQUE,"
    "  prefix TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, expires_at INTEGER);"
    "CREATE TABLE audit_log ("
    "  id INTEGER PRIMARY KEY, ring_pos INTEGER, tenant_id INTEGER,"
    "  actor_id INTEGER,"
    "  op TEXT NOT NULL, object_type TEXT, object_id INTEGER,"
    "  outcome TEXT NOT NULL,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX audit_log_object"
    "  ON audit_log(tenant_id, object_type, object_id);"
    "CREATE TABLE command_replies ("
    "  ring_pos INTEGER PRIMARY KEY,"
    "  slot INTEGER NOT NULL, gen INTEGER NOT NULL,"
    "  status INTEGER NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL);",

    /*
     * 2: recruiting data, docs/data-model.md.  Names compare without case
     * (COLLATE NOCASE) so "Tokyo" and "tokyo" are one label.  Tables that
     * hold a tenant's objects index (tenant_id, id): every list is a range
     * scan of one tenant, paged by id.
     */
    "CREATE TABLE master_groups ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL COLLATE NOCASE,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER,"
    "  UNIQUE (tenant_id, name));"
    "CREATE TABLE user_master_groups ("
    "  user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    "  master_group_id INTEGER NOT NULL"
    "    REFERENCES master_groups(id) ON DELETE CASCADE,"
    "  PRIMARY KEY (user_id, master_group_id)) WITHOUT ROWID;"
    "CREATE INDEX user_master_groups_group"
    "  ON user_master_groups(master_group_id);"
    "CREATE TABLE master_group_grants ("
    "  master_group_id INTEGER NOT NULL"
    "    REFERENCES master_groups(id) ON DELETE CASCADE,"
    "  object_type TEXT NOT NULL CHECK (object_type IN"
    "    ('search_group','form','event_group','template','candidate_group')),"
    "  object_id INTEGER NOT NULL,"
    "  PRIMARY KEY (master_group_id, object_type, object_id)) WITHOUT ROWID;"
    "CREATE INDEX master_group_grants_object"
    "  ON master_group_grants(object_type, object_id);"
    "CREATE TABLE candidate_groups ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL COLLATE NOCASE,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER,"
    "  UNIQUE (tenant_id, name));"
    "CREATE TABLE labels ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL COLLATE NOCASE, color TEXT,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER,"
    "  UNIQUE (tenant_id, name));"
    "CREATE TABLE agents ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL, email TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'active'"
    "    CHECK (status IN ('active','disabled')),"
    "  route_to_agent INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE INDEX agents_tenant ON agents(tenant_id, id);"
    "CREATE TABLE job_openings ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  title TEXT NOT NULL, description TEXT,"
    "  status TEXT NOT NULL DEFAULT 'open'"
    "    CHECK (status IN ('open','closed')),"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE INDEX job_openings_tenant ON job_openings(tenant_id, id);"
    "CREATE TABLE candidates ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  family_name TEXT NOT NULL, given_name TEXT,"
    "  family_name_kana TEXT, given_name_kana TEXT,"
    "  email TEXT COLLATE NOCASE, phone TEXT, country TEXT,"
    "  graduation_year INTEGER, school TEXT,"
    "  status TEXT NOT NULL DEFAULT 'applied',"
    "  candidate_group_id INTEGER REFERENCES candidate_groups(id),"
    "  owner_id INTEGER REFERENCES users(id),"
    "  route TEXT NOT NULL DEFAULT 'direct'"
    "    CHECK (route IN ('direct','agent')),"
    "  agent_id INTEGER REFERENCES agents(id),"
    "  job_opening_id INTEGER REFERENCES job_openings(id),"
    "  custom_fields TEXT NOT NULL DEFAULT '{}',"
    "  line_user_id TEXT, line_linked_at INTEGER,"
    "  whatsapp_number TEXT,"
    "  opted_out INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE INDEX candidates_tenant ON candidates(tenant_id, id);"
    "CREATE INDEX candidates_tenant_email ON candidates(tenant_id, email);"
    "CREATE INDEX candidates_tenant_status ON candidates(tenant_id, status);"
    "CREATE UNIQUE INDEX candidates_line_user"
    "  ON candidates(tenant_id, line_user_id) WHERE line_user_id IS NOT NULL;"
    "CREATE TABLE candidate_labels ("
    "  candidate_id INTEGER NOT NULL"
    "    REFERENCES candidates(id) ON DELETE CASCADE,"
    "  label_id INTEGER NOT NULL REFERENCES labels(id) ON DELETE CASCADE,"
    "  labeled_at INTEGER NOT NULL,"
    "  PRIMARY KEY (candidate_id, label_id)) WITHOUT ROWID;"
    "CREATE INDEX candidate_labels_label ON candidate_labels(label_id);"
    "CREATE TABLE interviews ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  candidate_id INTEGER NOT NULL"
    "    REFERENCES candidates(id) ON DELETE CASCADE,"
    "  job_opening_id INTEGER REFERENCES job_openings(id),"
    "  starts_at INTEGER NOT NULL, location TEXT,"
    "  interviewer_id INTEGER REFERENCES users(id),"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE INDEX interviews_candidate ON interviews(candidate_id, starts_at);"
    "CREATE INDEX interviews_tenant ON interviews(tenant_id, id);"
    "CREATE TABLE search_groups ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL COLLATE NOCASE,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER,"
    "  UNIQUE (tenant_id, name));"
    "CREATE TABLE saved_searches ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  search_group_id INTEGER NOT NULL REFERENCES search_groups(id),"
    "  name TEXT NOT NULL, condition TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE INDEX saved_searches_tenant ON saved_searches(tenant_id, id);"
    "CREATE TABLE event_groups ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL COLLATE NOCASE,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER,"
    "  UNIQUE (tenant_id, name));"
    "CREATE TABLE events ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  event_group_id INTEGER NOT NULL REFERENCES event_groups(id),"
    "  title TEXT NOT NULL, description TEXT, location TEXT,"
    "  published INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE INDEX events_tenant ON events(tenant_id, id);"
    "CREATE TABLE event_dates ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
    "  starts_at INTEGER NOT NULL, ends_at INTEGER,"
    "  capacity INTEGER NOT NULL CHECK (capacity >= 1),"
    "  registered INTEGER NOT NULL DEFAULT 0"
    "    CHECK (registered >= 0 AND registered <= capacity));"
    "CREATE INDEX event_dates_event ON event_dates(event_id, starts_at);"
    "CREATE TABLE forms ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL, questions TEXT NOT NULL,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE INDEX forms_tenant ON forms(tenant_id, id);"
    "CREATE TABLE email_templates ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL COLLATE NOCASE, subject TEXT NOT NULL,"
    "  body_text TEXT NOT NULL, body_html TEXT,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER,"
    "  UNIQUE (tenant_id, name));"
    /*
     * Role names are unique without case too (roles are migration 1's,
     * where only case-sensitive UNIQUE was asked for).  The indexes below
     * serve "is it still used?" before a delete (the descriptors' deps in
     * shm/hrx_resource.c) and the readers' joins.
     */
    "CREATE UNIQUE INDEX roles_tenant_name_nocase"
    "  ON roles(tenant_id, name COLLATE NOCASE);"
    "CREATE INDEX users_role ON users(role_id);"
    "CREATE INDEX candidates_group ON candidates(candidate_group_id);"
    "CREATE INDEX candidates_agent ON candidates(agent_id);"
    "CREATE INDEX candidates_job_opening ON candidates(job_opening_id);"
    "CREATE INDEX interviews_job_opening ON interviews(job_opening_id);"
    "CREATE INDEX saved_searches_group ON saved_searches(search_group_id);"
    "CREATE INDEX events_group ON events(event_group_id);",

    /*
     * 3: bulk actions, mail settings and the outbox, docs/bulk-actions.md.
     * bulk_action_results is a snapshot taken at T: no foreign key to the
     * candidate, who may be deleted later while the history stays.
     */
    "CREATE TABLE bulk_actions ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  name TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('message','event_invitation')),"
    "  status TEXT NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting',"
    "    'on_hold','running','completed','completed_with_failures','error')),"
    "  run_at INTEGER NOT NULL,"
    "  saved_search_id INTEGER NOT NULL REFERENCES saved_searches(id),"
    "  template_id INTEGER NOT NULL REFERENCES email_templates(id),"
    "  form_id INTEGER REFERENCES forms(id),"
    "  event_id INTEGER REFERENCES events(id),"
    "  event_group_id INTEGER REFERENCES event_groups(id),"
    "  executed_label_id INTEGER REFERENCES labels(id),"
    "  also_line INTEGER NOT NULL DEFAULT 0,"
    "  estimate INTEGER,"
    "  started_at INTEGER, finished_at INTEGER, late_ms INTEGER,"
    "  error_code TEXT, error_message TEXT,"
    "  hits INTEGER,"
    "  reached INTEGER NOT NULL DEFAULT 0,"
    "  failed INTEGER NOT NULL DEFAULT 0,"
    "  pending INTEGER NOT NULL DEFAULT 0,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE INDEX bulk_actions_due ON bulk_actions(status, run_at);"
    "CREATE INDEX bulk_actions_tenant ON bulk_actions(tenant_id, id);"
    "CREATE INDEX bulk_actions_finished"
    "  ON bulk_actions(tenant_id, finished_at);"
    "CREATE INDEX bulk_actions_search ON bulk_actions(saved_search_id);"
    "CREATE INDEX bulk_actions_template ON bulk_actions(template_id);"
    "CREATE INDEX bulk_actions_form ON bulk_actions(form_id);"
    "CREATE INDEX bulk_actions_event ON bulk_actions(event_id);"
    "CREATE INDEX bulk_actions_event_group ON bulk_actions(event_group_id);"
    "CREATE INDEX bulk_actions_label ON bulk_actions(executed_label_id);"
    "CREATE TABLE bulk_action_results ("
    "  bulk_action_id INTEGER NOT NULL"
    "    REFERENCES bulk_actions(id) ON DELETE CASCADE,"
    "  candidate_id INTEGER NOT NULL,"
    "  candidate_name TEXT NOT NULL,"
    "  to_agent INTEGER NOT NULL DEFAULT 0,"
    "  email TEXT,"
    "  line INTEGER NOT NULL DEFAULT 0,"
    "  state TEXT NOT NULL CHECK (state IN ('pending','reached','failed')),"
    "  reason TEXT, detail TEXT,"
    "  PRIMARY KEY (bulk_action_id, candidate_id)) WITHOUT ROWID;"
    "CREATE INDEX bulk_action_results_state"
    "  ON bulk_action_results(bulk_action_id, state, candidate_id);"
    "CREATE TABLE mail_settings ("
    "  tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),"
    "  transport TEXT NOT NULL CHECK (transport IN ('file','smtp')),"
    "  smtp_host TEXT, smtp_port INTEGER,"
    "  smtp_security TEXT"
    "    CHECK (smtp_security IN ('starttls','tls','none')),"
    "  smtp_username TEXT, smtp_password BLOB,"
    "  from_email TEXT NOT NULL, from_name TEXT, reply_to TEXT,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL,"
    "  channel TEXT NOT NULL CHECK (channel IN ('email','line')),"
    "  bulk_action_id INTEGER, candidate_id INTEGER,"
    "  recipient TEXT NOT NULL, sender TEXT,"
    "  message_id TEXT NOT NULL,"
    "  payload BLOB NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'queued'"
    "    CHECK (state IN ('queued','sent','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_at INTEGER NOT NULL,"
    "  last_error TEXT,"
    "  created_at INTEGER NOT NULL, sent_at INTEGER);"
    "CREATE INDEX outbox_due ON outbox(next_attempt_at)"
    "  WHERE state = 'queued';"
    "CREATE INDEX outbox_bulk ON outbox(bulk_action_id, state);",

    /*
     * 4: LINE and the candidate timeline, docs/line.md.  Secrets are
     * stored sealed (hrx_seal(), bound to their row by the aad).
     */
    "CREATE TABLE line_settings ("
    "  tenant_id INTEGER PRIMARY KEY REFERENCES tenants(id),"
    "  channel_id TEXT NOT NULL,"
    "  channel_secret BLOB NOT NULL,"
    "  access_token BLOB NOT NULL,"
    "  login_channel_id TEXT NOT NULL,"
    "  login_channel_secret BLOB NOT NULL,"
    "  state TEXT NOT NULL CHECK (state IN ('disconnected','connected')),"
    "  bot_basic_id TEXT, bot_name TEXT,"
    "  connected_at INTEGER,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE TABLE line_deliveries ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL,"
    "  body BLOB NOT NULL, received_at INTEGER NOT NULL,"
    "  parsed INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX line_deliveries_unparsed ON line_deliveries(id)"
    "  WHERE parsed = 0;"
    "CREATE TABLE line_events ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL,"
    "  webhook_event_id TEXT NOT NULL, delivery_id INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  line_user_id TEXT, candidate_id INTEGER,"
    "  message_type TEXT, text TEXT,"
    "  occurred_at INTEGER NOT NULL,"
    "  redelivery INTEGER NOT NULL DEFAULT 0,"
    "  UNIQUE (tenant_id, webhook_event_id));"
    "CREATE INDEX line_events_unlinked ON line_events(tenant_id, id)"
    "  WHERE candidate_id IS NULL;"
    "CREATE TABLE messages ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL,"
    "  candidate_id INTEGER NOT NULL"
    "    REFERENCES candidates(id) ON DELETE CASCADE,"
    "  channel TEXT NOT NULL CHECK (channel IN ('email','line')),"
    "  direction TEXT NOT NULL CHECK (direction IN ('in','out')),"
    "  kind TEXT NOT NULL DEFAULT 'text',"
    "  subject TEXT, body TEXT,"
    "  outbox_id INTEGER, line_event_id INTEGER,"
    "  state TEXT, error TEXT,"
    "  send_at INTEGER,"
    "  created_at INTEGER NOT NULL, created_by INTEGER);"
    "CREATE INDEX messages_candidate ON messages(candidate_id, id);"
    "CREATE INDEX messages_outbox ON messages(outbox_id)"
    "  WHERE outbox_id IS NOT NULL;"
    "CREATE TABLE line_login_states ("
    "  nonce TEXT PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL,"
    "  candidate_id INTEGER NOT NULL,"
    "  used_at INTEGER NOT NULL);",

    /*
     * 5: saved-search counts without scanning the tenant, docs/data-model.md
     * ("How conditions run").
     *
     * candidate_text: an FTS5 trigram index of the candidate text fields
     * that `contains` applies to (not status and route: enums, rewritten
     * on every stage change), which the search compiler uses as a
     * prefilter.  External content: the text itself stays only in
     * candidates; columnsize=0: no per-row sizes (nothing ranks).
     *
     * Triggers keep it in step with every writer (commands, imports, a
     * fixture writing rows straight in), with one invariant: a candidate
     * is either in candidate_text with the text it has now, or its id is
     * in candidate_text_pending, which the compiler reads along with the
     * index.  New and changed rows go to pending, and reach the index 256
     * at a time: FTS5 (3.40) writes out what it holds at every statement
     * savepoint, which a trigger on candidates opens for each row, so an
     * index written row by row made an import of 100 000 rows five times
     * slower.  A 'delete' must name the values that were indexed: the old
     * ones, taken only for a row that is in the index (email compared as
     * bytes, not NOCASE, so that a case change is one).  An update that
     * changes none of the indexed columns leaves both alone.  The
     * triggers write a virtual table, so they need trusted_schema ON
     * (SQLite's default).  'rebuild' indexes the rows there already.
     *
     * Indexes for the counts of the usual conditions, each covering the
     * operate rule (candidate_group_id):
     * - candidates_tenant_status_year serves status eq/in, with or
     *   without a graduation_year range, from the index alone; it
     *   replaces candidates_tenant_status, its prefix.
     * - candidates_tenant gains candidate_group_id, so a count driven by
     *   ids (has_label, the contains prefilter) reads no table row.  It
     *   is made last on purpose: without sqlite_stat1 the planner rates
     *   every index on tenant_id alike and takes the newest, and a scan
     *   of the tenant that must read rows should walk them in id order,
     *   not jump around the table in status order.
     */
    "CREATE VIRTUAL TABLE candidate_text USING fts5("
    "  family_name, given_name, family_name_kana, given_name_kana,"
    "  email, phone, country, school,"
    "  content = 'candidates', content_rowid = 'id',"
    "  tokenize = 'trigram', columnsize = 0);"
    "CREATE TABLE candidate_text_pending (id INTEGER PRIMARY KEY);"
    "CREATE TRIGGER candidate_text_insert AFTER INSERT ON candidates BEGIN"
    "  INSERT OR IGNORE INTO candidate_text_pending (id) VALUES (new.id);"
    " END;"
    "CREATE TRIGGER candidate_text_flush AFTER INSERT ON candidate_text_pending"
    "  WHEN (SELECT count(*) FROM candidate_text_pending) >= 256 BEGIN"
    "  INSERT INTO candidate_text (rowid, family_name, given_name,"
    "    family_name_kana, given_name_kana, email, phone, country, school)"
    "  SELECT c.id, c.family_name, c.given_name, c.family_name_kana,"
    "    c.given_name_kana, c.email, c.phone, c.country, c.school"
    "  FROM candidate_text_pending p JOIN candidates c ON c.id = p.id;"
    "  DELETE FROM candidate_text_pending;"
    " END;"
    "CREATE TRIGGER candidate_text_delete AFTER DELETE ON candidates BEGIN"
    "  INSERT INTO candidate_text (candidate_text, rowid, family_name,"
    "    given_name, family_name_kana, given_name_kana, email, phone,"
    "    country, school)"
    "  SELECT 'delete', old.id, old.family_name, old.given_name,"
    "    old.family_name_kana, old.given_name_kana, old.email, old.phone,"
    "    old.country, old.school"
    "  WHERE NOT EXISTS (SELECT 1 FROM candidate_text_pending p"
    "    WHERE p.id = old.id);"
    "  DELETE FROM candidate_text_pending WHERE id = old.id;"
    " END;"
    "CREATE TRIGGER candidate_text_update AFTER UPDATE OF id, family_name,"
    "  given_name, family_name_kana, given_name_kana, email, phone, country,"
    "  school ON candidates"
    "  WHEN old.id IS NOT new.id OR old.family_name IS NOT new.family_name"
    "    OR old.given_name IS NOT new.given_name"
    "    OR old.family_name_kana IS NOT new.family_name_kana"
    "    OR old.given_name_kana IS NOT new.given_name_kana"
    "    OR old.email IS NOT new.email COLLATE BINARY"
    "    OR old.phone IS NOT new.phone OR old.country IS NOT new.country"
    "    OR old.school IS NOT new.school"
    " BEGIN"
    "  INSERT INTO candidate_text (candidate_text, rowid, family_name,"
    "    given_name, family_name_kana, given_name_kana, email, phone,"
    "    country, school)"
    "  SELECT 'delete', old.id, old.family_name, old.given_name,"
    "    old.family_name_kana, old.given_name_kana, old.email, old.phone,"
    "    old.country, old.school"
    "  WHERE NOT EXISTS (SELECT 1 FROM candidate_text_pending p"
    "    WHERE p.id = old.id);"
    "  DELETE FROM candidate_text_pending WHERE id = old.id;"
    "  INSERT OR IGNORE INTO candidate_text_pending (id) VALUES (new.id);"
    " END;"
    "INSERT INTO candidate_text (candidate_text) VALUES ('rebuild');"
    "CREATE INDEX candidates_tenant_status_year"
    "  ON candidates(tenant_id, status, graduation_year, candidate_group_id);"
    "DROP INDEX candidates_tenant_status;"
    "DROP INDEX candidates_tenant;"
    "CREATE INDEX candidates_tenant"
    "  ON candidates(tenant_id, id, candidate_group_id);",

    /*
     * batch_replies: the replies of the last batch committed, one row
     * (loop.c, store_replies_save).  It replaces command_replies, a row
     * per command kept ten minutes: only the last batch can hold replies
     * not yet published.  Rows left in command_replies belong to a shm
     * file this version replaces (its layout changed), so none is waited
     * for any more.
     */
    "DROP TABLE command_replies;"
    "CREATE TABLE batch_replies ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  ring_pos INTEGER NOT NULL, replies BLOB NOT NULL,"
    "  at INTEGER NOT NULL);",

    /*
     * Indexes for the statements that scanned a growing table
     * (tests/integration/test_query_plans.py, docs/performance.md "Query
     * plans"): a LINE delivery's timeline rows, found by delivery_id;
     * the cleanup's delete of expired sessions; the sign-out of every
     * session of a user (and the foreign key to users).
     */
    "CREATE INDEX line_events_delivery ON line_events(delivery_id);"
    "CREATE INDEX sessions_expires ON sessions(expires_at);"
    "CREATE INDEX sessions_user ON sessions(user_id);",

    /*
     * WhatsApp Business numbers (docs/whatsapp.md, WA-1): several per
     * tenant.  The access token, app secret and verify token are sealed
     * by the worker (aad "whatsapp.<column>:<tenant>:<phone number id>").
     * A phone number id is Meta's, so it belongs to one row across all
     * tenants: a webhook names it and must reach one tenant only.
     */
    "CREATE TABLE whatsapp_numbers ("
    "  id INTEGER PRIMARY KEY,"
    "  tenant_id INTEGER NOT NULL REFERENCES tenants(id),"
    "  nickname TEXT NOT NULL,"
    "  waba_id TEXT NOT NULL,"
    "  phone_number_id TEXT NOT NULL UNIQUE,"
    "  access_token BLOB NOT NULL,"
    "  app_secret BLOB NOT NULL,"
    "  verify_token BLOB NOT NULL,"
    "  display_phone_number TEXT, verified_name TEXT, quality_rating TEXT,"
    "  unknown_senders TEXT NOT NULL DEFAULT 'candidate'"
    "    CHECK (unknown_senders IN ('candidate','contact')),"
    "  connected_at INTEGER NOT NULL,"
    "  created_at INTEGER NOT NULL,"
    "  updated_at INTEGER NOT NULL, updated_by INTEGER);"
    "CREATE INDEX whatsapp_numbers_tenant ON whatsapp_numbers(tenant_id, id);"
    /*
     * Webhook deliveries (WA-2, WA-13): the raw body as Meta signed it,
     * stored before the 200, and in the same transaction one row per
     * item -- inbound message (deduplicated by wamid), status (by wamid
     * and status), template status update (by template id, event and
     * time) -- so a redelivery is stored once.  number_id NULL: the item
     * names a phone number id that is not this tenant's (kept, matched
     * to nothing).  candidate_id: the candidate whose whatsapp_number is
     * the sender's E.164 number, when there is one.
     */
    "CREATE TABLE whatsapp_deliveries ("
    "  id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL,"
    "  number_id INTEGER NOT NULL, body BLOB NOT NULL,"
    "  received_at INTEGER NOT NULL);"
    "CREATE TABLE whatsapp_events ("
    "  id INTEGER PRIMARY KEY, tenant_id INTEGER NOT NULL,"
    "  delivery_id INTEGER NOT NULL, number_id INTEGER,"
    "  kind TEXT NOT NULL"
    "    CHECK (kind IN ('message','status','template_status')),"
    "  dedup_key TEXT NOT NULL,"
    "  wamid TEXT, wa_id TEXT, phone TEXT, candidate_id INTEGER,"
    "  type TEXT, text TEXT, status TEXT,"
    "  error_code INTEGER, error_title TEXT,"
    "  template_id TEXT, template_name TEXT, language TEXT, reason TEXT,"
    "  occurred_at INTEGER NOT NULL,"
    "  UNIQUE (tenant_id, kind, dedup_key));"
    "CREATE INDEX whatsapp_events_delivery ON whatsapp_events(delivery_id);"
    "CREATE INDEX candidates_whatsapp ON candidates(tenant_id,"
    "  whatsapp_number) WHERE whatsapp_number IS NOT NULL;"
    /*
     * The timeline takes WhatsApp rows: SQLite cannot change a CHECK, so
     * messages is rebuilt with channel 'whatsapp' allowed and a link to
     * the whatsapp_events row it came from, every row and its id kept
     * (the AUTOINCREMENT sequence too).
     */
    "CREATE TABLE messages_new ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  tenant_id INTEGER NOT NULL,"
    "  candidate_id INTEGER NOT NULL"
    "    REFERENCES candidates(id) ON DELETE CASCADE,"
    "  channel TEXT NOT NULL"
    "    CHECK (channel IN ('email','line','whatsapp')),"
    "  direction TEXT NOT NULL CHECK (direction IN ('in','out')),"
    "  kind TEXT NOT NULL DEFAULT 'text',"
    "  subject TEXT, body TEXT,"
    "  outbox_id INTEGER, line_event_id INTEGER,"
    "  state TEXT, error TEXT,"
    "  send_at INTEGER,"
    "  created_at INTEGER NOT NULL, created_by INTEGER,"
    "  whatsapp_event_id INTEGER);"
    "INSERT INTO messages_new (id, tenant_id, candidate_id, channel,"
    "  direction, kind, subject, body, outbox_id, line_event_id, state,"
    "  error, send_at, created_at, created_by)"
    "  SELECT id, tenant_id, candidate_id, channel, direction, kind,"
    "  subject, body, outbox_id, line_event_id, state, error, send_at,"
    "  created_at, created_by FROM messages;"
    "DELETE FROM sqlite_sequence WHERE name = 'messages_new';"
    "INSERT INTO sqlite_sequence (name, seq)"
    "  SELECT 'messages_new', seq FROM sqlite_sequence"
    "  WHERE name = 'messages';"
    "DROP TABLE messages;"
    "ALTER TABLE messages_new RENAME TO messages;"
    "CREATE INDEX messages_candidate ON messages(candidate_id, id);"
    "CREATE INDEX messages_outbox ON messages(outbox_id)"
    "  WHERE outbox_id IS NOT NULL;",
};

const int store_migration_count =
    (int) (sizeof(store_migrations) / sizeof(store_migrations[0]));
