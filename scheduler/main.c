/*
 * hrx-scheduler: the single writer of an hrx data directory.
 *
 * nginx workers never write the database.  They append commands to a ring
 * in shared memory (<data_dir>/hrx.shm) and wait for this process to apply
 * them, commit, and put the reply in their slot (loop.c).  This file is
 * only the outside of that: the command line, the data directory's lock,
 * signals, and the order things are opened and closed in.
 *
 * Two modes:
 *   --init    make the data directory ready (init.c) and exit;
 *   (default) run until SIGTERM or SIGINT.
 *
 * The run mode refuses a directory that --init has not prepared rather
 * than quietly creating a database without an admin nobody can log in as.
 * Signal handlers only set flags (loop.h); all real work on a signal
 * happens in the loop between batches, so a batch is never cut in half by
 * a stop and the log is never reopened in the middle of a line.
 *
 * Exit codes: 0 clean stop (or --init done), 1 cannot start (said why on
 * stderr and in the log), 2 bad command line.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hrx_crypto.h"
#include "hrx_shm.h"
#include "hrx_token.h"
#include "hrx_whatsapp.h"
#include "backup.h"
#include "bulk_run.h"
#include "datadir.h"
#include "init.h"
#include "log.h"
#include "loop.h"
#include "outbox.h"
#include "store.h"
#include "store_checkpoint.h"

#define HRX_SCHEDULER_VERSION  "0.1.0"
#define MAIN_URL_MAX           512
#define MAIN_HOST_MAX          254

/* long options without a short letter */
enum {
    MAIN_OPT_MAIL_CONCURRENCY = 256,
    MAIN_OPT_RETRY_BASE_MS,
    MAIN_OPT_MAX_ATTEMPTS,
    MAIN_OPT_SMTP_TIMEOUT_MS,
    MAIN_OPT_CA_FILE,
    MAIN_OPT_PUBLIC_URL,
    MAIN_OPT_MAIL_HOST,
    MAIN_OPT_LINE_API_URL,
    MAIN_OPT_WA_API_URL,
    MAIN_OPT_WA_API_VERSION,
    MAIN_OPT_CRASH_AFTER_COMMIT,
    MAIN_OPT_BACKUP,
    MAIN_OPT_RESTORE
};

typedef struct {
    const char        *data_dir;
    int                init;
    const char        *backup_to;       /* --backup DEST */
    const char        *restore_from;    /* --restore SRC */
    const char        *admin_email;
    int                log_stderr;
    hrx_shm_params_t   shm;
    loop_conf_t        loop;
    outbox_conf_t      outbox;          /* seal_key filled by main_run */
    char               public_url[MAIN_URL_MAX];
    char               mail_host[MAIN_HOST_MAX];
    char               line_api_url[MAIN_URL_MAX];
    char               wa_api_url[MAIN_URL_MAX];
    char               wa_api_version[HRX_WA_API_VERSION_MAX + 1];
    int                run_options;     /* any run-only option given */
} main_args_t;

