/*
 * milter_load — a load driver that speaks the milter protocol to a milter
 * as an MTA does, over persistent connections, and measures it.
 *
 * Per connection: SMFIC_OPTNEG (protocol version 6, every action and every
 * protocol option offered), then SMFIC_CONNECT and SMFIC_HELO unless the
 * milter negotiated them away. Per message: SMFIC_MACRO + SMFIC_MAIL,
 * SMFIC_MACRO + SMFIC_RCPT per recipient, SMFIC_DATA, SMFIC_HEADER per
 * header, SMFIC_EOH, SMFIC_BODY chunks (at most 65535 bytes), SMFIC_BODYEOB,
 * then the replies up to the final one (modification actions such as
 * SMFIR_DELRCPT, SMFIR_CHGHEADER, SMFIR_ADDHEADER, SMFIR_QUARANTINE are
 * counted; SMFIR_REPLYCODE, accept, continue, reject, tempfail and discard
 * end the message). Every step the milter negotiated away (SMFIP_NO*) is
 * not sent; every step it asked not to answer (SMFIP_NR_*) is sent without
 * waiting. Commands that need no reply are buffered and go out with the next
 * one that does (one write, as little driver CPU as possible: the driver
 * shares the machine with the milter); -C writes every command on its own.
 *
 * Measures messages/s and two latencies, each in a log-linear histogram
 * (under 1% error): end of message (from sending SMFIC_BODYEOB to the final
 * reply) and the whole transaction (from MAIL to the final reply).
 *
 * Modes: closed loop (every connection sends its next message as soon as
 * the last one is answered: the peak rate), fixed rate (-R: the connections
 * share a total rate, each on its own schedule; messages that start late
 * are counted), idle (-I: connections negotiated and held open, nothing
 * sent, for capacity tests).
 *
 * Usage: milter_load -s SOCKET -m TEMPLATE.eml [options]
 *   -s SOCKET   inet:PORT@HOST (IPv4), inet6:PORT@HOST, or local:/path
 *   -m FILE     the message: headers, blank line, body (LF or CRLF lines)
 *   -c N        persistent connections, one thread each (default 1)
 *   -d SECONDS  measured duration (default 10)
 *   -n N        stop after N measured messages (in addition to -d)
 *   -w SECONDS  warm-up before measuring, not counted (default 1)
 *   -r N:PATTERN  N recipients made from PATTERN, in which %d becomes the
 *               recipient's number (repeatable; default 1:rcpt%d@example.com)
 *   -p POOL     number recipients over a pool of POOL per group, rotating
 *               from message to message (default: the same 0..N-1 each time)
 *   -f SENDER   envelope sender (default shop@example.com)
 *   -R RATE     fixed total rate in messages/s instead of closed loop
 *   -I          idle: negotiate, then hold the connections open
 *   -e RESULT   expected final result of every message: accept, continue,
 *               reject, tempfail, discard (default: any); others are counted
 *   -D N        expected SMFIR_DELRCPT per message (default: any)
 *   -T SECONDS  reply timeout (default 30)
 *   -C          no coalescing: one write per command
 *   -Q          acknowledge every reply at once (TCP_QUICKACK): takes the
 *               MTA's delayed ACK out of the picture when a milter sends a
 *               reply in several small writes with Nagle's algorithm on
 *
 * Output: a human summary, then one line "RESULT key=value ..." for scripts.
 * Exit status: 0, or 1 when a connection failed, a protocol error occurred
 * or a message ended otherwise than expected; 2 on usage errors.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <libmilter/mfdef.h>
#include <math.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "latency_hist.h"

#define MAX_GROUPS 8
#define IN_BUF (MILTER_CHUNK_SIZE + 64)
#define MAX_REPLY (1024 * 1024)

/* ---- options and shared state */

typedef struct group {
    unsigned count;
    char pattern[256];
} group;

typedef struct header {
    char *name, *value, *value_leadspc;
} header;

enum { R_ACCEPT, R_CONTINUE, R_REJECT, R_TEMPFAIL, R_DISCARD, R_OTHER, R_N };
static const char *const result_names[R_N] = {"accept", "continue", "reject", "tempfail",
                                              "discard", "other"};

enum { M_DELRCPT, M_ADDRCPT, M_CHGHEADER, M_ADDHEADER, M_INSHEADER, M_QUARANTINE, M_REPLBODY,
       M_CHGFROM, M_PROGRESS, M_N };
static const char *const mod_names[M_N] = {"delrcpt", "addrcpt", "chgheader", "addheader",
                                           "insheader", "quarantine", "replbody", "chgfrom",
                                           "progress"};

static struct {
    const char *socket, *template_path, *sender;
    int family;
    struct sockaddr_storage addr;
    socklen_t addrlen;
    unsigned conns;
    double duration, warmup, rate, timeout;
    uint64_t max_messages;
    group groups[MAX_GROUPS];
    unsigned ngroups, rcpts_per_message;
    unsigned pool;
    bool idle, no_coalesce, quickack;
    int expect; /* -1 any */
    long expect_delrcpt; /* -1 any */
    /* the message */
    header *headers;
    size_t nheaders;
    char *body;
    size_t body_len;
} opt = {
    .sender = "shop@example.com",
    .conns = 1,
    .duration = 10,
    .warmup = 1,
    .timeout = 30,
    .expect = -1,
    .expect_delrcpt = -1,
};

