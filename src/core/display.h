/*
 * display.h - what the relay shows people, made safe to show.
 *
 * Names and texts come from chat users, some of them hostile. A display
 * name is shown to the customer ({name} in relay_format) and in every
 * notice: it must not carry a line of its own, reorder what is around it
 * or run on forever. A customer's text is mirrored into the internal
 * room: no line of it may pass for one of the bot's own, so every line
 * carries the mirror's marker. Used by the relay only; pure functions.
 */
#ifndef PF_DISPLAY_H
#define PF_DISPLAY_H

#include <stddef.h>

/* Longest display name, in bytes (a longer one is cut, with "…"). */
#define PF_NAME_MAX 64

/*
 * name made safe to show anywhere: control characters, line and
 * paragraph separators and bidi controls dropped, each run of white
 * space one space, trimmed, cut to PF_NAME_MAX bytes on a character
 * boundary (ending in "…"). A name with nothing left is fallback. name
 * must be valid UTF-8. Returns a malloc'd string.
 */
char *pf_display_name(const char *name, const char *fallback);

/* The same for any text shown on one line (an excerpt of a held
   message): cut to max bytes. */
char *pf_display_line(const char *text, size_t max, const char *fallback);

/* A byte range [off, off + len) of a rendered text. */
struct pf_display_span {
    size_t off, len;
};

/*
 * fmt with each {name} replaced by name and each {text} by text
 * ("{name}: {text}"). Where text went is stored in spans (at most
 * max_spans; *n_spans says how many), so what a check finds there can be
 * told from what it finds in the rest: the name and the format's own
 * words. spans may be NULL. Returns a malloc'd string.
 */
char *pf_display_format(const char *fmt, const char *name, const char *text,
                        struct pf_display_span *spans, size_t max_spans,
                        size_t *n_spans);

/*
 * A customer's text as the internal room shows it: fmt applied to each
 * line of text ("[customer] {name}: {text}" on every line), so that no
 * line can pass for one of the bot's: a line starts with what fmt starts
 * with, and when fmt starts with {name} or {text}, with "» " before it.
 * Lines end at \n, \r, \v, \f, U+0085, U+2028 and U+2029; bidi
 * embeddings, overrides and isolates in text are dropped. Returns a
 * malloc'd string.
 */
char *pf_display_quote(const char *fmt, const char *name, const char *text);

/*
 * The longest start of text, cut on a character boundary, that leaves
 * room for a "…" after it within max bytes: its length. text itself when
 * it fits in max.
 */
size_t pf_display_cut(const char *text, size_t max);

#endif
