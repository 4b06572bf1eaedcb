/*
 * consent-milter — the daemon. This is the skeleton the foundation issue
 * asks for: it builds, links libmilter, and answers -V. The milter itself
 * (callbacks, enforcement, config) arrives with its own issue; until then
 * any other invocation says so and exits 1 rather than pretending to run.
 */
#include <libmilter/mfapi.h>
#include <stdio.h>
#include <string.h>

#include "store.h"

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "-V") == 0) {
        unsigned int major = 0, minor = 0, patch = 0;
        smfi_version(&major, &minor, &patch);
        printf("consent-milter %s (libmilter %u.%u.%u, consent store schema %d)\n",
               CONSENT_MILTER_VERSION, major, minor, patch, STORE_SCHEMA_VERSION);
        return 0;
    }
    fprintf(stderr, "consent-milter: the milter daemon is not implemented in this build yet; "
                    "only -V works\n");
    return 1;
}