static pthread_mutex_t go_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t go_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t ready_cond = PTHREAD_COND_INITIALIZER;
static unsigned n_ready, n_failed_setup;
static bool go;
static double t_start, t_measure; /* set before go */
static atomic_bool stop;
static atomic_uint_fast64_t seq;      /* message numbers (queue ids) */
static atomic_uint_fast64_t measured; /* messages counted so far */
static atomic_uint negotiated_pflags, negotiated_aflags; /* as seen by connection 0 */

typedef struct conn {
    unsigned id;
    pthread_t tid;
    int fd;
    uint32_t aflags, pflags;
    /* output buffer */
    unsigned char *out;
    size_t out_len, out_cap;
    /* input buffer */
    unsigned char *in;
    size_t in_start, in_end;
    unsigned char *reply; /* a reply larger than the input buffer */
    /* statistics (measured window only, except where said) */
    latency_hist eom, txn;
    uint64_t messages, results[R_N], mods[M_N], rcpt_rejected, early_final, skips;
    uint64_t unexpected, all_messages, late, writes;
    double max_lag, last_done;
    bool connect_error, protocol_error, setup_done;
    char error[256];
} conn;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void fail(conn *c, const char *fmt_what, const char *detail)
{
    if (!c->protocol_error && !c->connect_error)
        snprintf(c->error, sizeof c->error, "connection %u: %s%s%s", c->id, fmt_what,
                 detail ? ": " : "", detail ? detail : "");
}

/* ---- output */

static void out_reserve(conn *c, size_t more)
{
    if (c->out_len + more <= c->out_cap)
        return;
    size_t cap = c->out_cap ? c->out_cap : 16384;
    while (cap < c->out_len + more)
        cap *= 2;
    unsigned char *p = realloc(c->out, cap);
    if (p == NULL) {
        fprintf(stderr, "milter_load: out of memory\n");
        exit(1);
    }
    c->out = p;
    c->out_cap = cap;
}

static void out_bytes(conn *c, const void *p, size_t n)
{
    out_reserve(c, n);
    memcpy(c->out + c->out_len, p, n);
    c->out_len += n;
}

/* Starts a command; returns the offset of its length field. */
static size_t cmd_begin(conn *c, char cmd)
{
    size_t at = c->out_len;
    unsigned char hdr[5] = {0, 0, 0, 0, (unsigned char)cmd};
    out_bytes(c, hdr, sizeof hdr);
    return at;
}

static void cmd_str(conn *c, const char *s)
{
    out_bytes(c, s, strlen(s) + 1);
}

static void cmd_end(conn *c, size_t at)
{
    uint32_t len = htonl((uint32_t)(c->out_len - at - 4));
    memcpy(c->out + at, &len, 4);
}

static int flush(conn *c)
{
    size_t off = 0;
    while (off < c->out_len) {
        ssize_t w = send(c->fd, c->out + off, c->out_len - off, MSG_NOSIGNAL);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            fail(c, "write", strerror(errno));
            c->protocol_error = true;
            return -1;
        }
        off += (size_t)w;
    }
    c->out_len = 0;
    c->writes++;
    return 0;
}

/* Ends a command and, with -C, writes it at once. */
static int cmd_done(conn *c, size_t at)
{
    cmd_end(c, at);
    return opt.no_coalesce ? flush(c) : 0;
}

/* ---- input */

static int fill(conn *c, size_t need)
{
    if (c->in_end - c->in_start >= need)
        return 0;
    if (c->in_start > 0) {
        memmove(c->in, c->in + c->in_start, c->in_end - c->in_start);
        c->in_end -= c->in_start;
        c->in_start = 0;
    }
    while (c->in_end < need) {
        if (opt.quickack) { /* Linux resets it after every ACK sent */
            int one = 1;
            setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
        }
        ssize_t r = recv(c->fd, c->in + c->in_end, IN_BUF - c->in_end, 0);
        if (r == 0) {
            fail(c, "the milter closed the connection", NULL);
            c->protocol_error = true;
            return -1;
        }
        if (r < 0) {
            if (errno == EINTR)
                continue;
            fail(c, "read", errno == EAGAIN || errno == EWOULDBLOCK ? "timed out"
                                                                    : strerror(errno));
            c->protocol_error = true;
            return -1;
        }
        c->in_end += (size_t)r;
    }
    return 0;
}

/* Reads one reply: *cmd, and its payload in *data (valid until the next
 * read) of *len bytes. */
static int read_reply(conn *c, char *cmd, const unsigned char **data, size_t *len)
{
    if (fill(c, 5) < 0)
        return -1;
    uint32_t n;
    memcpy(&n, c->in + c->in_start, 4);
    n = ntohl(n);
    if (n < 1 || n > MAX_REPLY) {
        char what[64];
        snprintf(what, sizeof what, "%u", n);
        fail(c, "bad reply length", what);
        c->protocol_error = true;
        return -1;
    }
    *cmd = (char)c->in[c->in_start + 4];
    size_t payload = n - 1;
    if (5 + payload <= IN_BUF) {
        if (fill(c, 5 + payload) < 0)
            return -1;
        *data = c->in + c->in_start + 5;
        c->in_start += 5 + payload;
    } else {
        /* larger than the buffer: collect it separately */
        free(c->reply);
        c->reply = malloc(payload);
        if (c->reply == NULL) {
            fprintf(stderr, "milter_load: out of memory\n");
            exit(1);
        }
        size_t have = c->in_end - c->in_start - 5;
        memcpy(c->reply, c->in + c->in_start + 5, have);
        c->in_start = c->in_end = 0;
        while (have < payload) {
            ssize_t r = recv(c->fd, c->reply + have, payload - have, 0);
            if (r <= 0) {
                if (r < 0 && errno == EINTR)
                    continue;
                fail(c, "read", r == 0 ? "connection closed" : strerror(errno));
                c->protocol_error = true;
                return -1;
            }
            have += (size_t)r;
        }
        *data = c->reply;
    }
    *len = payload;
    return 0;
}

