/*
 * address — turns the forms an address arrives in (command line, CSV,
 * SMTP RCPT "<...>") into the form the store keeps and the key it compares.
 *
 * The stored form keeps the case of the local part as given, because RFC
 * 5321 lets it be case-sensitive and a record must show what was consented;
 * the key folds the local part too, because in practice mailboxes are not,
 * and a customer who typed "Max@" at sign-up is the same one who receives
 * "max@".
 *
 * Both are spelled the way the MTA delivers: quoting that is not needed is
 * removed ("no"@x and "n\o"@x are no@x), a source route is dropped
 * (@relay:no@x is no@x), one trailing dot of the domain is dropped (no@x.
 * is no@x). Otherwise an objection recorded for one spelling would not stop
 * a mail to another spelling of the same mailbox.
 */
#include "store.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

#define LOCAL_MAX 64
#define DOMAIN_MAX 255
#define LABEL_MAX 63

static bool is_atext(unsigned char c)
{
    if (c >= 0x80) /* UTF-8 (RFC 6531); validity is checked as a whole */
        return true;
    if (g_ascii_isalnum(c))
        return true;
    return strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL && c != '\0';
}

/* Is p[0..len) a dot-atom (RFC 5321 Dot-string): atext runs joined by
 * single dots? */
static bool is_dot_atom(const char *p, size_t len)
{
    if (len == 0 || p[0] == '.' || p[len - 1] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '.') {
            if (p[i + 1] == '.')
                return false;
        } else if (!is_atext(c)) {
            return false;
        }
    }
    return true;
}

/* Checks the local part p[0..len) and writes its canonical spelling to out
 * (room for LOCAL_MAX + 1 bytes). A quoted-string is unquoted where its
 * content is a dot-atom, because the MTA delivers "no"@x and "n\o"@x to the
 * mailbox no@x, and a consent record must hold for every spelling of the
 * mailbox it names. Where quoting is needed (a space, '@', a leading dot)
 * the quotes stay, with only '"' and '\' escaped, so that every spelling of
 * such a mailbox has one form too. */
static int canon_local(const char *p, size_t len, char out[LOCAL_MAX + 1],
                       char err[STORE_ERR_MAX])
{
    if (len == 0) {
        store_errf(err, "the local part (before '@') is empty");
        return -1;
    }
    if (p[0] == '"') { /* quoted-string: any printable text, \-escapes */
        if (len < 2 || p[len - 1] != '"') {
            store_errf(err, "the quoted local part is not closed");
            return -1;
        }
        char content[STORE_ADDRESS_MAX + 1];
        size_t n = 0;
        for (size_t i = 1; i + 1 < len; i++) {
            if (p[i] == '\\') {
                if (i + 2 >= len) {
                    store_errf(err, "the quoted local part ends in a backslash");
                    return -1;
                }
                i++;
            } else if (p[i] == '"') {
                store_errf(err, "the quoted local part has an unescaped quote");
                return -1;
            }
            content[n++] = p[i];
        }
        content[n] = '\0';
        if (is_dot_atom(content, n)) {
            if (n > LOCAL_MAX) {
                store_errf(err, "the local part is longer than %d octets", LOCAL_MAX);
                return -1;
            }
            memcpy(out, content, n + 1);
            return 0;
        }
        size_t o = 0;
        out[o++] = '"';
        for (size_t i = 0; i < n; i++) {
            if (o + 3 > LOCAL_MAX + 1) { /* room for an escape, the quote and NUL */
                store_errf(err, "the local part is longer than %d octets", LOCAL_MAX);
                return -1;
            }
            if (content[i] == '"' || content[i] == '\\')
                out[o++] = '\\';
            out[o++] = content[i];
        }
        if (o + 2 > LOCAL_MAX + 1) {
            store_errf(err, "the local part is longer than %d octets", LOCAL_MAX);
            return -1;
        }
        out[o++] = '"';
        out[o] = '\0';
        return 0;
    }
    if (len > LOCAL_MAX) {
        store_errf(err, "the local part is longer than %d octets", LOCAL_MAX);
        return -1;
    }
    if (p[0] == '.' || p[len - 1] == '.') {
        store_errf(err, "the local part starts or ends with a dot");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '.') {
            if (p[i + 1] == '.') {
                store_errf(err, "the local part has two dots in a row");
                return -1;
            }
            continue;
        }
        if (!is_atext(c)) {
            store_errf(err, "the local part contains '%c', which needs quoting", c);
            return -1;
        }
    }
    memcpy(out, p, len);
    out[len] = '\0';
    return 0;
}

