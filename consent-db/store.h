/*
 * store — the consent store: one SQLite file holding, per address, the
 * append-only history of consent events (grant, withdraw, object, unobject)
 * from which the current consent state is derived.
 *
 * Writers (consentctl) open it read-write; the milter opens it read-only
 * and keeps one connection, with its prepared lookup, per thread. A store
 * handle is never shared between threads. Because the file is in WAL mode a
 * reader sees every committed change on its next lookup, with no reopen.
 *
 * The store never deletes or rewrites an event (the schema refuses UPDATE
 * and DELETE on the history), never modifies a file that is not a consent
 * store or whose schema is newer than this program, and never decides
 * whether a mail may be sent: that is store_decide() in decide.h.
 *
 * Errors: functions that can fail return 0 / -1 (or a pointer / NULL) and
 * fill the caller's char err[STORE_ERR_MAX] with a sentence a user can act on.
 */
#ifndef CONSENT_DB_STORE_H
#define CONSENT_DB_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define STORE_ERR_MAX 256
#define STORE_ADDRESS_MAX 320 /* 64 local + '@' + 255 domain */
#define STORE_PURPOSE_MAX 64
#define STORE_SOURCE_MAX 1024
#define STORE_EVIDENCE_MAX 4096
#define STORE_BY_MAX 256
#define STORE_SCHEMA_VERSION 3
#define STORE_DEFAULT_PURPOSE "marketing"
/* The purpose whose grant covers every own-marketing purpose (LEGAL.md). */
#define STORE_UMBRELLA_PURPOSE "marketing"

typedef struct store store;

typedef enum store_action {
    STORE_GRANT = 0,
    STORE_WITHDRAW,
    STORE_OBJECT,
    STORE_UNOBJECT,
} store_action;

typedef enum consent_kind {
    CONSENT_NONE = 0,
    CONSENT_GRANTED,
    CONSENT_WITHDRAWN,
    CONSENT_OBJECTED,
    CONSENT_EXPIRED,
} consent_kind;

/* The state that decides a promotional mail for one address and purpose:
 * which kind, the purpose of the event that decided it ("" for none, "*"
 * for an objection) and that event's time (0 for none). */
typedef struct consent_state {
    consent_kind kind;
    char purpose[STORE_PURPOSE_MAX + 1];
    int64_t at;
} consent_state;

/* One event of the history. Strings are borrowed: valid for the duration
 * of the call that receives or takes them. */
typedef struct store_event {
    int64_t id;          /* set by the store; ignored by store_record */
    const char *address; /* as stored (domain lower-cased) */
    store_action action;
    const char *purpose; /* "*" for object and unobject */
    int64_t at;          /* when it happened, seconds since the epoch, UTC */
    const char *source;
    const char *evidence;
    const char *recorded_by;
    int64_t recorded_at; /* when it was written into the store */
} store_event;

enum store_open_flags {
    STORE_READONLY = 1 << 0, /* the milter: never writes, never migrates */
    STORE_CREATE = 1 << 1,   /* consentctl init: create or upgrade the file */
    /* With STORE_READONLY, for one-shot reads: where this user cannot create
     * the -wal/-shm files beside the store and no -wal file exists, read the
     * file as it stands rather than fail. Never for the milter, which must
     * see later changes. */
    STORE_SNAPSHOT = 1 << 2,
};

