/*
 * callbacks — the libmilter side: the filter description with its
 * callbacks, per-connection state, and enforcement at end of message.
 * Everything decided comes from decision.c; this file only gathers the
 * message, carries the plan out through libmilter and records it.
 */
#ifndef CONSENT_MILTER_CALLBACKS_H
#define CONSENT_MILTER_CALLBACKS_H

#include <libmilter/mfapi.h>
#include <stdbool.h>

/* The filter to register with smfi_register. */
struct smfiDesc *callbacks_filter(void);

/* Tells the callbacks whether the MTA reaches us over TCP (inet:, inet6:)
 * rather than a local socket; decides what is negotiated (see
 * on_negotiate). Call once before smfi_main(); the default is TCP. */
void callbacks_set_tcp(bool tcp);

/* From now on, new connections and new messages get a tempfail (the MTA
 * keeps them and retries); messages already under way go on. Debian's
 * libmilter stops serving every session once smfi_stop() is called, so a
 * graceful stop drains first and stops libmilter after. */
void callbacks_begin_drain(void);

/* Waits up to `seconds` for messages in flight to finish; true if none is
 * left. */
bool callbacks_wait_idle(int seconds);

#endif
