/*
 * message — GMime parsing and text gathering for the classifier.
 */
#include "message.h"

#include <string.h>

#include "charsets.h"
#include "classifier.h"
#include "fold.h"

/* Parts nested deeper than this are not read (real mail nests a handful of
 * levels; a hostile one thousands, which GMime itself caps at 1,024). */
#define MIME_DEPTH_MAX 32

static GOnce gmime_once = G_ONCE_INIT;
static GMimeParserOptions *parser_options; /* shared, read-only after init */

static gpointer init_gmime(gpointer unused)
{
    (void)unused;
    g_mime_init();
    charsets_pin_common();
    /* No warning callback: with one set, GMime decodes every header of every
     * part to look for conflicts, which cost more than half a parse. */
    parser_options = g_mime_parser_options_new();
    /* Unlabelled 8-bit text is most often Windows-1252 in German mail. */
    const char *fallback[] = {"UTF-8", "windows-1252", NULL};
    g_mime_parser_options_set_fallback_charsets(parser_options, fallback);
    return NULL;
}

typedef struct walk_ctx {
    message_scan *ms;
    size_t max;
    GByteArray *raw;  /* a part's content as sent */
    GByteArray *text; /* ... with its transfer encoding undone */
    GArray *marks;    /* of text_mark: one part's element boundaries */
    GArray *stops, *folded_at; /* of size_t: where the marks are, before and after folding */
    bool skip_returned; /* a delivery report's returned message is not read */
} walk_ctx;

/* Reads a part's content and undoes its transfer encoding with GMime's
 * decoders, straight from memory: the same result as writing the content
 * through a decoding filter stream, without building the stream objects
 * for every part. Returns the decoded bytes (in w->raw or w->text), NULL
 * if the part needs the general path (uuencode) or has no content. The
 * content is at most the bounded input the parser was given. */
static GByteArray *decode_content(walk_ctx *w, GMimePart *part)
{
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (content == NULL)
        return NULL;
    GMimeContentEncoding encoding = g_mime_data_wrapper_get_encoding(content);
    if (encoding == GMIME_CONTENT_ENCODING_UUENCODE)
        return NULL;
    GMimeStream *stream = g_mime_data_wrapper_get_stream(content);
    if (stream == NULL || g_mime_stream_reset(stream) < 0)
        return NULL;
    g_byte_array_set_size(w->raw, 0);
    guint8 buf[8192];
    ssize_t n;
    while ((n = g_mime_stream_read(stream, (char *)buf, sizeof buf)) > 0)
        g_byte_array_append(w->raw, buf, (guint)n);
    if (encoding != GMIME_CONTENT_ENCODING_BASE64 &&
        encoding != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE)
        return w->raw; /* 7bit, 8bit, binary: nothing to undo */
    GMimeEncoding state;
    g_mime_encoding_init_decode(&state, encoding);
    g_byte_array_set_size(w->text, (guint)g_mime_encoding_outlen(&state, w->raw->len));
    size_t out = g_mime_encoding_flush(&state, (const char *)w->raw->data, w->raw->len,
                                       (char *)w->text->data);
    g_byte_array_set_size(w->text, (guint)out);
    return w->text;
}

/* Percent-decodes a URL (so that a redirect's encoded target reads as one)
 * and folds it into ms->urls; returns the folded range's start. */
static size_t add_url(message_scan *ms, const char *url, size_t len)
{
    char buf[TEXT_URL_MAX + 1];
    size_t n = 0;
    for (const char *p = url, *end = url + len; p < end && n < TEXT_URL_MAX; p++) {
        int hi, lo;
        if (p[0] == '%' && end - p > 2 && (hi = g_ascii_xdigit_value(p[1])) >= 0 &&
            (lo = g_ascii_xdigit_value(p[2])) >= 0) {
            char c = (char)(hi * 16 + lo);
            buf[n++] = (unsigned char)c >= ' ' ? c : ' ';
            p += 2;
        } else {
            buf[n++] = *p;
        }
    }
    size_t start = ms->urls->len;
    fold_append(ms->urls, buf, n, G_MAXSIZE);
    g_string_append_c(ms->urls, ' ');
    return start;
}

