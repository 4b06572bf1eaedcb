/*
 * runtime — the configuration snapshot the milter runs on: the parsed
 * configuration, the classifier built from its signals file, the open
 * audit store and the pool of read-only consent store handles, shared by reference count. A reload builds a new snapshot
 * and swaps it in; messages in flight finish on the one they started with.
 * This is the only mutable global of the daemon besides libmilter's own.
 */
#ifndef CONSENT_MILTER_RUNTIME_H
#define CONSENT_MILTER_RUNTIME_H

#include "audit.h"
#include "classifier.h"
#include "conf.h"
#include "storepool.h"

typedef struct runtime {
    conf *cfg;
    classifier *cls;
    audit *audit;
    storepool *pool; /* read-only handles on cfg->database */
    unsigned generation; /* changes with every swap */
    int refs;            /* guarded by the runtime lock */
} runtime;

/* Builds a snapshot from a configuration file: parses it, builds the
 * classifier, opens (creating) the audit store. NULL with err on failure. */
runtime *runtime_build(const char *config_path, char err[CONF_ERR_MAX]);

/* Frees a snapshot that was never installed. */
void runtime_free_unused(runtime *rt);

/* Makes rt the current snapshot (taking over the caller's reference) and
 * drops the previous one once nobody uses it. */
void runtime_install(runtime *rt);

/* The current snapshot, with a reference the caller must release. */
runtime *runtime_acquire(void);
void runtime_release(runtime *rt);

/* Drops the current snapshot (at exit). */
void runtime_shutdown(void);

#endif
