/*
 * texts.c - see texts.h: the list of tables, and formatting a text
 * looked up by key.
 *
 * The formats come from tables, so the compiler cannot hold them against
 * the arguments as it does a literal: pf_texts_check() holds every
 * language against English instead, and English against the callers is
 * what the tests see.
 */
#include "core/texts.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "pokerface/plugin.h"

/* in the order of enum pf_ui_lang */
static const char *const *const tables[PF_UI_LANGS] = {
    [PF_UI_EN] = pf_texts_en,
    [PF_UI_FI] = pf_texts_fi,
};

static const char *const codes[PF_UI_LANGS] = {
    [PF_UI_EN] = "en",
    [PF_UI_FI] = "fi",
};

enum pf_ui_lang
pf_texts_lang(const char *code)
{
    return code && strcmp(code, "fi") == 0 ? PF_UI_FI : PF_UI_EN;
}

const char *
pf_texts_get(enum pf_ui_lang lang, enum pf_texts_key key)
{
    const char *s = lang < PF_UI_LANGS ? tables[lang][key] : NULL;
    return s ? s : pf_texts_en[key];
}

/*
 * The one place a text's format is used. The compiler cannot check a
 * format from a table against its arguments, and clang says so even
 * for a va_list: pf_texts_check() checks it instead.
 */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
static void
vaddf(struct pf_buf *b, enum pf_ui_lang lang, enum pf_texts_key key, va_list ap)
{
    pf_buf_vaddf(b, pf_texts_get(lang, key), ap);
}
#pragma GCC diagnostic pop

char *
pf_texts_fmt(enum pf_ui_lang lang, enum pf_texts_key key, ...)
{
    struct pf_buf b = PF_BUF_INIT;
    va_list ap;
    va_start(ap, key);
    vaddf(&b, lang, key, ap);
    va_end(ap);
    return pf_buf_detach(&b, NULL);
}

void
pf_texts_snprintf(char *dst, size_t cap, enum pf_ui_lang lang,
                  enum pf_texts_key key, ...)
{
    struct pf_buf b = PF_BUF_INIT;
    va_list ap;
    va_start(ap, key);
    vaddf(&b, lang, key, ap);
    va_end(ap);
    pf_snprintf(dst, cap, "%s", b.data ? b.data : "");
    pf_buf_release(&b);
}

void
pf_texts_addf(struct pf_buf *b, enum pf_ui_lang lang, enum pf_texts_key key,
              ...)
{
    va_list ap;
    va_start(ap, key);
    vaddf(b, lang, key, ap);
    va_end(ap);
}

char *
pf_texts_every(enum pf_ui_lang first, enum pf_texts_key key, ...)
{
    struct pf_buf b = PF_BUF_INIT;
    va_list ap;
    va_start(ap, key);
    for (int i = -1; i < PF_UI_LANGS; i++) {
        enum pf_ui_lang lang = i < 0 ? first : (enum pf_ui_lang)i;
        va_list aq;
        if (i >= 0 && lang == first)
            continue;
        if (b.len)
            pf_buf_addstr(&b, " / ");
        va_copy(aq, ap);
        vaddf(&b, lang, key, aq);
        va_end(aq);
    }
    va_end(ap);
    return pf_buf_detach(&b, NULL);
}

/* the conversions of a format, in order ("%zu%s"), without their flags */
static void
conversions(const char *fmt, char *out, size_t cap)
{
    size_t n = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%')
            continue;
        p++;
        if (*p == '%')
            continue;
        if (n + 1 < cap)
            out[n++] = '%';
        /* flags, width and precision; a '*' takes an argument: kept */
        for (; *p && strchr("-+ #0123456789.*", *p); p++)
            if (*p == '*' && n + 1 < cap)
                out[n++] = '*';
        /* the length and the conversion */
        for (; *p && strchr("hljztL", *p); p++)
            if (n + 1 < cap)
                out[n++] = *p;
        if (!*p)
            break;
        if (n + 1 < cap)
            out[n++] = *p;
    }
    out[n] = '\0';
}

int
pf_texts_check(char *err, size_t errlen)
{
    char want[64], got[64];
    for (int k = 0; k < PF_T_COUNT; k++) {
        if (!pf_texts_en[k]) {
            pf_snprintf(err, errlen, "texts: key %d has no English text", k);
            return PF_EINVAL;
        }
        conversions(pf_texts_en[k], want, sizeof(want));
        for (int l = 0; l < PF_UI_LANGS; l++) {
            if (!tables[l][k])
                continue;
            conversions(tables[l][k], got, sizeof(got));
            if (strcmp(want, got) != 0) {
                pf_snprintf(err, errlen,
                            "texts: key %d in '%s' takes \"%s\", in English "
                            "\"%s\"",
                            k, codes[l], got, want);
                return PF_EINVAL;
            }
        }
    }
    return PF_OK;
}