static const char main_usage[] =
"usage: hrx-scheduler --data-dir DIR --init [--admin-email EMAIL]\n"
"       hrx-scheduler --data-dir DIR [--log-stderr] [--ring-size BYTES]\n"
"                     [--slots N] [--slot-size BYTES] [--max-batch N]\n"
"                     [--unblock-timeout-ms N] [--mail-concurrency N]\n"
"                     [--retry-base-ms N] [--max-attempts N]\n"
"                     [--smtp-timeout-ms N] [--ca-file PATH]\n"
"                     [--public-url URL] [--mail-host NAME]\n"
"                     [--line-api-url URL] [--crash-after-commit N]\n"
"       hrx-scheduler --data-dir DIR --backup DEST\n"
"       hrx-scheduler --data-dir DIR --restore SRC\n"
"       hrx-scheduler --help | --version\n"
"\n"
"  --data-dir DIR          the hrx data directory (required)\n"
"  --init                  create DIR, its master key and database, and the\n"
"                          first admin (its password is printed once)\n"
"  --admin-email EMAIL     the first admin's email (admin@localhost)\n"
"  --log-stderr            copy the log (DIR/logs/scheduler.log) to stderr\n"
"  --ring-size BYTES       command ring, a power of two (default 8 MiB)\n"
"  --slots N               reply slots (default 4096)\n"
"  --slot-size BYTES       bytes per reply slot, a multiple of 64\n"
"                          (default 4096)\n"
"  --max-batch N           commands per transaction (default 1000)\n"
"  --unblock-timeout-ms N  skip a record its producer never committed after\n"
"                          this long (default 1000)\n"
"  --mail-concurrency N    mails sent at once (a thread each), 1 to 64\n"
"                          (default 8)\n"
"  --retry-base-ms N       first retry of a mail after this long, doubling\n"
"                          per attempt up to an hour (default 30000)\n"
"  --max-attempts N        attempts before a mail fails (default 8)\n"
"  --smtp-timeout-ms N     one SMTP transfer, all in (default 60000)\n"
"  --ca-file PATH          CA certificates for SMTP servers (a private CA)\n"
"  --public-url URL        base of the links in mail\n"
"                          (default http://127.0.0.1:8080)\n"
"  --mail-host NAME        right-hand side of Message-IDs (default: this\n"
"                          host's name)\n"
"  --line-api-url URL      LINE Messaging API base for pushes\n"
"                          (default https://api.line.me)\n"
"  --whatsapp-api-url URL  WhatsApp Cloud API (Graph API) base\n"
"                          (default " HRX_WA_API_URL ")\n"
"  --whatsapp-api-version V  Graph API version in its paths\n"
"                          (default " HRX_WA_API_VERSION ")\n"
"  --crash-after-commit N  for crash tests: exit at once, replying to\n"
"                          nobody, when the Nth batch has committed\n"
"  --backup DEST           copy the database (as of one commit) and the\n"
"                          master key into DEST, beside a running scheduler\n"
"  --restore SRC           make DIR (empty) from a backup in SRC\n"
"\n"
"The three sizes apply when DIR/hrx.shm is created; an existing file keeps\n"
"its own.\n";

/* -------------------------------------------------------------------- */
/* command line */

static int
main_usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "hrx-scheduler: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", main_usage);
    return 2;
}

/* a decimal number in [min, max]; -1 when it is not */
static int
main_number(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char                *end;
    unsigned long long   v;

    if (*s < '0' || *s > '9') {
        return -1;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max) {
        return -1;
    }
    *out = v;
    return 0;
}

/*
 * The base of links in mail: http(s)://, printable, no spaces, stored
 * without trailing slashes (links are made as <base>/f/<token>).  0 / -1.
 */
static int
main_public_url(const char *s, char out[MAIN_URL_MAX])
{
    const char  *host;
    size_t       n, i;

    n = strlen(s);
    if ((strncmp(s, "http://", 7) != 0 && strncmp(s, "https://", 8) != 0)
        || n >= MAIN_URL_MAX)
    {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if ((unsigned char) s[i] <= ' ' || (unsigned char) s[i] >= 0x7f) {
            return -1;
        }
    }
    while (n > 0 && s[n - 1] == '/') {
        n--;
    }
    host = strstr(s, "://") + 3;
    if (host >= s + n || *host == '/') {
        return -1;                     /* no host */
    }
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

/* the right-hand side of a Message-ID: letters, digits, '.', '-' */
static int
main_host_name(const char *s, char out[MAIN_HOST_MAX])
{
    size_t  n, i;

    n = strlen(s);
    if (n == 0 || n >= MAIN_HOST_MAX) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')
              || (s[i] >= '0' && s[i] <= '9') || s[i] == '.' || s[i] == '-'))
        {
            return -1;
        }
    }
    memcpy(out, s, n + 1);
    return 0;
}