/* ---- the protocol */

static int result_of(char cmd, const unsigned char *data, size_t len)
{
    switch (cmd) {
    case SMFIR_ACCEPT: return R_ACCEPT;
    case SMFIR_CONTINUE: return R_CONTINUE;
    case SMFIR_REJECT: return R_REJECT;
    case SMFIR_TEMPFAIL: return R_TEMPFAIL;
    case SMFIR_DISCARD: return R_DISCARD;
    case SMFIR_REPLYCODE:
        if (len > 0 && data[0] == '4')
            return R_TEMPFAIL;
        if (len > 0 && data[0] == '5')
            return R_REJECT;
        return R_OTHER;
    case SMFIR_SHUTDOWN:
    case SMFIR_CONN_FAIL:
        return R_TEMPFAIL;
    }
    return -1;
}

/* Waits for the reply to a step before end of message: 0 continue,
 * 1 final (*result set), 2 skip (body only), -1 error. */
/* A reply the protocol does not allow here: the connection is unusable. */
static void unexpected_reply(conn *c, const char *when, char cmd)
{
    char what[8];
    snprintf(what, sizeof what, "'%c'", cmd);
    fail(c, when, what);
    c->protocol_error = true;
}

static int step_reply(conn *c, int *result)
{
    if (flush(c) < 0)
        return -1;
    for (;;) {
        char cmd;
        const unsigned char *data;
        size_t len;
        if (read_reply(c, &cmd, &data, &len) < 0)
            return -1;
        if (cmd == SMFIR_PROGRESS)
            continue;
        if (cmd == SMFIR_CONTINUE)
            return 0;
        if (cmd == SMFIR_SKIP)
            return 2;
        int r = result_of(cmd, data, len);
        if (r < 0) {
            unexpected_reply(c, "unexpected reply before end of message", cmd);
            return -1;
        }
        *result = r;
        return 1;
    }
}

/* Ends the command begun at `at` and, unless the milter negotiated no
 * reply for it (nr_bit, an SMFIP_NR_* flag), reads its answer, as
 * step_reply: 0 go on, 1 the message ended (*result), 2 SMFIR_SKIP, -1 error. */
static int step(conn *c, size_t at, uint32_t nr_bit, int *result)
{
    if (cmd_done(c, at) < 0)
        return -1;
    return (c->pflags & nr_bit) ? 0 : step_reply(c, result);
}

static int negotiate(conn *c)
{
    size_t at = cmd_begin(c, SMFIC_OPTNEG);
    uint32_t v[3] = {htonl(SMFI_PROT_VERSION), htonl(SMFI_CURR_ACTS),
                     htonl(SMFI_CURR_PROT & ~(uint32_t)(SMFIP_MDS_256K | SMFIP_MDS_1M))};
    out_bytes(c, v, sizeof v);
    cmd_end(c, at);
    if (flush(c) < 0)
        return -1;
    char cmd;
    const unsigned char *data;
    size_t len;
    if (read_reply(c, &cmd, &data, &len) < 0)
        return -1;
    if (cmd != SMFIC_OPTNEG || len < MILTER_OPTLEN) {
        fail(c, "option negotiation refused", NULL);
        c->protocol_error = true;
        return -1;
    }
    uint32_t r[3];
    memcpy(r, data, sizeof r);
    c->aflags = ntohl(r[1]);
    c->pflags = ntohl(r[2]);
    if (c->id == 0) {
        atomic_store(&negotiated_aflags, c->aflags);
        atomic_store(&negotiated_pflags, c->pflags);
    }
    /* (a macro list may follow: we send our macros whatever it says) */

    if (!(c->pflags & SMFIP_NOCONNECT)) {
        at = cmd_begin(c, SMFIC_MACRO);
        out_bytes(c, (char[]){SMFIC_CONNECT}, 1);
        cmd_str(c, "j");
        cmd_str(c, "mta.bench.example");
        cmd_str(c, "{daemon_name}");
        cmd_str(c, "milter_load");
        cmd_end(c, at);
        at = cmd_begin(c, SMFIC_CONNECT);
        cmd_str(c, "localhost");
        out_bytes(c, (char[]){SMFIA_INET}, 1);
        uint16_t port = htons((uint16_t)(40000 + c->id % 20000));
        out_bytes(c, &port, 2);
        cmd_str(c, "127.0.0.1");
        int result = 0;
        int rc = step(c, at, SMFIP_NR_CONN, &result);
        if (rc < 0)
            return -1;
        if (rc == 1 && result != R_ACCEPT) {
            fail(c, "connection refused by the milter", result_names[result]);
            c->protocol_error = true;
            return -1;
        }
    }
    if (!(c->pflags & SMFIP_NOHELO)) {
        at = cmd_begin(c, SMFIC_HELO);
        cmd_str(c, "client.bench.example");
        int result = 0;
        if (step(c, at, SMFIP_NR_HELO, &result) < 0)
            return -1;
    }
    return flush(c);
}

/* Recipient j of message m, formatted with angle brackets. */
static void recipient(unsigned g, unsigned j, uint64_t m, char *buf, size_t size)
{
    unsigned long n = j;
    if (opt.pool > 0)
        n = (unsigned long)((m * opt.groups[g].count + j) % opt.pool);
    const char *p = opt.groups[g].pattern, *d = strstr(p, "%d");
    if (d == NULL)
        snprintf(buf, size, "<%s>", p);
    else
        snprintf(buf, size, "<%.*s%lu%s>", (int)(d - p), p, n, d + 2);
}

