/*
 * category — canonical names and the aliases accepted in a category header.
 */
#include "category.h"

#include <glib.h>
#include <string.h>

static const char *const canonical_names[CATEGORY_COUNT] = {
    [CATEGORY_TRANSACTIONAL] = "transactional",
    [CATEGORY_AFTER_SALES] = "after-sales",
    [CATEGORY_PROMOTIONAL] = "promotional",
};

/* Aliases seen in shop systems' templates. Each maps to the category LEGAL.md
 * gives that kind of mail; nothing ambiguous ("notification", "info") is here,
 * because a wrong lenient alias would let advertising through. */
static const struct alias {
    const char *name;
    classifier_category category;
} aliases[] = {
    {"transactional", CATEGORY_TRANSACTIONAL},
    {"transaction", CATEGORY_TRANSACTIONAL},
    {"order", CATEGORY_TRANSACTIONAL},
    {"order-confirmation", CATEGORY_TRANSACTIONAL},
    {"invoice", CATEGORY_TRANSACTIONAL},
    {"receipt", CATEGORY_TRANSACTIONAL},
    {"payment", CATEGORY_TRANSACTIONAL},
    {"shipping", CATEGORY_TRANSACTIONAL},
    {"shipment", CATEGORY_TRANSACTIONAL},
    {"delivery", CATEGORY_TRANSACTIONAL},
    {"pickup", CATEGORY_TRANSACTIONAL},
    {"password-reset", CATEGORY_TRANSACTIONAL},
    {"verification", CATEGORY_TRANSACTIONAL},
    {"after-sales", CATEGORY_AFTER_SALES},
    {"aftersales", CATEGORY_AFTER_SALES},
    {"after_sales", CATEGORY_AFTER_SALES},
    {"recall", CATEGORY_AFTER_SALES},
    {"product-safety", CATEGORY_AFTER_SALES},
    {"firmware", CATEGORY_AFTER_SALES},
    {"repair", CATEGORY_AFTER_SALES},
    {"promotional", CATEGORY_PROMOTIONAL},
    {"promotion", CATEGORY_PROMOTIONAL},
    {"promo", CATEGORY_PROMOTIONAL},
    {"marketing", CATEGORY_PROMOTIONAL},
    {"newsletter", CATEGORY_PROMOTIONAL},
    {"advertising", CATEGORY_PROMOTIONAL},
    {"campaign", CATEGORY_PROMOTIONAL},
};

int classifier_category_parse(const char *name, classifier_category *out)
{
    if (name == NULL)
        return -1;
    while (*name == ' ' || *name == '\t')
        name++;
    size_t len = strlen(name);
    while (len > 0 && (name[len - 1] == ' ' || name[len - 1] == '\t' ||
                       name[len - 1] == '\r' || name[len - 1] == '\n'))
        len--;
    for (size_t i = 0; i < G_N_ELEMENTS(aliases); i++) {
        if (strlen(aliases[i].name) == len &&
            g_ascii_strncasecmp(aliases[i].name, name, len) == 0) {
            *out = aliases[i].category;
            return 0;
        }
    }
    return -1;
}

const char *classifier_category_name(classifier_category category)
{
    if ((int)category < 0 || category >= CATEGORY_COUNT)
        return "promotional"; /* fail safe: an impossible value needs consent */
    return canonical_names[category];
}
