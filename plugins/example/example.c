/*
 * example - the smallest useful pokerface rule, and the template for
 * writing your own.
 *
 * It holds a reply that still contains a template placeholder, the kind a
 * canned answer leaves behind when nobody filled it in:
 *
 *     Hi [NAME], your order {{order_id}} ships on XXX.
 *
 * Build it outside the pokerface tree with only the installed header:
 *
 *     cc $(pkg-config --cflags pokerface-plugin) -std=c99 -O2 -fPIC -shared \
 *        -fvisibility=hidden -Wl,--no-undefined -o example.so example.c
 *
 * then copy example.so into the plugin directory (mode 0644 or stricter,
 * in a directory only its owner can write) and list it in the config:
 *
 *     "plugins": [{"name": "example", "config": {"score": 0.9,
 *                  "markers": ["XXX", "TODO"]}}]
 *
 * Rules of the road (see pokerface/plugin.h for the whole contract):
 *  - Export exactly one function, pf_plugin_entry_v1(); make everything
 *    else static (-fvisibility=hidden does that for you).
 *  - Read configuration and files in create(); check() must be fast and
 *    must not block.
 *  - Report findings with pf_verdict_add(); never free or keep what the
 *    host hands you.
 */
#include <pokerface/plugin.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MARKERS 16
#define MARKER_LEN 32

/* One instance: its configuration, read once in create(). */
struct example {
    const struct pf_host *host;
    struct pf_hctx *hctx;
    float score;
    size_t n_markers;
    char markers[MAX_MARKERS][MARKER_LEN]; /* e.g. "XXX", matched as typed */
    size_t marker_len[MAX_MARKERS];
    uint32_t marker_lens; /* bit n: some marker is n bytes long */
};

static int
ex_create(const struct pf_host *h, struct pf_hctx *hctx, void **inst, char *err,
          size_t errlen)
{
    struct example *ex = calloc(1, sizeof(*ex));
    double score = 0.9;
    size_t n = 0;
    int rc;

    if (!ex) {
        pf_strlcpy(err, "out of memory", errlen);
        return PF_ENOMEM;
    }
    ex->host = h;
    ex->hctx = hctx;

    /* optional "score": how sure a placeholder makes us (0..1) */
    rc = h->cfg_num(hctx, "score", &score);
    if (rc == PF_ETYPE || (rc == PF_OK && (score < 0 || score > 1))) {
        pf_strlcpy(err, "config.score: expected a number from 0 to 1", errlen);
        free(ex);
        return PF_EINVAL;
    }
    ex->score = (float)score;

    /* optional "markers": words that must never reach a customer */
    if (h->cfg_len(hctx, "markers", &n) == PF_OK) {
        for (size_t i = 0; i < n && i < MAX_MARKERS; i++) {
            char path[32];
            const char *m;
            snprintf(path, sizeof(path), "markers[%zu]", i);
            if (h->cfg_str(hctx, path, &m) != PF_OK || !*m ||
                strlen(m) >= MARKER_LEN) {
                snprintf(err, errlen,
                         "config.markers[%zu]: expected a word of 1 to %d "
                         "bytes",
                         i, MARKER_LEN - 1);
                free(ex);
                return PF_EINVAL;
            }
            pf_strlcpy(ex->markers[ex->n_markers++], m, MARKER_LEN);
        }
    } else {
        pf_strlcpy(ex->markers[ex->n_markers++], "XXX", MARKER_LEN);
        pf_strlcpy(ex->markers[ex->n_markers++], "TODO", MARKER_LEN);
    }
    for (size_t i = 0; i < ex->n_markers; i++) {
        ex->marker_len[i] = strlen(ex->markers[i]);
        ex->marker_lens |= 1u << ex->marker_len[i];
    }
    *inst = ex;
    return PF_OK;
}

static void
ex_destroy(void *inst)
{
    free(inst);
}

static int
is_name_char(unsigned char c)
{
    /* letters (any script), space, underscore, dot, hyphen */
    return c >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           c == ' ' || c == '_' || c == '.' || c == '-';
}

/*
 * A placeholder: [name], {name}, {{name}}, <name> or %NAME% holding 1 to 40
 * bytes of letters, spaces and _.- (no digits: "[1/2]" is not one), not
 * followed by "(" (a Markdown link).
 */