/* One message. Returns 0 (done; the outcome recorded), -1 on error. */
static int message(conn *c)
{
    uint64_t m = atomic_fetch_add(&seq, 1);
    char qid[32], rcpt[320];
    snprintf(qid, sizeof qid, "B%010llX", (unsigned long long)m);
    uint64_t t0 = now_ns(), t_eob = 0;
    int result = -1;
    uint64_t mods[M_N] = {0};
    size_t at;
    int rc;
    unsigned accepted_rcpts = 0, rejected_rcpts = 0;

    if (!(c->pflags & SMFIP_NOMAIL)) {
        char from[300];
        snprintf(from, sizeof from, "<%s>", opt.sender);
        at = cmd_begin(c, SMFIC_MACRO);
        out_bytes(c, (char[]){SMFIC_MAIL}, 1);
        cmd_str(c, "i");
        cmd_str(c, qid);
        cmd_str(c, "{mail_addr}");
        cmd_str(c, opt.sender);
        cmd_end(c, at);
        at = cmd_begin(c, SMFIC_MAIL);
        cmd_str(c, from);
        if ((rc = step(c, at, SMFIP_NR_MAIL, &result)) != 0) {
            if (rc < 0)
                return -1;
            goto early;
        }
    }
    for (unsigned g = 0; g < opt.ngroups; g++) {
        for (unsigned j = 0; j < opt.groups[g].count; j++) {
            recipient(g, j, m, rcpt, sizeof rcpt);
            if (c->pflags & SMFIP_NORCPT) {
                accepted_rcpts++;
                continue;
            }
            at = cmd_begin(c, SMFIC_MACRO);
            out_bytes(c, (char[]){SMFIC_RCPT}, 1);
            cmd_str(c, "{rcpt_addr}");
            size_t rlen = strlen(rcpt);
            out_bytes(c, rcpt + 1, rlen - 2); /* without the angle brackets */
            out_bytes(c, "", 1);
            cmd_end(c, at);
            at = cmd_begin(c, SMFIC_RCPT);
            cmd_str(c, rcpt);
            int r = R_CONTINUE;
            if ((rc = step(c, at, SMFIP_NR_RCPT, &r)) != 0) {
                if (rc < 0)
                    return -1;
                if (r == R_ACCEPT || r == R_DISCARD) { /* for the whole message */
                    result = r;
                    goto early;
                }
                rejected_rcpts++; /* this recipient only */
                continue;
            }
            accepted_rcpts++;
        }
    }
    c->rcpt_rejected += rejected_rcpts;
    if (accepted_rcpts == 0) {
        /* the MTA gives up the transaction */
        at = cmd_begin(c, SMFIC_ABORT);
        if (cmd_done(c, at) < 0 || flush(c) < 0)
            return -1;
        result = R_REJECT;
        goto early;
    }
    if (!(c->pflags & SMFIP_NODATA)) {
        at = cmd_begin(c, SMFIC_DATA);
        if ((rc = step(c, at, SMFIP_NR_DATA, &result)) != 0) {
            if (rc < 0)
                return -1;
            goto early;
        }
    }
    if (!(c->pflags & SMFIP_NOHDRS)) {
        bool leadspc = c->pflags & SMFIP_HDR_LEADSPC;
        for (size_t i = 0; i < opt.nheaders; i++) {
            at = cmd_begin(c, SMFIC_HEADER);
            cmd_str(c, opt.headers[i].name);
            cmd_str(c, leadspc ? opt.headers[i].value_leadspc : opt.headers[i].value);
            if ((rc = step(c, at, SMFIP_NR_HDR, &result)) != 0) {
                if (rc < 0)
                    return -1;
                goto early;
            }
        }
    }
    if (!(c->pflags & SMFIP_NOEOH)) {
        at = cmd_begin(c, SMFIC_EOH);
        if ((rc = step(c, at, SMFIP_NR_EOH, &result)) != 0) {
            if (rc < 0)
                return -1;
            goto early;
        }
    }
    if (!(c->pflags & SMFIP_NOBODY)) {
        for (size_t off = 0; off < opt.body_len;) {
            size_t n = opt.body_len - off;
            if (n > MILTER_CHUNK_SIZE)
                n = MILTER_CHUNK_SIZE;
            at = cmd_begin(c, SMFIC_BODY);
            out_bytes(c, opt.body + off, n);
            off += n;
            if ((rc = step(c, at, SMFIP_NR_BODY, &result)) != 0) {
                if (rc < 0)
                    return -1;
                if (rc == 2) { /* SMFIR_SKIP: no more body */
                    c->skips++;
                    break;
                }
                goto early;
            }
        }
    }
    at = cmd_begin(c, SMFIC_BODYEOB);
    cmd_end(c, at);
    if (flush(c) < 0)
        return -1;
    t_eob = now_ns();
    for (;;) {
        char cmd;
        const unsigned char *data;
        size_t len;
        if (read_reply(c, &cmd, &data, &len) < 0)
            return -1;
        int mod = -1;
        switch (cmd) {
        case SMFIR_DELRCPT: mod = M_DELRCPT; break;
        case SMFIR_ADDRCPT:
        case SMFIR_ADDRCPT_PAR: mod = M_ADDRCPT; break;
        case SMFIR_CHGHEADER: mod = M_CHGHEADER; break;
        case SMFIR_ADDHEADER: mod = M_ADDHEADER; break;
        case SMFIR_INSHEADER: mod = M_INSHEADER; break;
        case SMFIR_QUARANTINE: mod = M_QUARANTINE; break;
        case SMFIR_REPLBODY: mod = M_REPLBODY; break;
        case SMFIR_CHGFROM: mod = M_CHGFROM; break;
        case SMFIR_PROGRESS: mod = M_PROGRESS; break;
        }
        if (mod >= 0) {
            mods[mod]++;
            continue;
        }
        result = result_of(cmd, data, len);
        if (result < 0) {
            unexpected_reply(c, "unexpected reply at end of message", cmd);
            return -1;
        }
        break;
    }
    uint64_t t1 = now_ns();
    double done = (double)t1 / 1e9;
    c->all_messages++;
    if (done >= t_measure && !atomic_load(&stop)) {
        c->messages++;
        c->results[result]++;
        for (int i = 0; i < M_N; i++)
            c->mods[i] += mods[i];
        latency_hist_add(&c->eom, t1 - t_eob);
        latency_hist_add(&c->txn, t1 - t0);
        c->last_done = done;
        if ((opt.expect >= 0 && result != opt.expect) ||
            (opt.expect_delrcpt >= 0 && mods[M_DELRCPT] != (uint64_t)opt.expect_delrcpt))
            c->unexpected++;
        if (opt.max_messages && atomic_fetch_add(&measured, 1) + 1 >= opt.max_messages)
            atomic_store(&stop, true);
    }
    return 0;

early:
    c->all_messages++;
    if (now_s() >= t_measure && !atomic_load(&stop)) {
        uint64_t t_done = now_ns();
        c->messages++;
        c->early_final++;
        c->results[result]++;
        latency_hist_add(&c->txn, t_done - t0);
        c->last_done = (double)t_done / 1e9;
        if (opt.expect >= 0 && result != opt.expect)
            c->unexpected++;
        if (opt.max_messages && atomic_fetch_add(&measured, 1) + 1 >= opt.max_messages)
            atomic_store(&stop, true);
    }
    return 0;
}

