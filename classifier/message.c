/*
 * message — GMime parsing and text gathering for the classifier.
 */
#include "message.h"

#include <string.h>

#include "classifier.h"
#include "fold.h"

static GOnce gmime_once = G_ONCE_INIT;

static gpointer init_gmime(gpointer unused)
{
    (void)unused;
    g_mime_init();
    return NULL;
}

typedef struct walk_ctx {
    message_scan *ms;
    size_t max;
    GString *scratch; /* HTML reduced to text */
} walk_ctx;

static void on_warning(gint64 offset, GMimeParserWarning code, const gchar *item, gpointer data)
{
    (void)offset;
    (void)item;
    if (code == GMIME_CRIT_NESTING_OVERFLOW)
        ((message_scan *)data)->nesting_overflow = true;
}

static void add_text(walk_ctx *w, const char *text, size_t len, bool html)
{
    message_scan *ms = w->ms;
    if (html) {
        g_string_truncate(w->scratch, 0);
        html_to_text(text, len, w->scratch, w->max, &ms->stats);
        text = w->scratch->str;
        len = w->scratch->len;
    } else {
        scan_plain_links(text, len, &ms->stats);
    }
    scan_prices(text, len, &ms->stats);
    fold_append(ms->body, text, len, w->max);
    if (ms->body->len >= w->max)
        ms->truncated = true;
}

static void on_part(GMimeObject *parent, GMimeObject *part, gpointer data)
{
    (void)parent;
    walk_ctx *w = data;
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
    if (charset == NULL || g_ascii_strcasecmp(charset, "utf-8") == 0 ||
        g_ascii_strcasecmp(charset, "us-ascii") == 0) {
        /* The common case needs no charset conversion: decode the transfer
         * encoding only. Stray 8-bit bytes are read as Windows-1252 when
         * folded, which is what unlabelled 8-bit mail almost always is. */
        GMimeDataWrapper *content = g_mime_part_get_content(GMIME_PART(part));
        if (content == NULL)
            return;
        GByteArray *bytes = g_byte_array_new();
        GMimeStream *sink = g_mime_stream_mem_new_with_byte_array(bytes);
        g_mime_data_wrapper_write_to_stream(content, sink);
        if (bytes->len > 0)
            add_text(w, (const char *)bytes->data, bytes->len, html);
        g_object_unref(sink); /* frees bytes: the stream owns them */
        return;
    }
    char *text = g_mime_text_part_get_text(GMIME_TEXT_PART(part));
    if (text == NULL)
        return;
    add_text(w, text, strlen(text), html);
    g_free(text);
}

void classifier_mime_init(void)
{
    g_once(&gmime_once, init_gmime, NULL);
}

void message_scan_run(message_scan *ms, const char *data, size_t len, size_t max)
{
    classifier_mime_init();
    memset(ms, 0, sizeof *ms);
    ms->subject = g_string_sized_new(128);
    ms->body = g_string_sized_new(len < max ? len : max);

    GMimeParserOptions *options = g_mime_parser_options_new();
    g_mime_parser_options_set_warning_callback(options, on_warning, ms);
    /* Unlabelled 8-bit text is most often Windows-1252 in German mail. */
    const char *fallback[] = {"UTF-8", "windows-1252", NULL};
    g_mime_parser_options_set_fallback_charsets(options, fallback);
    GMimeStream *stream = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *parser = g_mime_parser_new_with_stream(stream);
    ms->msg = g_mime_parser_construct_message(parser, options);
    g_object_unref(parser);
    g_object_unref(stream);

    if (ms->msg != NULL) {
        const char *subject = g_mime_message_get_subject(ms->msg);
        if (subject != NULL)
            fold_append(ms->subject, subject, strlen(subject), 4096);
        walk_ctx w = {ms, max, g_string_new(NULL)};
        /* Visits the top-level part too, then every part of a multipart. */
        g_mime_message_foreach(ms->msg, on_part, &w);
        g_string_free(w.scratch, TRUE);
    }
    g_mime_parser_options_free(options);
}

void message_scan_clear(message_scan *ms)
{
    if (ms->msg != NULL)
        g_object_unref(ms->msg);
    if (ms->subject != NULL)
        g_string_free(ms->subject, TRUE);
    if (ms->body != NULL)
        g_string_free(ms->body, TRUE);
    memset(ms, 0, sizeof *ms);
}