static int check_domain(const char *p, size_t len, char err[STORE_ERR_MAX])
{
    if (len == 0) {
        store_errf(err, "the domain (after '@') is empty");
        return -1;
    }
    if (len > DOMAIN_MAX) {
        store_errf(err, "the domain is longer than %d octets", DOMAIN_MAX);
        return -1;
    }
    if (p[0] == '[') { /* address literal: [192.0.2.1] or [IPv6:...] */
        if (len < 3 || p[len - 1] != ']') {
            store_errf(err, "the address literal is not closed with ']'");
            return -1;
        }
        for (size_t i = 1; i + 1 < len; i++) {
            unsigned char c = (unsigned char)p[i];
            if (!g_ascii_isalnum(c) && c != '.' && c != ':') {
                store_errf(err, "the address literal contains '%c'", c);
                return -1;
            }
        }
        return 0;
    }
    size_t label = 0, labels = 1;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '.') {
            if (label == 0) {
                store_errf(err, "the domain has an empty label");
                return -1;
            }
            if (p[i - 1] == '-') {
                store_errf(err, "a domain label ends with '-'");
                return -1;
            }
            label = 0;
            labels++;
            continue;
        }
        if (c == '-' && label == 0) {
            store_errf(err, "a domain label starts with '-'");
            return -1;
        }
        if (c < 0x80 && !g_ascii_isalnum(c) && c != '-' && c != '_') {
            store_errf(err, "the domain contains '%c'", c);
            return -1;
        }
        if (++label > LABEL_MAX) {
            store_errf(err, "a domain label is longer than %d octets", LABEL_MAX);
            return -1;
        }
    }
    if (label == 0) {
        store_errf(err, "the domain ends with a dot");
        return -1;
    }
    if (p[len - 1] == '-') {
        store_errf(err, "a domain label ends with '-'");
        return -1;
    }
    if (labels < 2) {
        store_errf(err, "the domain has no dot; a customer address needs a full domain");
        return -1;
    }
    return 0;
}

static bool all_ascii(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)p[i] >= 0x80)
            return false;
    return true;
}

/* Lower-cases p[0..len) into out (out has room for `room` bytes incl. NUL). */
static int lower_into(const char *p, size_t len, char *out, size_t room)
{
    if (all_ascii(p, len)) {
        if (len + 1 > room)
            return -1;
        for (size_t i = 0; i < len; i++)
            out[i] = (char)g_ascii_tolower((unsigned char)p[i]);
        out[len] = '\0';
        return 0;
    }
    gchar *low = g_utf8_strdown(p, (gssize)len);
    size_t n = strlen(low);
    int rc = -1;
    if (n + 1 <= room) {
        memcpy(out, low, n + 1);
        rc = 0;
    }
    g_free(low);
    return rc;
}

int store_address_normalise(const char *in, char stored[STORE_ADDRESS_MAX + 1],
                            char key[STORE_ADDRESS_MAX + 1], char err[STORE_ERR_MAX])
{
    if (in == NULL) {
        store_errf(err, "no address given");
        return -1;
    }
    size_t len = strlen(in);
    const char *p = in;
    while (len > 0 && (*p == ' ' || *p == '\t')) {
        p++;
        len--;
    }
    while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\r' ||
                       p[len - 1] == '\n'))
        len--;
    if (len >= 2 && p[0] == '<' && p[len - 1] == '>') {
        p++;
        len -= 2;
    }
    /* A source route (RFC 5321 A-d-l, "@relay1,@relay2:user@domain") is
     * ignored by the MTA, which delivers to user@domain: so do we. */
    const char *colon = len > 0 && p[0] == '@' ? memchr(p, ':', len) : NULL;
    if (colon != NULL) {
        if (memchr(p, '"', (size_t)(colon - p)) != NULL) {
            store_errf(err, "the source route (before ':') contains a quote");
            return -1;
        }
        len -= (size_t)(colon + 1 - p);
        p = colon + 1;
    }
    if (len == 0) {
        store_errf(err, "the address is empty");
        return -1;
    }
    if (len > STORE_ADDRESS_MAX) {
        store_errf(err, "the address is longer than %d octets", STORE_ADDRESS_MAX);
        return -1;
    }
    if (!g_utf8_validate(p, (gssize)len, NULL)) {
        store_errf(err, "the address is not valid UTF-8");
        return -1;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 0x20 || c == 0x7f) {
            store_errf(err, "the address contains a control character");
            return -1;
        }
        if (c == ' ' && p[0] != '"') {
            store_errf(err, "the address contains a space");
            return -1;
        }
    }
    const char *at = NULL;
    for (size_t i = len; i > 0; i--) {
        if (p[i - 1] == '@') {
            at = p + i - 1;
            break;
        }
    }
    if (at == NULL) {
        store_errf(err, "the address has no '@'");
        return -1;
    }
    size_t domain_len = len - (size_t)(at - p) - 1;
    /* The fully qualified "ex.test." is the domain ex.test to the MTA. */
    if (domain_len > 1 && at[domain_len] == '.' && at[domain_len - 1] != '.')
        domain_len--;
    char local[LOCAL_MAX + 1];
    if (canon_local(p, (size_t)(at - p), local, err) < 0 ||
        check_domain(at + 1, domain_len, err) < 0)
        return -1;
    size_t local_len = strlen(local);

    char domain[STORE_ADDRESS_MAX + 1];
    if (lower_into(at + 1, domain_len, domain, sizeof domain) < 0 ||
        local_len + 1 + strlen(domain) > STORE_ADDRESS_MAX) {
        store_errf(err, "the address is too long once lower-cased");
        return -1;
    }
    memcpy(stored, local, local_len);
    stored[local_len] = '@';
    strcpy(stored + local_len + 1, domain);

    if (lower_into(local, local_len, key, STORE_ADDRESS_MAX + 1) < 0 ||
        strlen(key) + 1 + strlen(domain) > STORE_ADDRESS_MAX) {
        store_errf(err, "the address is too long once lower-cased");
        return -1;
    }
    size_t klen = strlen(key);
    key[klen] = '@';
    strcpy(key + klen + 1, domain);
    return 0;
}