/* Keeps a target as written for evidence; returns where it starts. */
static size_t add_raw_url(message_scan *ms, const char *url, size_t len)
{
    size_t start = ms->raw_urls->len;
    g_string_append_len(ms->raw_urls, url, (gssize)(len < 96 ? len : 96));
    g_string_append_c(ms->raw_urls, '\0');
    return start;
}

/* The element under construction in each list (kept from one mark to the
 * next; blocks are open all the time, links and images between marks). */
typedef struct building {
    bool open[ELEMENT_LISTS];
    element el[ELEMENT_LISTS];
} building;

/* A link's target or an image's source, folded for matching and as written
 * for evidence. */
static void set_target(message_scan *ms, element *e, const text_mark *mk)
{
    e->url_start = add_url(ms, mk->url, mk->url_len);
    e->url_end = ms->urls->len;
    e->raw_url = add_raw_url(ms, mk->url, mk->url_len);
}

static void open_element(building *b, element_list which, size_t start, size_t vstart)
{
    b->open[which] = true;
    b->el[which] = (element){.start = start, .vstart = vstart};
}

static void close_element(message_scan *ms, building *b, element_list which, size_t end,
                          size_t vend)
{
    if (!b->open[which])
        return;
    b->open[which] = false;
    element *e = &b->el[which];
    e->end = end;
    e->vend = vend;
    /* Only elements with words in them: a link around an image alone is an
     * element when it has a target to judge. */
    bool words = false;
    for (size_t i = e->start; i < e->end && !words; i++)
        words = ms->body->str[i] != ' ';
    if (words || e->url_end > e->url_start)
        g_array_append_val(ms->elements[which], *e);
}

static void add_text(walk_ctx *w, const char *text, size_t len, bool html)
{
    message_scan *ms = w->ms;
    size_t vbase = ms->visible->len;
    g_array_set_size(w->marks, 0);
    if (html)
        html_to_text(text, len, ms->visible, w->max, &ms->stats, w->marks);
    else
        plain_to_text(text, len, ms->visible, w->max, &ms->stats, w->marks);
    if (w->marks->len >= TEXT_MARKS_MAX)
        ms->elements_overflow = true;
    scan_prices(ms->visible->str + vbase, ms->visible->len - vbase, &ms->stats);

    /* One fold over the part's text that also says where each mark lands
     * in the folded text, so that every element's range there is known. */
    guint n = w->marks->len;
    g_array_set_size(w->stops, n);
    g_array_set_size(w->folded_at, n);
    size_t *stops = (size_t *)(void *)w->stops->data;
    size_t *at = (size_t *)(void *)w->folded_at->data;
    for (guint i = 0; i < n; i++)
        stops[i] = g_array_index(w->marks, text_mark, i).pos - vbase;
    size_t fbase = ms->body->len;
    fold_append_stops(ms->body, ms->visible->str + vbase, ms->visible->len - vbase, w->max,
                      stops, n, at);

    building b = {0};
    open_element(&b, ELEMENTS_BLOCK, fbase, vbase);
    for (guint i = 0; i < n; i++) {
        const text_mark *mk = &g_array_index(w->marks, text_mark, i);
        size_t f = at[i];
        switch (mk->kind) {
        case MARK_BLOCK:
            close_element(ms, &b, ELEMENTS_BLOCK, f, mk->pos);
            open_element(&b, ELEMENTS_BLOCK, f, mk->pos);
            break;
        case MARK_LINK_OPEN:
            close_element(ms, &b, ELEMENTS_LINK, f, mk->pos);
            open_element(&b, ELEMENTS_LINK, f, mk->pos);
            set_target(ms, &b.el[ELEMENTS_LINK], mk);
            break;
        case MARK_LINK_CLOSE:
            close_element(ms, &b, ELEMENTS_LINK, f, mk->pos);
            break;
        case MARK_IMAGE_OPEN:
            open_element(&b, ELEMENTS_IMAGE, f, mk->pos);
            if (mk->url_len > 0)
                set_target(ms, &b.el[ELEMENTS_IMAGE], mk);
            break;
        case MARK_IMAGE_CLOSE:
            close_element(ms, &b, ELEMENTS_IMAGE, f, mk->pos);
            break;
        }
    }
    for (int l = ELEMENT_LISTS - 1; l >= 0; l--)
        close_element(ms, &b, (element_list)l, ms->body->len, ms->visible->len);
    if (ms->body->len >= w->max || ms->visible->len >= w->max)
        ms->truncated = true;
}