/* Formats an error sentence into err, truncated to fit (names.c). */
void store_errf(char err[STORE_ERR_MAX], const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* ---- addresses (address.c) ------------------------------------------- */

/* Normalises an address as given on the command line, in a CSV file or in
 * SMTP RCPT (surrounding blanks and one pair of angle brackets removed) to
 * the mailbox the MTA delivers to: unneeded quoting of the local part
 * removed (a needed one kept, with only '"' and '\' escaped), a source
 * route and one trailing dot of the domain dropped.
 * Writes the stored form (domain lower-cased, local part's case kept) to `stored`
 * and the comparison key (local part case-folded as well) to `key`; both
 * buffers must hold STORE_ADDRESS_MAX + 1 bytes. Returns -1 with err filled
 * for anything that is not a plausible mailbox: no '@', empty or over-long
 * parts, control characters, invalid UTF-8, a malformed domain. */
int store_address_normalise(const char *in, char stored[STORE_ADDRESS_MAX + 1],
                            char key[STORE_ADDRESS_MAX + 1], char err[STORE_ERR_MAX]);

/* ---- files (files.c) --------------------------------------------------- */

/* The mode of a new consent or audit store (the consent history is
 * personal data): owner read-write, group read, others nothing. */
#define STORE_FILE_MODE 0640

/* Creates path as an empty file with STORE_FILE_MODE (less the umask,
 * which can only make it stricter) and the group of its directory where
 * this user may give it that group. An existing file is left as it is.
 * Called before SQLite creates a store, whose -wal, -shm and -journal then
 * get the same mode. */
int store_file_create_private(const char *path, char err[STORE_ERR_MAX]);

/* ---- text shown to people (textout.c) --------------------------------- */

/* Writes `in` into out (outsz bytes, NUL-terminated, truncated at a
 * character boundary) as it may be shown on a terminal or in a log:
 * LF, CR and TAB as \n, \r, \t, other control characters and bytes that
 * are no UTF-8 as \xNN, C1 controls, line separators and bidirectional
 * overrides as \uNNNN; everything else as it is. Returns the length
 * written. Every value that came from the network or from a file goes
 * through this (or store_text_print) before it is printed or logged. */
size_t store_text_escape(const char *in, char *out, size_t outsz);
/* The same, written to a stream. */
void store_text_print(FILE *out, const char *in);

/* ---- names and times (names.c) ---------------------------------------- */

int store_action_parse(const char *name, store_action *out);
const char *store_action_name(store_action action);
const char *consent_kind_name(consent_kind kind);

/* A purpose is 1..STORE_PURPOSE_MAX of [a-z0-9._-] (lower case). */
bool store_purpose_valid(const char *purpose);

/* Parses ISO 8601: "2024-05-01", "2024-05-01T10:00:00", with optional
 * fraction and "Z" or "+02:00"; a time without zone is UTC. Returns -1 for
 * anything else. */
int store_time_parse(const char *text, int64_t *out);
/* Formats as "2024-05-01T10:00:00Z" into buf (at least 21 bytes). */
void store_time_format(int64_t t, char *buf, size_t bufsz);

/* ---- state (state.c), pure -------------------------------------------- */

/* Derives the consent state for `purpose` from an address's history, given
 * in recording order (ascending id):
 *   - an object event not followed (in recording order) by an unobject
 *     makes the address objected, for every purpose, whatever grants come
 *     later or carry later times;
 *   - otherwise the grant/withdraw event with the latest `at` among those for
 *     `purpose` and for "marketing" decides (at equal times, the one recorded
 *     last); for the
 *     purpose "marketing" itself a withdrawal of any purpose after the grant
 *     also counts, since a mail naming no purpose may be that one;
 *   - a deciding grant older than max_age seconds (0 = no limit) at `now`
 *     is expired. */
void store_state_derive(const store_event *events, size_t n, const char *purpose,
                        int64_t max_age, int64_t now, consent_state *out);

/* ---- the store (store.c, schema.c) ------------------------------------ */

/* Opens the store at path. Without STORE_CREATE a missing or empty file is
 * an error. A file that is not a consent store, or whose schema is newer
 * than STORE_SCHEMA_VERSION, is refused and left untouched. A read-write
 * open upgrades an older schema in place, in one transaction; a read-only
 * open refuses it. The caller owns the handle: store_close() it. */
store *store_open(const char *path, int flags, char err[STORE_ERR_MAX]);
/* The same, waiting up to busy_ms for another process's lock (also while
 * checking and upgrading the file); store_open waits 5000 ms. */
store *store_open_wait(const char *path, int flags, int busy_ms, char err[STORE_ERR_MAX]);
void store_close(store *s);

/* How long a call waits for a lock held by another process before it fails
 * (milliseconds). Default 5000. */
void store_set_busy_timeout(store *s, int ms);

int store_schema_version(store *s);

/* Reads the whole file to check its structure (PRAGMA quick_check). */
int store_check_integrity(store *s, char err[STORE_ERR_MAX]);

/* Appends one event. The address is normalised here; purpose defaults to
 * "marketing" for grant/withdraw and is "*" for object/unobject; `at` 0
 * means now; recorded_at is set to now. Refuses unobject without evidence. */
int store_record(store *s, const store_event *ev, char err[STORE_ERR_MAX]);

/* Looks up the state deciding a promotional mail for `purpose` (NULL:
 * "marketing"). The address may be in any accepted form; one that cannot
 * be normalised has no consent (CONSENT_NONE), since nothing can have been
 * recorded for it. case_sensitive_local compares the local part exactly for
 * grants and withdrawals; objections count under any spelling.
 * Returns -1 only when the store cannot be read (locked, corrupt, gone). */
int store_lookup(store *s, const char *address, const char *purpose,
                 bool case_sensitive_local, int64_t max_age, int64_t now,
                 consent_state *out, char err[STORE_ERR_MAX]);

/* Makes the lookups that follow, until store_snapshot_end, read one
 * snapshot of the store: every recipient of a message is judged against
 * the same state, and the file and WAL locks are taken once for all of
 * them instead of once per lookup. Returns -1 with err if it cannot begin.
 * store_snapshot_end is always safe to call, also after a failed lookup. */
int store_snapshot_begin(store *s, char err[STORE_ERR_MAX]);
void store_snapshot_end(store *s);

/* Calls fn for each event of the address's history, in recording order.
 * fn returns 0 to go on, non-zero to stop. */
typedef int (*store_event_fn)(const store_event *ev, void *ctx);
int store_history(store *s, const char *address, store_event_fn fn, void *ctx,
                  char err[STORE_ERR_MAX]);

/* Calls fn for every event in the store, in recording order. */
int store_each_event(store *s, store_event_fn fn, void *ctx, char err[STORE_ERR_MAX]);

/* ---- import and export (import.c, export.c) ---------------------------- */

typedef struct store_import_stats {
    long rows;
    long by_action[4]; /* indexed by store_action */
} store_import_stats;

/* Imports a CSV file (header row; columns by name: address required,
 * action, purpose, at, source, evidence) in one transaction: either every
 * row is recorded or none. On a bad row err names `name`, the line and the
 * field ("list.csv:12: field 'at': ..."). An "unobject" row is refused: an
 * import never lifts an objection.
 *
 * restore: the file is an export being restored into an empty store (the
 * store must hold no event): its recorded_by and recorded_at columns are
 * kept, and unobject rows (with evidence) are accepted, so the history comes
 * back exactly as it was. Without restore those columns are refused. */
int store_import_csv(store *s, FILE *in, const char *name, const char *recorded_by,
                     bool restore, store_import_stats *stats, char err[STORE_ERR_MAX]);

typedef enum store_export_format { STORE_EXPORT_CSV, STORE_EXPORT_JSON } store_export_format;

/* Writes the whole history: CSV with the import's header row (it restores
 * with store_import_csv(..., restore = true, ...)), or JSON Lines (one
 * object per event). */
int store_export(store *s, FILE *out, store_export_format format, char err[STORE_ERR_MAX]);

#endif