static int open_socket(conn *c)
{
    c->fd = socket(opt.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        fail(c, "socket", strerror(errno));
        c->connect_error = true;
        return -1;
    }
    if (connect(c->fd, (struct sockaddr *)&opt.addr, opt.addrlen) < 0) {
        fail(c, "connect", strerror(errno));
        c->connect_error = true;
        return -1;
    }
    if (opt.family != AF_UNIX) {
        int one = 1;
        setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    struct timeval tv = {(time_t)opt.timeout,
                         (suseconds_t)((opt.timeout - (double)(time_t)opt.timeout) * 1e6)};
    setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    return 0;
}

static void sleep_until(double t)
{
    struct timespec ts = {(time_t)t, (long)((t - (double)(time_t)t) * 1e9)};
    while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
        ;
}

static void *worker(void *arg)
{
    conn *c = arg;
    bool ok = open_socket(c) == 0 && negotiate(c) == 0;
    pthread_mutex_lock(&go_lock);
    if (ok)
        n_ready++;
    else
        n_failed_setup++;
    c->setup_done = true;
    pthread_cond_signal(&ready_cond);
    while (!go)
        pthread_cond_wait(&go_cond, &go_lock);
    pthread_mutex_unlock(&go_lock);
    if (!ok)
        goto out;

    if (opt.idle) {
        while (!atomic_load(&stop))
            sleep_until(now_s() + 0.05);
    } else if (opt.rate > 0) {
        double interval = (double)opt.conns / opt.rate;
        double next = t_start + interval * c->id / opt.conns;
        while (!atomic_load(&stop)) {
            double now = now_s();
            if (now < next) {
                sleep_until(next);
            } else if (now - next > 0.001 && next >= t_measure) {
                c->late++;
                if (now - next > c->max_lag)
                    c->max_lag = now - next;
            }
            if (atomic_load(&stop) || message(c) < 0)
                break;
            next += interval;
        }
    } else {
        while (!atomic_load(&stop))
            if (message(c) < 0)
                break;
    }
    if (!c->protocol_error) {
        size_t at = cmd_begin(c, SMFIC_QUIT);
        cmd_end(c, at);
        flush(c);
    }
out:
    if (c->fd >= 0)
        close(c->fd);
    return NULL;
}

/* ---- set-up */

static void usage(void)
{
    fprintf(stderr,
            "usage: milter_load -s SOCKET -m TEMPLATE.eml [-c CONNS] [-d SECONDS] [-n MESSAGES]\n"
            "       [-w WARMUP] [-r N:PATTERN]... [-p POOL] [-f SENDER] [-R RATE | -I]\n"
            "       [-e accept|continue|reject|tempfail|discard] [-D DELRCPT] [-T TIMEOUT] [-C] [-Q]\n");
    exit(2);
}

static int parse_socket(const char *s)
{
    char host[256];
    const char *rest;
    if (strncmp(s, "local:", 6) == 0 || strncmp(s, "unix:", 5) == 0) {
        struct sockaddr_un *un = (struct sockaddr_un *)&opt.addr;
        const char *path = strchr(s, ':') + 1;
        if (strlen(path) >= sizeof un->sun_path)
            return -1;
        un->sun_family = AF_UNIX;
        strcpy(un->sun_path, path);
        opt.family = AF_UNIX;
        opt.addrlen = sizeof *un;
        return 0;
    }
    int family;
    if (strncmp(s, "inet:", 5) == 0) {
        family = AF_INET;
        rest = s + 5;
    } else if (strncmp(s, "inet6:", 6) == 0) {
        family = AF_INET6;
        rest = s + 6;
    } else {
        return -1;
    }
    const char *atsign = strchr(rest, '@');
    char port[16];
    if (atsign == NULL || (size_t)(atsign - rest) >= sizeof port || strlen(atsign + 1) >= sizeof host)
        return -1;
    memcpy(port, rest, (size_t)(atsign - rest));
    port[atsign - rest] = '\0';
    strcpy(host, atsign + 1);
    struct addrinfo hints = {.ai_family = family, .ai_socktype = SOCK_STREAM}, *res;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return -1;
    memcpy(&opt.addr, res->ai_addr, res->ai_addrlen);
    opt.addrlen = res->ai_addrlen;
    opt.family = res->ai_family;
    freeaddrinfo(res);
    return 0;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p == NULL) {
        fprintf(stderr, "milter_load: out of memory\n");
        exit(1);
    }
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

/* Reads the template: header fields (unfolded into one value with the line
 * breaks kept as "\n", as Postfix and sendmail pass them), and the body
 * with CRLF line ends, as the MTA sends it. */
static int load_template(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "milter_load: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 65536, len = 0;
    char *data = malloc(cap);
    size_t r;
    while (data != NULL && (r = fread(data + len, 1, cap - len - 1, f)) > 0) {
        len += r;
        if (cap - len - 1 == 0) {
            cap *= 2;
            char *p = realloc(data, cap);
            if (p == NULL)
                free(data);
            data = p;
        }
    }
    fclose(f);
    if (data == NULL) {
        fprintf(stderr, "milter_load: out of memory\n");
        return -1;
    }
    data[len] = '\0';

    size_t pos = 0, hcap = 0;
    while (pos < len) {
        size_t eol = pos;
        while (eol < len && data[eol] != '\n')
            eol++;
        size_t end = eol > pos && data[eol - 1] == '\r' ? eol - 1 : eol;
        if (end == pos) { /* blank line: the body follows */
            pos = eol + 1;
            break;
        }
        if (data[pos] == ' ' || data[pos] == '\t') {
            if (opt.nheaders == 0) {
                fprintf(stderr, "milter_load: %s: continuation line before any header\n", path);
                return -1;
            }
            header *h = &opt.headers[opt.nheaders - 1];
            for (int k = 0; k < 2; k++) {
                char **v = k ? &h->value_leadspc : &h->value;
                size_t old = strlen(*v), add = end - pos;
                char *p = realloc(*v, old + 1 + add + 1);
                if (p == NULL)
                    return -1;
                p[old] = '\n';
                memcpy(p + old + 1, data + pos, add);
                p[old + 1 + add] = '\0';
                *v = p;
            }
        } else {
            const char *colon = memchr(data + pos, ':', end - pos);
            if (colon == NULL) {
                fprintf(stderr, "milter_load: %s: header line without ':'\n", path);
                return -1;
            }
            if (opt.nheaders == hcap) {
                hcap = hcap ? hcap * 2 : 32;
                header *p = realloc(opt.headers, hcap * sizeof *p);
                if (p == NULL)
                    return -1;
                opt.headers = p;
            }
            header *h = &opt.headers[opt.nheaders++];
            h->name = xstrndup(data + pos, (size_t)(colon - (data + pos)));
            const char *v = colon + 1;
            h->value_leadspc = xstrndup(v, (size_t)(data + end - v));
            if (v < data + end && (*v == ' ' || *v == '\t'))
                v++;
            h->value = xstrndup(v, (size_t)(data + end - v));
        }
        pos = eol + 1;
    }
    /* the body, LF -> CRLF */
    opt.body = malloc(2 * (len - (pos < len ? pos : len)) + 1);
    if (opt.body == NULL)
        return -1;
    for (size_t i = pos; i < len; i++) {
        if (data[i] == '\n' && (i == pos || data[i - 1] != '\r'))
            opt.body[opt.body_len++] = '\r';
        opt.body[opt.body_len++] = data[i];
    }
    free(data);
    if (opt.nheaders == 0) {
        fprintf(stderr, "milter_load: %s: no header fields\n", path);
        return -1;
    }
    return 0;
}

static double number(const char *s, const char *what)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < 0) {
        fprintf(stderr, "milter_load: %s: not a number: %s\n", what, s);
        exit(2);
    }
    return v;
}