static void read_part(walk_ctx *w, GMimeObject *part)
{
    if (!GMIME_IS_TEXT_PART(part) || w->ms->body->len >= w->max)
        return;
    if (g_mime_part_is_attachment(GMIME_PART(part)))
        return; /* an attached invoice PDF or text file is not the mail's text */
    GMimeContentType *type = g_mime_object_get_content_type(part);
    bool html = g_mime_content_type_is_type(type, "text", "html");
    if (!html && !g_mime_content_type_is_type(type, "text", "plain"))
        return;
    w->ms->text_parts++;
    const char *charset = g_mime_object_get_content_type_parameter(part, "charset");
    bool utf8 = charset == NULL || g_ascii_strcasecmp(charset, "utf-8") == 0 ||
                g_ascii_strcasecmp(charset, "us-ascii") == 0;
    GByteArray *decoded = decode_content(w, GMIME_PART(part));
    if (decoded == NULL) { /* uuencoded: GMime's general path */
        if (!utf8)
            charsets_pin(charset);
        char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
        if (text != NULL)
            add_text(w, text, strlen(text), html);
        g_free(text);
        return;
    }
    if (decoded->len == 0)
        return;
    if (utf8) {
        /* The common case needs no charset conversion. Stray 8-bit bytes
         * are read as Windows-1252 when folded, which is what unlabelled
         * 8-bit mail almost always is. */
        add_text(w, (const char *)decoded->data, decoded->len, html);
        return;
    }
    /* GMime's charset filter, as g_mime_text_part_get_text() uses it; an
     * unknown charset leaves the bytes as they are, as there. */
    charsets_pin(charset);
    GMimeFilter *convert = g_mime_filter_charset_new(charset, "utf-8");
    if (convert == NULL) {
        add_text(w, (const char *)decoded->data, decoded->len, html);
        return;
    }
    char *out;
    size_t out_len, out_prespace;
    g_mime_filter_complete(convert, (char *)decoded->data, decoded->len, 0, &out, &out_len,
                           &out_prespace);
    add_text(w, out, out_len, html);
    g_object_unref(convert);
}

/* Every part in order, the top-level one first; bounded in depth. */
static void walk(walk_ctx *w, GMimeObject *part, int depth)
{
    if (GMIME_IS_MESSAGE_PART(part)) {
        /* An attached or forwarded message: mail programs show it inline,
         * so its subject and text are read like the rest - except the
         * message a delivery report returns to its own sender. */
        if (w->skip_returned && w->ms->delivery_report)
            return;
        if (depth >= MIME_DEPTH_MAX) {
            w->ms->nesting_overflow = true;
            return;
        }
        GMimeMessage *inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(part));
        if (inner == NULL)
            return;
        const char *subject = g_mime_object_get_header(GMIME_OBJECT(inner), "Subject");
        if (subject != NULL)
            add_text(w, subject, strlen(subject), false);
        GMimeObject *body = g_mime_message_get_mime_part(inner);
        if (body != NULL)
            walk(w, body, depth + 1);
        return;
    }
    if (!GMIME_IS_MULTIPART(part)) {
        read_part(w, part);
        return;
    }
    if (depth >= MIME_DEPTH_MAX) {
        w->ms->nesting_overflow = true;
        return;
    }
    GMimeMultipart *multipart = GMIME_MULTIPART(part);
    int count = g_mime_multipart_get_count(multipart);
    for (int i = 0; i < count && w->ms->body->len < w->max; i++)
        walk(w, g_mime_multipart_get_part(multipart, i), depth + 1);
}

void classifier_mime_init(void)
{
    g_once(&gmime_once, init_gmime, NULL);
}

/* The buffers one classification needs, kept per thread from one message
 * to the next: most of them grow to the size of a message, and allocating
 * and freeing them for every message cost as much as a tenth of the
 * classification. A thread takes its set while it classifies (so a nested
 * call would get a new one), and a set grown past SCRATCH_KEEP_MAX is
 * freed rather than kept. */
typedef struct scan_scratch {
    GString *subject, *body, *visible, *urls, *raw_urls;
    GArray *elements[ELEMENT_LISTS];
    GByteArray *raw, *text;
    GArray *marks, *stops, *folded_at;
} scan_scratch;

#define SCRATCH_KEEP_MAX (4u << 20)

