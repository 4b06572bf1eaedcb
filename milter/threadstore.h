/*
 * threadstore — each libmilter thread's own read-only handle on the consent
 * store, with its prepared lookup: opened on the thread's first message,
 * reopened when the configuration changes, when the file at the configured
 * path is replaced (a restore), or after an error; closed when the thread
 * ends. No per-message open().
 */
#ifndef CONSENT_MILTER_THREADSTORE_H
#define CONSENT_MILTER_THREADSTORE_H

#include "runtime.h"
#include "store.h"

/* The calling thread's store for rt, or NULL with err filled. */
store *threadstore_get(const runtime *rt, char err[STORE_ERR_MAX]);

/* Forget the calling thread's handle (after a failed lookup), so that the
 * next message opens the file afresh. */
void threadstore_drop(void);

#endif