static void flags_text(uint32_t p, char *buf, size_t size)
{
    static const struct {
        uint32_t bit;
        const char *name;
    } names[] = {
        {SMFIP_NOCONNECT, "NOCONNECT"}, {SMFIP_NOHELO, "NOHELO"}, {SMFIP_NOMAIL, "NOMAIL"},
        {SMFIP_NORCPT, "NORCPT"}, {SMFIP_NOBODY, "NOBODY"}, {SMFIP_NOHDRS, "NOHDRS"},
        {SMFIP_NOEOH, "NOEOH"}, {SMFIP_NR_HDR, "NR_HDR"}, {SMFIP_NOUNKNOWN, "NOUNKNOWN"},
        {SMFIP_NODATA, "NODATA"}, {SMFIP_SKIP, "SKIP"}, {SMFIP_RCPT_REJ, "RCPT_REJ"},
        {SMFIP_NR_CONN, "NR_CONN"}, {SMFIP_NR_HELO, "NR_HELO"}, {SMFIP_NR_MAIL, "NR_MAIL"},
        {SMFIP_NR_RCPT, "NR_RCPT"}, {SMFIP_NR_DATA, "NR_DATA"}, {SMFIP_NR_UNKN, "NR_UNKN"},
        {SMFIP_NR_EOH, "NR_EOH"}, {SMFIP_NR_BODY, "NR_BODY"}, {SMFIP_HDR_LEADSPC, "HDR_LEADSPC"},
    };
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(p & names[i].bit))
            continue;
        int w = snprintf(buf + used, size - used, "%s%s", used ? "," : "", names[i].name);
        if (w < 0 || (size_t)w >= size - used)
            break;
        used += (size_t)w;
    }
    if (used == 0)
        snprintf(buf, size, "none");
}