static size_t
placeholder_at(const char *s, size_t len, size_t i)
{
    char open = s[i], close;
    size_t j = i + 1, inner = 0;
    switch (open) {
    case '[': close = ']'; break;
    case '{': close = '}'; break;
    case '<': close = '>'; break;
    case '%': close = '%'; break;
    default: return 0;
    }
    if (open == '{' && j < len && s[j] == '{')
        j++;
    while (j < len && is_name_char((unsigned char)s[j]) && inner <= 40)
        j++, inner++;
    if (j >= len || s[j] != close || inner == 0 || inner > 40)
        return 0;
    if (s[i + 1] == ' ' || s[j - 1] == ' ')
        return 0; /* "[ ]" check boxes, "< >" arrows */
    if (open == '%' && !(s[i + 1] >= 'A' && s[i + 1] <= 'Z'))
        return 0; /* 10% off, 20% more: only %UPPER% counts */
    j++;
    if (open == '{' && s[i + 1] == '{' && j < len && s[j] == '}')
        j++;
    if (open == '[' && j < len && s[j] == '(')
        return 0;
    return j - i;
}

static int
ex_check(void *inst, const struct pf_msg *msg, struct pf_verdict *v)
{
    struct example *ex = inst;
    struct pf_finding *f = NULL;
    const char *first = NULL;
    size_t first_len = 0;

    /* placeholders in the raw text, as the author typed them */
    for (size_t i = 0; i < msg->text_len; i++) {
        i += strcspn(msg->text + i, "[{<%"); /* text is NUL-terminated */
        if (i >= msg->text_len)
            break;
        size_t n = placeholder_at(msg->text, msg->text_len, i);
        if (!n)
            continue;
        if (!f && !(f = pf_verdict_add(v, "example.placeholder", ex->score)))
            return PF_OK; /* no room: the host's limit, nothing to do */
        pf_finding_span(f, (uint32_t)i, (uint32_t)n);
        if (!first)
            first = msg->text + i, first_len = n;
        i += n - 1;
    }

    /* marker words, as whole tokens matched on what was typed */
    for (size_t t = 0; t < msg->n_tokens; t++) {
        const struct pf_token *tok = &msg->tokens[t];
        /* most words have no marker's length: no need to compare */
        if (tok->kind != PF_TOK_WORD || tok->raw.len >= MARKER_LEN ||
            !(ex->marker_lens >> tok->raw.len & 1u))
            continue;
        for (size_t m = 0; m < ex->n_markers; m++) {
            if (ex->marker_len[m] != tok->raw.len ||
                ex->markers[m][0] != msg->text[tok->raw.off] ||
                memcmp(ex->markers[m], msg->text + tok->raw.off,
                       tok->raw.len) != 0)
                continue;
            if (!f &&
                !(f = pf_verdict_add(v, "example.placeholder", ex->score)))
                return PF_OK;
            pf_finding_span(f, tok->raw.off, tok->raw.len);
            if (!first)
                first = msg->text + tok->raw.off, first_len = tok->raw.len;
        }
    }

    if (f) {
        int fi = msg->ui_lang && strcmp(msg->ui_lang, "fi") == 0;
        if (first_len > 60)
            first_len = 60;
        snprintf(f->reason, sizeof(f->reason),
                 fi ? "viestissä on täyttämätön kohta \"%.*s\""
                    : "the reply still contains the placeholder \"%.*s\"",
                 (int)first_len, first);
        pf_strlcpy(f->suggestion,
                   fi ? "Täytä kohta oikealla tiedolla ennen lähettämistä."
                      : "Fill it in with the real value before sending.",
                   sizeof(f->suggestion));
        if (msg->flags & PF_MSG_EXPLAIN)
            ex->host->log(ex->hctx, PF_LOG_DEBUG,
                          "%u placeholder(s) or marker(s) found", f->n_spans);
    }
    return PF_OK;
}

/* every label check() may report: the host refuses a policy rule for a
   label no plugin reports, so that a typo in one is not ignored */
static const char *const ex_labels[] = {"example.placeholder", NULL};

static const struct pf_plugin plugin = {
    PF_PLUGIN_INIT("example", "1.0",
                   "holds replies that still contain template placeholders"),
    .create = ex_create,
    .destroy = ex_destroy,
    .check = ex_check,
    .labels = ex_labels, /* since ABI 1.2 */
};

PF_EXPORT const struct pf_plugin *
pf_plugin_entry_v1(void)
{
    return &plugin;
}