static void scratch_free(gpointer p)
{
    scan_scratch *x = p;
    if (x == NULL)
        return;
    g_string_free(x->subject, TRUE);
    g_string_free(x->body, TRUE);
    g_string_free(x->visible, TRUE);
    g_string_free(x->urls, TRUE);
    g_string_free(x->raw_urls, TRUE);
    for (int l = 0; l < ELEMENT_LISTS; l++)
        g_array_unref(x->elements[l]);
    g_byte_array_unref(x->raw);
    g_byte_array_unref(x->text);
    g_array_unref(x->marks);
    g_array_unref(x->stops);
    g_array_unref(x->folded_at);
    g_free(x);
}

static GPrivate scratch_key = G_PRIVATE_INIT(scratch_free);

static scan_scratch *scratch_take(void)
{
    scan_scratch *x = g_private_get(&scratch_key);
    if (x != NULL) {
        g_private_set(&scratch_key, NULL); /* no destroy: it is ours now */
        g_string_truncate(x->subject, 0);
        g_string_truncate(x->body, 0);
        g_string_truncate(x->visible, 0);
        g_string_truncate(x->urls, 0);
        g_string_truncate(x->raw_urls, 0);
        for (int l = 0; l < ELEMENT_LISTS; l++)
            g_array_set_size(x->elements[l], 0);
        return x;
    }
    x = g_new(scan_scratch, 1);
    x->subject = g_string_sized_new(128);
    x->body = g_string_sized_new(16384);
    x->visible = g_string_sized_new(16384);
    x->urls = g_string_sized_new(1024);
    x->raw_urls = g_string_sized_new(1024);
    for (int l = 0; l < ELEMENT_LISTS; l++)
        x->elements[l] = g_array_new(FALSE, FALSE, sizeof(element));
    x->raw = g_byte_array_new();
    x->text = g_byte_array_new();
    x->marks = g_array_new(FALSE, FALSE, sizeof(text_mark));
    x->stops = g_array_new(FALSE, FALSE, sizeof(size_t));
    x->folded_at = g_array_new(FALSE, FALSE, sizeof(size_t));
    return x;
}

static void scratch_give_back(scan_scratch *x)
{
    bool big = x->body->allocated_len > SCRATCH_KEEP_MAX ||
               x->visible->allocated_len > SCRATCH_KEEP_MAX ||
               x->raw->len > SCRATCH_KEEP_MAX || x->text->len > SCRATCH_KEEP_MAX;
    if (big || g_private_get(&scratch_key) != NULL) {
        scratch_free(x);
        return;
    }
    g_private_set(&scratch_key, x);
}

void message_scan_run(message_scan *ms, const char *data, size_t len, size_t max,
                      bool skip_returned)
{
    classifier_mime_init();
    memset(ms, 0, sizeof *ms);
    scan_scratch *x = scratch_take();
    ms->scratch = x;
    ms->subject = x->subject;
    ms->body = x->body;
    ms->visible = x->visible;
    ms->urls = x->urls;
    ms->raw_urls = x->raw_urls;
    for (int l = 0; l < ELEMENT_LISTS; l++)
        ms->elements[l] = x->elements[l];

    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    /* The message is read as a MIME entity, not a GMimeMessage: the
     * classifier needs its headers and parts, and a GMimeMessage would also
     * parse every address and date header into objects (a quarter of the
     * parse time of a typical mail) that nothing here reads. */
    ms->msg = g_mime_parser_construct_part(parser, parser_options);
    g_object_unref(parser);
    g_object_unref(stream);

    if (ms->msg != NULL) {
        const char *subject = g_mime_object_get_header(ms->msg, "Subject"); /* decoded */
        if (subject != NULL)
            fold_append(ms->subject, subject, strlen(subject), 4096);
        GMimeContentType *type = g_mime_object_get_content_type(ms->msg);
        ms->delivery_report = type != NULL && g_mime_content_type_is_type(type, "multipart", "report");
        walk_ctx w = {ms, max, x->raw, x->text, x->marks, x->stops, x->folded_at, skip_returned};
        walk(&w, ms->msg, 0);
    }
}

void message_scan_clear(message_scan *ms)
{
    if (ms->msg != NULL)
        g_object_unref(ms->msg);
    if (ms->scratch != NULL)
        scratch_give_back(ms->scratch);
    memset(ms, 0, sizeof *ms);
}