int main(int argc, char **argv)
{
    int ch;
    bool have_duration = false;
    while ((ch = getopt(argc, argv, "s:m:c:d:n:w:r:p:f:R:Ie:D:T:CQ")) != -1) {
        switch (ch) {
        case 's': opt.socket = optarg; break;
        case 'm': opt.template_path = optarg; break;
        case 'c': opt.conns = (unsigned)number(optarg, "-c"); break;
        case 'd':
            opt.duration = number(optarg, "-d");
            have_duration = true;
            break;
        case 'n': opt.max_messages = (uint64_t)number(optarg, "-n"); break;
        case 'w': opt.warmup = number(optarg, "-w"); break;
        case 'r': {
            char *colon = strchr(optarg, ':');
            if (colon == NULL || opt.ngroups == MAX_GROUPS ||
                strlen(colon + 1) >= sizeof opt.groups[0].pattern || colon[1] == '\0')
                usage();
            *colon = '\0';
            group *g = &opt.groups[opt.ngroups++];
            g->count = (unsigned)number(optarg, "-r");
            strcpy(g->pattern, colon + 1);
            break;
        }
        case 'p': opt.pool = (unsigned)number(optarg, "-p"); break;
        case 'f': opt.sender = optarg; break;
        case 'R': opt.rate = number(optarg, "-R"); break;
        case 'I': opt.idle = true; break;
        case 'e':
            for (int i = 0; i < R_OTHER; i++)
                if (strcmp(optarg, result_names[i]) == 0)
                    opt.expect = i;
            if (opt.expect < 0 && strcmp(optarg, "any") != 0)
                usage();
            break;
        case 'D': opt.expect_delrcpt = (long)number(optarg, "-D"); break;
        case 'T': opt.timeout = number(optarg, "-T"); break;
        case 'C': opt.no_coalesce = true; break;
        case 'Q': opt.quickack = true; break;
        default: usage();
        }
    }
    if (optind != argc || opt.socket == NULL || (opt.template_path == NULL && !opt.idle) ||
        opt.conns == 0 || opt.timeout <= 0)
        usage();
    if (opt.max_messages > 0 && !have_duration)
        opt.duration = 3600;
    if (parse_socket(opt.socket) < 0) {
        fprintf(stderr, "milter_load: cannot use socket %s (inet:PORT@HOST, inet6:PORT@HOST, "
                        "local:/path)\n", opt.socket);
        return 2;
    }
    if (opt.ngroups == 0) {
        opt.groups[0].count = 1;
        strcpy(opt.groups[0].pattern, "rcpt%d@example.com");
        opt.ngroups = 1;
    }
    for (unsigned g = 0; g < opt.ngroups; g++)
        opt.rcpts_per_message += opt.groups[g].count;
    if (opt.rcpts_per_message == 0)
        usage();
    if (opt.template_path != NULL && load_template(opt.template_path) < 0)
        return 2;

    /* one descriptor per connection, and some to spare */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < opt.conns + 64) {
        rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= opt.conns + 64
                          ? opt.conns + 64 : rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }

    conn *conns = calloc(opt.conns, sizeof *conns);
    if (conns == NULL) {
        fprintf(stderr, "milter_load: out of memory\n");
        return 1;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    double t_setup = now_s();
    unsigned started = 0;
    for (unsigned i = 0; i < opt.conns; i++) {
        conn *c = &conns[i];
        c->id = i;
        c->fd = -1;
        c->in = malloc(IN_BUF);
        if (c->in == NULL || pthread_create(&c->tid, &attr, worker, c) != 0) {
            fprintf(stderr, "milter_load: cannot start thread %u\n", i);
            break;
        }
        started++;
    }
    pthread_attr_destroy(&attr);

    /* All connections negotiated (or failed): then the clock starts. */
    pthread_mutex_lock(&go_lock);
    while (n_ready + n_failed_setup < started)
        pthread_cond_wait(&ready_cond, &go_lock);
    double setup_time = now_s() - t_setup;
    fprintf(stderr, "ready: %u connections negotiated, %u failed, in %.2f s\n", n_ready,
            n_failed_setup, setup_time);
    fflush(stderr);
    t_start = now_s();
    t_measure = t_start + opt.warmup;
    go = true;
    pthread_cond_broadcast(&go_cond);
    pthread_mutex_unlock(&go_lock);

    double t_end = t_measure + opt.duration;
    while (!atomic_load(&stop) && now_s() < t_end)
        sleep_until(fmin(now_s() + 0.05, t_end));
    double t_stop = now_s();
    atomic_store(&stop, true);
    for (unsigned i = 0; i < started; i++)
        pthread_join(conns[i].tid, NULL);

    /* merge */
    static latency_hist eom, txn;
    uint64_t messages = 0, results[R_N] = {0}, mods[M_N] = {0}, rcpt_rejected = 0, early = 0;
    uint64_t unexpected = 0, late = 0, skips = 0, all = 0, writes = 0;
    unsigned connect_errors = opt.conns - started, protocol_errors = 0;
    double max_lag = 0, last_done = 0;
    const char *first_error = NULL;
    for (unsigned i = 0; i < started; i++) {
        conn *c = &conns[i];
        latency_hist_merge(&eom, &c->eom);
        latency_hist_merge(&txn, &c->txn);
        messages += c->messages;
        for (int k = 0; k < R_N; k++)
            results[k] += c->results[k];
        for (int k = 0; k < M_N; k++)
            mods[k] += c->mods[k];
        rcpt_rejected += c->rcpt_rejected;
        early += c->early_final;
        unexpected += c->unexpected;
        late += c->late;
        skips += c->skips;
        all += c->all_messages;
        writes += c->writes;
        if (c->max_lag > max_lag)
            max_lag = c->max_lag;
        if (c->last_done > last_done)
            last_done = c->last_done;
        connect_errors += c->connect_error;
        protocol_errors += c->protocol_error;
        if (first_error == NULL && c->error[0])
            first_error = c->error;
    }
    double window = (opt.max_messages && last_done > t_measure && last_done < t_stop
                         ? last_done : t_stop) - t_measure;
    if (window <= 0)
        window = 1e-9;
    double rate = (double)messages / window;

    char pflags[512];
    flags_text(atomic_load(&negotiated_pflags), pflags, sizeof pflags);
    printf("milter_load: %s, %u connection%s, %u recipient%s per message, %s (%zu bytes body, "
           "%zu headers)%s\n",
           opt.socket, opt.conns, opt.conns == 1 ? "" : "s", opt.rcpts_per_message,
           opt.rcpts_per_message == 1 ? "" : "s",
           opt.template_path ? opt.template_path : "(idle)", opt.body_len, opt.nheaders,
           opt.no_coalesce ? ", one write per command" : "");
    printf("  negotiated: actions 0x%x, protocol 0x%x (%s)\n", atomic_load(&negotiated_aflags),
           atomic_load(&negotiated_pflags), pflags);
    printf("  set-up: %u connections in %.2f s; connect errors %u, protocol errors %u\n",
           n_ready, setup_time, connect_errors, protocol_errors);
    if (first_error)
        printf("  first error: %s\n", first_error);
    if (!opt.idle) {
        if (opt.rate > 0)
            printf("  fixed rate %.0f msg/s: %.1f msg/s achieved; %llu started over 1 ms late "
                   "(max %.2f ms)\n",
                   opt.rate, rate, (unsigned long long)late, max_lag * 1e3);
        printf("  %llu messages in %.2f s = %.1f msg/s (%llu in warm-up and after)\n",
               (unsigned long long)messages, window, rate,
               (unsigned long long)(all - messages));
        printf("  end-of-message latency: p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us, "
               "mean %.1f us\n",
               latency_hist_quantile_us(&eom, 0.5), latency_hist_quantile_us(&eom, 0.99),
               latency_hist_quantile_us(&eom, 0.999), (double)eom.max_ns / 1e3,
               eom.count ? eom.sum_ns / (double)eom.count / 1e3 : 0.0);
        printf("  transaction latency:    p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f us\n",
               latency_hist_quantile_us(&txn, 0.5), latency_hist_quantile_us(&txn, 0.99),
               latency_hist_quantile_us(&txn, 0.999), (double)txn.max_ns / 1e3);
        printf("  results:");
        for (int k = 0; k < R_N; k++)
            printf(" %s %llu", result_names[k], (unsigned long long)results[k]);
        printf("; ended before end of message %llu; rejected recipients %llu; body skipped %llu\n",
               (unsigned long long)early, (unsigned long long)rcpt_rejected,
               (unsigned long long)skips);
        printf("  modifications:");
        for (int k = 0; k < M_N; k++)
            printf(" %s %llu", mod_names[k], (unsigned long long)mods[k]);
        printf("\n  unexpected outcomes: %llu; writes per message %.1f\n",
               (unsigned long long)unexpected, all ? (double)writes / (double)all : 0.0);
    }
    printf("RESULT connections=%u ready=%u connect_errors=%u protocol_errors=%u messages=%llu "
           "all_messages=%llu seconds=%.3f rate=%.1f eom_p50_us=%.1f eom_p99_us=%.1f eom_p999_us=%.1f "
           "eom_max_us=%.1f txn_p50_us=%.1f txn_p99_us=%.1f txn_p999_us=%.1f unexpected=%llu "
           "late=%llu max_lag_ms=%.2f pflags=0x%x",
           opt.conns, n_ready, connect_errors, protocol_errors, (unsigned long long)messages,
           (unsigned long long)all, window, rate, latency_hist_quantile_us(&eom, 0.5), latency_hist_quantile_us(&eom, 0.99),
           latency_hist_quantile_us(&eom, 0.999), (double)eom.max_ns / 1e3, latency_hist_quantile_us(&txn, 0.5),
           latency_hist_quantile_us(&txn, 0.99), latency_hist_quantile_us(&txn, 0.999),
           (unsigned long long)unexpected, (unsigned long long)late, max_lag * 1e3,
           atomic_load(&negotiated_pflags));
    for (int k = 0; k < R_N; k++)
        printf(" %s=%llu", result_names[k], (unsigned long long)results[k]);
    for (int k = 0; k < M_N; k++)
        printf(" %s=%llu", mod_names[k], (unsigned long long)mods[k]);
    printf("\n");

    for (unsigned i = 0; i < started; i++) {
        free(conns[i].in);
        free(conns[i].out);
        free(conns[i].reply);
    }
    free(conns);
    for (size_t i = 0; i < opt.nheaders; i++) {
        free(opt.headers[i].name);
        free(opt.headers[i].value);
        free(opt.headers[i].value_leadspc);
    }
    free(opt.headers);
    free(opt.body);
    return connect_errors || protocol_errors || unexpected ? 1 : 0;
}