/* 0, or the exit code (2) after printing usage */
static int
main_parse(int argc, char **argv, main_args_t *a)
{
    static const struct option  options[] = {
        { "data-dir",            required_argument, NULL, 'd' },
        { "init",                no_argument,       NULL, 'i' },
        { "admin-email",         required_argument, NULL, 'e' },
        { "log-stderr",          no_argument,       NULL, 'l' },
        { "ring-size",           required_argument, NULL, 'r' },
        { "slots",               required_argument, NULL, 's' },
        { "slot-size",           required_argument, NULL, 'z' },
        { "max-batch",           required_argument, NULL, 'b' },
        { "unblock-timeout-ms",  required_argument, NULL, 'u' },
        { "mail-concurrency",    required_argument, NULL,
          MAIN_OPT_MAIL_CONCURRENCY },
        { "retry-base-ms",       required_argument, NULL,
          MAIN_OPT_RETRY_BASE_MS },
        { "max-attempts",        required_argument, NULL,
          MAIN_OPT_MAX_ATTEMPTS },
        { "smtp-timeout-ms",     required_argument, NULL,
          MAIN_OPT_SMTP_TIMEOUT_MS },
        { "ca-file",             required_argument, NULL, MAIN_OPT_CA_FILE },
        { "public-url",          required_argument, NULL,
          MAIN_OPT_PUBLIC_URL },
        { "mail-host",           required_argument, NULL, MAIN_OPT_MAIL_HOST },
        { "line-api-url",        required_argument, NULL,
          MAIN_OPT_LINE_API_URL },
        { "whatsapp-api-url",    required_argument, NULL,
          MAIN_OPT_WA_API_URL },
        { "whatsapp-api-version", required_argument, NULL,
          MAIN_OPT_WA_API_VERSION },
        { "crash-after-commit",  required_argument, NULL,
          MAIN_OPT_CRASH_AFTER_COMMIT },
        { "backup",              required_argument, NULL, MAIN_OPT_BACKUP },
        { "restore",             required_argument, NULL, MAIN_OPT_RESTORE },
        { "help",                no_argument,       NULL, 'h' },
        { "version",             no_argument,       NULL, 'V' },
        { NULL, 0, NULL, 0 }
    };
    uint64_t  v;
    int       c;

    memset(a, 0, sizeof(*a));
    a->admin_email = "admin@localhost";
    hrx_shm_default_params(&a->shm);
    a->loop.max_batch = 1000;
    a->loop.unblock_timeout_ms = 1000;
    a->outbox.concurrency = 8;
    a->outbox.retry_base_ms = 30000;
    a->outbox.max_attempts = 8;
    a->outbox.timeout_ms = 60000;
    strcpy(a->public_url, "http://127.0.0.1:8080");
    strcpy(a->line_api_url, "https://api.line.me");
    strcpy(a->wa_api_url, HRX_WA_API_URL);
    strcpy(a->wa_api_version, HRX_WA_API_VERSION);

    opterr = 0;
    while ((c = getopt_long(argc, argv, "", options, NULL)) != -1) {
        switch (c) {

        case 'd':
            a->data_dir = optarg;
            break;

        case 'i':
            a->init = 1;
            break;

        case 'e':
            a->admin_email = optarg;
            if (strlen(optarg) > 254 || strchr(optarg, '@') == NULL
                || optarg[0] == '@')
            {
                return main_usage_error("not an email address: %s", optarg);
            }
            break;

        case 'l':
            a->log_stderr = 1;
            break;

        case 'r':
            if (main_number(optarg, 1024, 1u << 30, &v) != 0
                || (v & (v - 1)) != 0)
            {
                return main_usage_error("--ring-size must be a power of two "
                                        "from 1024 to 1073741824, not %s",
                                        optarg);
            }
            a->shm.ring_capacity = v;
            a->loop.shm_sizes_given = 1;
            a->run_options = 1;
            break;

        case 's':
            if (main_number(optarg, 1, 1u << 20, &v) != 0) {
                return main_usage_error("--slots must be 1 to 1048576, "
                                        "not %s", optarg);
            }
            a->shm.slot_count = (uint32_t) v;
            a->loop.shm_sizes_given = 1;
            a->run_options = 1;
            break;

        case 'z':
            if (main_number(optarg, 256, 1u << 20, &v) != 0 || v % 64 != 0) {
                return main_usage_error("--slot-size must be a multiple of "
                                        "64 from 256 to 1048576, not %s",
                                        optarg);
            }
            a->shm.slot_size = (uint32_t) v;
            a->loop.shm_sizes_given = 1;
            a->run_options = 1;
            break;

        case 'b':
            if (main_number(optarg, 1, 100000, &v) != 0) {
                return main_usage_error("--max-batch must be 1 to 100000, "
                                        "not %s", optarg);
            }
            a->loop.max_batch = (uint32_t) v;
            a->run_options = 1;
            break;

        case 'u':
            if (main_number(optarg, 10, 3600000, &v) != 0) {
                return main_usage_error("--unblock-timeout-ms must be 10 to "
                                        "3600000, not %s", optarg);
            }
            a->loop.unblock_timeout_ms = (uint32_t) v;
            a->run_options = 1;
            break;

        case MAIN_OPT_MAIL_CONCURRENCY:
            if (main_number(optarg, 1, 64, &v) != 0) {
                return main_usage_error("--mail-concurrency must be 1 to 64, "
                                        "not %s", optarg);
            }
            a->outbox.concurrency = (uint32_t) v;
            a->run_options = 1;
            break;

        case MAIN_OPT_RETRY_BASE_MS:
            if (main_number(optarg, 1, 3600000, &v) != 0) {
                return main_usage_error("--retry-base-ms must be 1 to "
                                        "3600000, not %s", optarg);
            }
            a->outbox.retry_base_ms = (uint32_t) v;
            a->run_options = 1;
            break;

        case MAIN_OPT_MAX_ATTEMPTS:
            if (main_number(optarg, 1, 100, &v) != 0) {
                return main_usage_error("--max-attempts must be 1 to 100, "
                                        "not %s", optarg);
            }
            a->outbox.max_attempts = (uint32_t) v;
            a->run_options = 1;
            break;

        case MAIN_OPT_SMTP_TIMEOUT_MS:
            if (main_number(optarg, 100, 3600000, &v) != 0) {
                return main_usage_error("--smtp-timeout-ms must be 100 to "
                                        "3600000, not %s", optarg);
            }
            a->outbox.timeout_ms = (uint32_t) v;
            a->run_options = 1;
            break;

        case MAIN_OPT_CA_FILE:
            if (optarg[0] == '\0') {
                return main_usage_error("%s", "--ca-file needs a path");
            }
            a->outbox.ca_file = optarg;
            a->run_options = 1;
            break;

        case MAIN_OPT_PUBLIC_URL:
            if (main_public_url(optarg, a->public_url) != 0) {
                return main_usage_error("--public-url must be an http:// or "
                                        "https:// URL, not %s", optarg);
            }
            a->run_options = 1;
            break;

        case MAIN_OPT_MAIL_HOST:
            if (main_host_name(optarg, a->mail_host) != 0) {
                return main_usage_error("--mail-host must be a host name, "
                                        "not %s", optarg);
            }
            a->run_options = 1;
            break;

        case MAIN_OPT_LINE_API_URL:
            /* the same shape as a public URL: http(s), a host, no '/' at
             * the end (the push path is appended) */
            if (main_public_url(optarg, a->line_api_url) != 0) {
                return main_usage_error("--line-api-url must be an http:// "
                                        "or https:// URL, not %s", optarg);
            }
            a->run_options = 1;
            break;

        case MAIN_OPT_WA_API_URL:
            if (main_public_url(optarg, a->wa_api_url) != 0) {
                return main_usage_error("--whatsapp-api-url must be an "
                                        "http:// or https:// URL, not %s",
                                        optarg);
            }
            a->run_options = 1;
            break;

        case MAIN_OPT_WA_API_VERSION:
            if (!hrx_wa_api_version_valid(optarg, strlen(optarg))) {
                return main_usage_error("--whatsapp-api-version must be "
                                        "like v25.0, not %s", optarg);
            }
            strcpy(a->wa_api_version, optarg);
            a->run_options = 1;
            break;

        case MAIN_OPT_CRASH_AFTER_COMMIT:
            if (main_number(optarg, 1, UINT32_MAX, &v) != 0) {
                return main_usage_error("--crash-after-commit must be a "
                                        "positive number, not %s", optarg);
            }
            a->loop.crash_after_commit = (uint32_t) v;
            a->run_options = 1;
            break;

        case 'h':
            fputs(main_usage, stdout);
            exit(0);

        case MAIN_OPT_BACKUP:
            a->backup_to = optarg;
            break;

        case MAIN_OPT_RESTORE:
            a->restore_from = optarg;
            break;

        case 'V':
            printf("hrx-scheduler %s\n", HRX_SCHEDULER_VERSION);
            exit(0);

        default:
            return main_usage_error("unknown or incomplete option %s",
                                    argv[optind - 1]);
        }
    }

    if (optind < argc) {
        return main_usage_error("unexpected argument %s", argv[optind]);
    }
    if (a->data_dir == NULL || a->data_dir[0] == '\0') {
        return main_usage_error("%s", "--data-dir is required");
    }
    if ((a->init != 0) + (a->backup_to != NULL) + (a->restore_from != NULL)
        > 1)
    {
        return main_usage_error("%s", "--init, --backup and --restore go "
                                "alone");
    }
    if ((a->backup_to != NULL || a->restore_from != NULL) && a->run_options) {
        return main_usage_error("%s", "--backup and --restore take no run "
                                "options");
    }
    if (a->init && a->run_options) {
        return main_usage_error("%s", "--init takes no run options");
    }
    if (!a->init && a->admin_email != NULL
        && strcmp(a->admin_email, "admin@localhost") != 0)
    {
        return main_usage_error("%s", "--admin-email goes with --init");
    }
    return 0;
}

