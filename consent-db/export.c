/*
 * export — the whole consent history as CSV (importable again) or JSON Lines.
 */
#include "store_internal.h"

#include <errno.h>
#include <string.h>

#include "textout.h"

typedef struct export_ctx {
    FILE *out;
    store_export_format format;
} export_ctx;

static int write_csv(const store_event *ev, FILE *out)
{
    char at[32], rat[32];
    store_time_format(ev->at, at, sizeof at);
    store_time_format(ev->recorded_at, rat, sizeof rat);
    const char *fields[] = {ev->address, store_action_name(ev->action),
                            ev->purpose, at, ev->source, ev->evidence, ev->recorded_by, rat};
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        if (i > 0)
            putc(',', out);
        textout_csv_field(out, fields[i]);
    }
    putc('\n', out);
    return 0;
}

static int write_json(const store_event *ev, FILE *out)
{
    char at[32], rat[32];
    store_time_format(ev->at, at, sizeof at);
    store_time_format(ev->recorded_at, rat, sizeof rat);
    const char *keys[] = {"address", "action", "purpose", "at", "source", "evidence",
                          "recorded_by", "recorded_at"};
    const char *values[] = {ev->address, store_action_name(ev->action),
                            ev->purpose, at, ev->source, ev->evidence, ev->recorded_by, rat};
    putc('{', out);
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
        if (i > 0)
            putc(',', out);
        textout_json_string(out, keys[i]);
        putc(':', out);
        textout_json_string(out, values[i]);
    }
    fputs("}\n", out);
    return 0;
}

static int export_one(const store_event *ev, void *arg)
{
    export_ctx *ctx = arg;
    if (ctx->format == STORE_EXPORT_CSV)
        write_csv(ev, ctx->out);
    else
        write_json(ev, ctx->out);
    return ferror(ctx->out) ? 1 : 0;
}

int store_export(store *s, FILE *out, store_export_format format, char err[STORE_ERR_MAX])
{
    export_ctx ctx = {out, format};
    if (format == STORE_EXPORT_CSV)
        fputs("address,action,purpose,at,source,evidence,recorded_by,recorded_at\n", out);
    if (store_each_event(s, export_one, &ctx, err) < 0)
        return -1;
    if (fflush(out) != 0 || ferror(out)) {
        store_errf(err, "cannot write the export: %s", strerror(errno));
        return -1;
    }
    return 0;
}
