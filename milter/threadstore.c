/*
 * threadstore — per-thread consent store handles (see threadstore.h).
 */
#include "threadstore.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

typedef struct cached {
    store *s;
    unsigned generation;
    dev_t dev;
    ino_t ino;
} cached;

static pthread_key_t key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

static void destroy(void *p)
{
    cached *c = p;
    store_close(c->s);
    free(c);
}

static void make_key(void)
{
    pthread_key_create(&key, destroy);
}

void threadstore_drop(void)
{
    pthread_once(&key_once, make_key);
    cached *c = pthread_getspecific(key);
    if (c != NULL && c->s != NULL) {
        store_close(c->s);
        c->s = NULL;
    }
}

store *threadstore_get(const runtime *rt, char err[STORE_ERR_MAX])
{
    pthread_once(&key_once, make_key);
    cached *c = pthread_getspecific(key);
    if (c == NULL) {
        c = calloc(1, sizeof *c);
        if (c == NULL) {
            store_errf(err, "out of memory");
            return NULL;
        }
        pthread_setspecific(key, c);
    }
    struct stat st;
    bool present = stat(rt->cfg->database, &st) == 0;
    if (c->s != NULL &&
        (c->generation != rt->generation || !present || st.st_dev != c->dev ||
         st.st_ino != c->ino)) {
        store_close(c->s);
        c->s = NULL;
    }
    if (c->s == NULL) {
        c->s = store_open_wait(rt->cfg->database, STORE_READONLY, rt->cfg->database_timeout_ms,
                               err);
        if (c->s == NULL)
            return NULL;
        c->generation = rt->generation;
        c->dev = present ? st.st_dev : 0;
        c->ino = present ? st.st_ino : 0;
    }
    return c->s;
}