/* -------------------------------------------------------------------- */
/* signals */

static void
main_on_stop(int signo)
{
    (void) signo;
    loop_stop_requested = 1;
}

static void
main_on_hup(int signo)
{
    (void) signo;
    loop_reopen_log_requested = 1;
}

/*
 * No SA_RESTART: a stop must interrupt the futex wait of an idle loop at
 * once rather than after its timeout.
 */
static int
main_signals(void)
{
    struct sigaction  sa;

    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);

    sa.sa_handler = main_on_stop;
    if (sigaction(SIGTERM, &sa, NULL) == -1
        || sigaction(SIGINT, &sa, NULL) == -1)
    {
        return -1;
    }

    sa.sa_handler = main_on_hup;
    if (sigaction(SIGHUP, &sa, NULL) == -1) {
        return -1;
    }

    sa.sa_handler = SIG_IGN;
    return sigaction(SIGPIPE, &sa, NULL);
}

/* -------------------------------------------------------------------- */
/* run */

static int
main_run(const main_args_t *a)
{
    store_t          *st = NULL;
    outbox_conf_t     oconf;
    bulk_run_conf_t   bconf;
    uint8_t           key[HRX_KEY_SIZE];
    char              db[4096], keypath[4096], path[4096], err[512];
    char              host[MAIN_HOST_MAX];
    struct stat       sb;
    int               lock_fd = -1, started = 0, bulk_started = 0;
    int               outbox_started = 0, ckpt_started = 0, rc = 1;

    oconf = a->outbox;
    oconf.data_dir = a->data_dir;
    oconf.line_api_url = a->line_api_url;
    oconf.wa_api_url = a->wa_api_url;
    oconf.wa_api_version = a->wa_api_version;
    memset(&bconf, 0, sizeof(bconf));
    bconf.public_url = a->public_url;
    bconf.mail_host = a->mail_host;
    if (a->mail_host[0] == '\0') {
        /* a name that cannot go into a Message-ID falls back to the
         * neutral "localhost" rather than stopping the start */
        memset(path, 0, sizeof(path));
        if (gethostname(path, sizeof(path) - 1) != 0
            || main_host_name(path, host) != 0)
        {
            strcpy(host, "localhost");
        }
        bconf.mail_host = host;
    }

    if (datadir_path(db, sizeof(db), a->data_dir, DATADIR_DB) != 0
        || datadir_path(keypath, sizeof(keypath), a->data_dir,
                        HRX_MASTER_KEY_FILE) != 0)
    {
        return 1;
    }

    if (stat(db, &sb) != 0 || stat(keypath, &sb) != 0) {
        log_tell("%s is not an initialised data directory (no %s or %s); "
                 "run: hrx-scheduler --data-dir %s --init",
                 a->data_dir, DATADIR_DB, HRX_MASTER_KEY_FILE, a->data_dir);
        return 1;
    }

    if (datadir_path(path, sizeof(path), a->data_dir, DATADIR_LOGS) != 0
        || datadir_mkdir(path) != 0
        || datadir_path(path, sizeof(path), a->data_dir,
                        DATADIR_LOG_FILE) != 0)
    {
        return 1;
    }
    if (log_open(path, a->log_stderr) != 0) {
        log_tell("cannot open %s: %s", path, strerror(errno));
        return 1;
    }

    lock_fd = datadir_lock(a->data_dir);
    if (lock_fd == -1) {
        goto done;
    }

    /* a key that does not load must stop the start, not the first mail
     * that needs it; only keys derived from it are kept */
    if (hrx_master_key_load(keypath, key, err, sizeof(err)) != 0) {
        log_tell("%s", err);
        goto done;
    }
    if (hrx_derive_key(key, HRX_SEAL_KEY_LABEL, oconf.seal_key) != 0
        || hrx_token_key(key, bconf.token_key) != 0)
    {
        explicit_bzero(key, sizeof(key));
        log_tell("cannot derive keys from %s", keypath);
        goto done;
    }
    explicit_bzero(key, sizeof(key));

    if (oconf.ca_file != NULL && access(oconf.ca_file, R_OK) != 0) {
        log_tell("--ca-file %s: %s", oconf.ca_file, strerror(errno));
        goto done;
    }

    st = store_open(db, err, sizeof(err));
    if (st == NULL) {
        log_tell("%s", err);
        goto done;
    }
    if (store_migrate(st) != STORE_OK) {
        log_tell("%s: %s", db, store_errmsg(st));
        goto done;
    }

    /* a failure is logged; the connection then checkpoints by itself */
    ckpt_started = (store_checkpoint_start(st, db) == 0);

    if (main_signals() != 0) {
        log_tell("sigaction: %s", strerror(errno));
        goto done;
    }

    if (datadir_path(path, sizeof(path), a->data_dir, HRX_SHM_FILE) != 0) {
        goto done;
    }
    if (loop_start(st, path, &a->shm, &a->loop, a->data_dir) != 0) {
        log_tell("cannot start; see %s/%s", a->data_dir, DATADIR_LOG_FILE);
        goto done;
    }
    started = 1;

    /* both publish through the loop's shm: started after it, finished
     * before it; the outbox's last commit tells bulk_run, so it goes
     * first */
    if (bulk_run_start(st, loop_shm(), &bconf) != 0) {
        log_tell("cannot start; see %s/%s", a->data_dir, DATADIR_LOG_FILE);
        goto done;
    }
    bulk_started = 1;

    if (outbox_start(st, &oconf) != 0) {
        goto done;
    }
    outbox_started = 1;

    rc = loop_run();

done:
    if (outbox_started) {
        outbox_finish();
    }
    if (bulk_started) {
        bulk_run_finish();
    }
    if (started) {
        loop_finish();
    }
    explicit_bzero(&oconf, sizeof(oconf));
    explicit_bzero(&bconf, sizeof(bconf));
    if (ckpt_started) {
        store_checkpoint_stop();
    }
    store_close(st);
    if (started) {
        log_info("stopped");
    }
    if (lock_fd != -1) {
        close(lock_fd);
    }
    log_close();
    return rc;
}

int
main(int argc, char **argv)
{
    main_args_t  a;
    int          rc;

    rc = main_parse(argc, argv, &a);
    if (rc != 0) {
        return rc;
    }

    if (a.init) {
        return init_data_dir(a.data_dir, a.admin_email, a.log_stderr);
    }
    if (a.backup_to != NULL) {
        return backup_make(a.data_dir, a.backup_to);
    }
    if (a.restore_from != NULL) {
        return backup_restore(a.restore_from, a.data_dir);
    }
    return main_run(&a);
}
