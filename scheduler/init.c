/*
 * --init: from nothing to a data directory the scheduler can run on.
 *
 * It creates the directory (0700: it holds the master key and every
 * tenant's data) with logs/, outbox/ and tmp/, the master key, and the
 * database at the current schema.  Then, if the install has no user yet,
 * it makes the first one: the operator of the whole install.  That is a
 * tenant "default", its built-in admin role with every permission, and a
 * user with platform_admin = 1, all in one transaction.
 *
 * The first admin's password is random, printed once on stdout and never
 * stored in clear: the database keeps its scrypt hash, the log only says
 * that an admin was created.  Running --init again is safe (nothing
 * existing is replaced, the key is only checked) and says that the admin
 * exists instead of printing a password it no longer knows.
 *
 * --init takes the data directory's lock like a running scheduler, so it
 * is refused while one runs rather than racing it for the database.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrx_crypto.h"
#include "hrx_shm.h"
#include "apply.h"
#include "datadir.h"
#include "init.h"
#include "log.h"
#include "store.h"

/* 15 random bytes are exactly 20 base64url characters */
#define INIT_PASSWORD_BYTES  15
#define INIT_PASSWORD_LEN    hrx_b64url_len(INIT_PASSWORD_BYTES)

static int
init_master_key(const char *dir, int db_existed)
{
    uint8_t      key[HRX_KEY_SIZE];
    char         path[4096], err[512];
    struct stat  sb;

    if (datadir_path(path, sizeof(path), dir, HRX_MASTER_KEY_FILE) != 0) {
        return -1;
    }

    if (stat(path, &sb) == 0) {
        if (hrx_master_key_load(path, key, err, sizeof(err)) != 0) {
            log_tell("%s", err);
            return -1;
        }
        explicit_bzero(key, sizeof(key));
        return 0;
    }

    if (errno != ENOENT) {
        log_tell("cannot stat %s: %s", path, strerror(errno));
        return -1;
    }

    if (db_existed) {
        log_warn("%s was missing and is created anew: secrets already "
                 "stored in the database cannot be decrypted with it", path);
    }
    if (hrx_master_key_create(path, err, sizeof(err)) != 0) {
        log_tell("%s", err);
        return -1;
    }
    log_info("created %s", path);
    return 0;
}

/*
 * The first admin, in one transaction.  Returns 0 and fills pw (the clear
 * password, to print once), or -1 after telling why.
 */
static int
init_first_admin(store_t *st, const char *email, char *pw)
{
    uint8_t        raw[INIT_PASSWORD_BYTES];
    char           hash[HRX_PASSWORD_HASH_MAX];
    int64_t        now, tenant_id, role_id, user_id;
    store_audit_t  a;
    int            rc = -1, in_txn = 0;

    if (hrx_random_bytes(raw, sizeof(raw)) != 0) {
        log_tell("no random bytes for a password");
        goto done;
    }
    hrx_b64url_encode(raw, sizeof(raw), pw);

    if (hrx_password_hash(pw, INIT_PASSWORD_LEN, hash) != 0) {
        log_tell("cannot hash the password");
        goto done;
    }

    now = (int64_t) hrx_wall_ms();

    if (store_begin(st) != STORE_OK) {
        log_tell("cannot create the first admin: %s", store_errmsg(st));
        goto done;
    }
    in_txn = 1;

    if (store_tenant_insert(st, "default", "Default", "Asia/Tokyo", now, 0,
                            &tenant_id) != STORE_OK
        || store_role_insert(st, tenant_id, "admin",
                             apply_all_permissions_json, 1, now, 0,
                             &role_id) != STORE_OK
        || store_user_insert(st, tenant_id, email, "Administrator", hash,
                             role_id, 1, now, 0, &user_id) != STORE_OK)
    {
        log_tell("cannot create the first admin: %s", store_errmsg(st));
        goto done;
    }

    memset(&a, 0, sizeof(a));
    a.tenant_id = tenant_id;
    a.op = "init";
    a.object_type = "user";
    a.object_id = user_id;
    a.outcome = "ok";
    a.at = now;

    if (store_audit_insert(st, &a) != STORE_OK
        || store_commit(st) != STORE_OK)
    {
        log_tell("cannot create the first admin: %s", store_errmsg(st));
        goto done;
    }
    in_txn = 0;

    log_info("created the first admin %s (tenant \"default\")", email);
    rc = 0;

done:
    if (in_txn) {
        store_rollback(st);
    }
    explicit_bzero(raw, sizeof(raw));
    explicit_bzero(hash, sizeof(hash));
    return rc;
}

int
init_data_dir(const char *dir, const char *admin_email, int log_stderr)
{
    store_t      *st = NULL;
    char          path[4096], err[512], pw[INIT_PASSWORD_LEN + 1];
    struct stat   sb;
    int64_t       users;
    int           lock_fd = -1, db_existed, rc = 1;

    static const char *const subdirs[] = {
        DATADIR_LOGS, DATADIR_OUTBOX, DATADIR_TMP
    };

    if (datadir_mkdir(dir) != 0) {
        return 1;
    }
    for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
        if (datadir_path(path, sizeof(path), dir, subdirs[i]) != 0
            || datadir_mkdir(path) != 0)
        {
            return 1;
        }
    }

    if (datadir_path(path, sizeof(path), dir, DATADIR_LOG_FILE) != 0) {
        return 1;
    }
    if (log_open(path, log_stderr) != 0) {
        log_tell("cannot open %s: %s", path, strerror(errno));
        return 1;
    }

    lock_fd = datadir_lock(dir);
    if (lock_fd == -1) {
        goto done;
    }

    if (datadir_path(path, sizeof(path), dir, DATADIR_DB) != 0) {
        goto done;
    }
    db_existed = (stat(path, &sb) == 0);

    if (init_master_key(dir, db_existed) != 0) {
        goto done;
    }

    st = store_open(path, err, sizeof(err));
    if (st == NULL) {
        log_tell("%s", err);
        goto done;
    }
    if (store_migrate(st) != STORE_OK) {
        log_tell("%s: %s", path, store_errmsg(st));
        goto done;
    }

    if (store_user_count(st, &users) != STORE_OK) {
        log_tell("%s: %s", path, store_errmsg(st));
        goto done;
    }

    if (users > 0) {
        printf("hrx: data dir ready; the first admin exists "
               "(its password was printed when it was created)\n");
        log_info("init: data dir %s ready", dir);
        rc = 0;
        goto done;
    }

    if (init_first_admin(st, admin_email, pw) != 0) {
        goto done;
    }

    printf("hrx: first admin: %s\nhrx: password: %s\n", admin_email, pw);
    explicit_bzero(pw, sizeof(pw));
    log_info("init: data dir %s ready", dir);
    rc = 0;

done:
    fflush(stdout);
    store_close(st);
    if (lock_fd != -1) {
        close(lock_fd);
    }
    log_close();
    return rc;
}
