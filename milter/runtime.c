/*
 * runtime — reference-counted configuration snapshots (see runtime.h).
 */
#include "runtime.h"

#include <glib.h>
#include <stdio.h>

static GMutex lock;
static runtime *current;
static unsigned generations;

static void runtime_free(runtime *rt)
{
    if (rt == NULL)
        return;
    storepool_free(rt->pool);
    audit_close(rt->audit);
    classifier_free(rt->cls);
    conf_free(rt->cfg);
    g_free(rt);
}

runtime *runtime_build(const char *config_path, char err[CONF_ERR_MAX])
{
    runtime *rt = g_new0(runtime, 1);
    rt->refs = 1;
    if ((rt->cfg = conf_load(config_path, err)) == NULL)
        goto fail;
    char why[CLASSIFIER_ERR_MAX];
    if ((rt->cls = classifier_new(rt->cfg->signals_file, why)) == NULL) {
        snprintf(err, CONF_ERR_MAX, "SignalsFile: %.200s", why);
        goto fail;
    }
    char aerr[STORE_ERR_MAX];
    if ((rt->audit = audit_open(rt->cfg->audit_database, false, aerr)) == NULL) {
        snprintf(err, CONF_ERR_MAX, "AuditDatabase: %.200s", aerr);
        goto fail;
    }
    /* Idle handles kept between messages: enough for every worker thread
     * libmilter keeps busy on two to a few dozen cores. */
    rt->pool = storepool_new(rt->cfg->database, rt->cfg->database_timeout_ms, 64);
    return rt;
fail:
    runtime_free(rt);
    return NULL;
}

void runtime_free_unused(runtime *rt)
{
    runtime_free(rt);
}

void runtime_install(runtime *rt)
{
    g_mutex_lock(&lock);
    runtime *old = current;
    rt->generation = ++generations;
    current = rt;
    bool drop = old != NULL && --old->refs == 0;
    g_mutex_unlock(&lock);
    if (drop)
        runtime_free(old);
}

runtime *runtime_acquire(void)
{
    g_mutex_lock(&lock);
    runtime *rt = current;
    if (rt != NULL)
        rt->refs++;
    g_mutex_unlock(&lock);
    return rt;
}

void runtime_release(runtime *rt)
{
    if (rt == NULL)
        return;
    g_mutex_lock(&lock);
    bool drop = --rt->refs == 0;
    g_mutex_unlock(&lock);
    if (drop)
        runtime_free(rt);
}

void runtime_shutdown(void)
{
    g_mutex_lock(&lock);
    runtime *old = current;
    current = NULL;
    bool drop = old != NULL && --old->refs == 0;
    g_mutex_unlock(&lock);
    if (drop)
        runtime_free(old);
}
