/*
 * host.c - the host services plugins call (see struct pf_host in
 * plugin.h), and their per-instance context.
 *
 * Every entry point validates its arguments: plugins are other people's
 * code, and a NULL or oversized argument must give an error code, not a
 * crash in the host.
 */
#include "rules/host.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "text/text.h"

/*
 * Walk a dotted path ("a.b[2].c") from root. Each step, found or not, is
 * shown to step (when given): the object or array it was taken in, the
 * member's name (NULL for an array element) or index, and what it found.
 */
typedef void (*step_fn)(void *ud, json_t *in, const char *key, size_t index,
                        json_t *found);

static json_t *
walk(json_t *root, const char *path, step_fn step, void *ud)
{
    json_t *cur = root;
    const char *p = path;
    char key[256];
    if (!root || !path)
        return NULL;
    while (*p) {
        size_t n = 0;
        while (p[n] && p[n] != '.' && p[n] != '[')
            n++;
        if (n == 0 && *p != '[')
            return NULL; /* "a..b", ".a" */
        if (n) {
            if (n >= sizeof(key) || !json_is_object(cur))
                return NULL;
            memcpy(key, p, n);
            key[n] = '\0';
            json_t *next = json_object_get(cur, key);
            if (step)
                step(ud, cur, key, 0, next);
            if (!(cur = next))
                return NULL;
            p += n;
        }
        while (*p == '[') {
            char *end;
            unsigned long idx;
            if (!isdigit((unsigned char)p[1]))
                return NULL;
            idx = strtoul(p + 1, &end, 10);
            if (*end != ']' || !json_is_array(cur))
                return NULL;
            json_t *next = json_array_get(cur, idx);
            if (step)
                step(ud, cur, NULL, idx, next);
            if (!(cur = next))
                return NULL;
            p = end + 1;
        }
        if (*p == '.') {
            p++;
            if (!*p)
                return NULL;
        } else if (*p) {
            return NULL;
        }
    }
    return cur;
}

json_t *
pf_json_path(json_t *root, const char *path)
{
    return walk(root, path, NULL, NULL);
}

/* ---- what a plugin read of its configuration (see host.h) ---- */

static void
mark(struct pf_hctx *h, json_t *in, const char *key, size_t index, int how)
{
    for (size_t i = 0; i < h->n_marks; i++) {
        struct pf_cfg_mark *m = &h->marks[i];
        if (m->in == in && m->index == index &&
            (key ? m->key && !strcmp(m->key, key) : !m->key)) {
            if (how > m->how)
                m->how = how;
            return;
        }
    }
    if (h->n_marks == h->cap_marks) {
        h->cap_marks = h->cap_marks ? 2 * h->cap_marks : 16;
        h->marks = pf_xrealloc(h->marks, h->cap_marks * sizeof(*h->marks));
    }
    struct pf_cfg_mark *m = &h->marks[h->n_marks++];
    m->in = in;
    m->key = key ? pf_xstrdup(key) : NULL;
    m->index = index;
    m->how = how;
}

struct marking {
    struct pf_hctx *h;
    json_t *last_in; /* the last step taken */
    char last_key[256];
    int last_is_key;
    size_t last_index;
};

static void
mark_step(void *ud, json_t *in, const char *key, size_t index, json_t *found)
{
    struct marking *mk = ud;
    mark(mk->h, in, key, index, found ? PF_CFG_FOUND : PF_CFG_MISSING);
    mk->last_in = in;
    mk->last_is_key = key != NULL;
    if (key)
        snprintf(mk->last_key, sizeof(mk->last_key), "%s", key);
    mk->last_index = index;
}

/*
 * Resolve path, remembering (while create() runs) every step of it; value:
 * the getter takes what it finds as one value, so nothing inside it needs
 * reading (cfg_len, which counts, does not).
 */
static json_t *
walk_marked(struct pf_hctx *h, const char *path, int value)
{
    if (!h->recording)
        return walk(h->config, path, NULL, NULL);
    struct marking mk;
    memset(&mk, 0, sizeof(mk));
    mk.h = h;
    json_t *j = walk(h->config, path, mark_step, &mk);
    if (j && value && mk.last_in)
        mark(h, mk.last_in, mk.last_is_key ? mk.last_key : NULL, mk.last_index,
             PF_CFG_VALUE);
    return j;
}

void
pf_hctx_record(struct pf_hctx *h, int on)
{
    if (on) {
        for (size_t i = 0; i < h->n_marks; i++)
            free(h->marks[i].key);
        h->n_marks = 0;
        h->read_whole = 0;
    }
    h->recording = on;
}

void
pf_hctx_declare(struct pf_hctx *h, const char *path)
{
    int was = h->recording;
    h->recording = 1;
    walk_marked(h, path, 1);
    h->recording = was;
}

static void host_log(struct pf_hctx *h, int level, const char *fmt, ...)
    PF_ATTR_PRINTF(3, 4);

static void
host_log(struct pf_hctx *h, int level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    if (!fmt)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (h && h->capture && level >= PF_LOG_INFO) {
        pf_buf_addstr(h->capture, line);
        pf_buf_addch(h->capture, '\n');
        return;
    }
    if (level < PF_LOG_ERR)
        level = PF_LOG_ERR;
    if (level > PF_LOG_DEBUG)
        level = PF_LOG_DEBUG;
    pf_log(level, "plugin '%s': %s", h ? h->name : "?", line);
}

/* value: see walk_marked() */
static int
lookup(struct pf_hctx *h, const char *path, json_t **out, int value)
{
    if (!h || !path || !out)
        return PF_EINVAL;
    *out = walk_marked(h, path, value);
    return *out ? PF_OK : PF_ENOTFOUND;
}

static int
host_cfg_str(struct pf_hctx *h, const char *path, const char **out)
{
    json_t *j;
    int rc = lookup(h, path, &j, 1);
    if (rc)
        return rc;
    if (!json_is_string(j))
        return PF_ETYPE;
    *out = json_string_value(j);
    return PF_OK;
}

static int
host_cfg_int(struct pf_hctx *h, const char *path, int64_t *out)
{
    json_t *j;
    int rc = lookup(h, path, &j, 1);
    if (rc)
        return rc;
    if (json_is_integer(j)) {
        *out = (int64_t)json_integer_value(j);
        return PF_OK;
    }
    if (json_is_real(j)) {
        double d = json_real_value(j);
        if (d == (double)(int64_t)d) {
            *out = (int64_t)d;
            return PF_OK;
        }
    }
    return PF_ETYPE;
}

static int
host_cfg_num(struct pf_hctx *h, const char *path, double *out)
{
    json_t *j;
    int rc = lookup(h, path, &j, 1);
    if (rc)
        return rc;
    if (!json_is_number(j))
        return PF_ETYPE;
    *out = json_number_value(j);
    return PF_OK;
}

static int
host_cfg_bool(struct pf_hctx *h, const char *path, int *out)
{
    json_t *j;
    int rc = lookup(h, path, &j, 1);
    if (rc)
        return rc;
    if (!json_is_boolean(j))
        return PF_ETYPE;
    *out = json_is_true(j);
    return PF_OK;
}

static int
host_cfg_len(struct pf_hctx *h, const char *path, size_t *out)
{
    json_t *j;
    int rc;
    if (h && path && !*path) {
        *out = h->config ? json_object_size(h->config) : 0;
        return PF_OK;
    }
    rc = lookup(h, path, &j, 0);
    if (rc)
        return rc;
    if (json_is_array(j))
        *out = json_array_size(j);
    else if (json_is_object(j))
        *out = json_object_size(j);
    else
        return PF_ETYPE;
    return PF_OK;
}

static const char *
host_cfg_json(struct pf_hctx *h)
{
    if (!h)
        return "{}";
    if (h->recording)
        h->read_whole = 1;
    if (!h->config_json) {
        h->config_json =
            h->config ? json_dumps(h->config, JSON_COMPACT | JSON_SORT_KEYS)
                      : NULL;
        if (!h->config_json)
            h->config_json = pf_xstrdup("{}");
    }
    return h->config_json;
}

static int
host_cfg_path(struct pf_hctx *h, const char *path, const char **out)
{
    const char *s;
    int rc = host_cfg_str(h, path, &s);
    if (rc)
        return rc;
    char *full = pf_path_join(h->base_dir, s);
    h->paths = pf_xrealloc(h->paths, (h->n_paths + 1) * sizeof(*h->paths));
    h->paths[h->n_paths++] = full;
    *out = full;
    return PF_OK;
}

static const char *
host_data_dir(struct pf_hctx *h)
{
    return h ? h->data_dir : NULL;
}

static const char *
host_state_dir(struct pf_hctx *h)
{
    return h ? h->state_dir : NULL;
}

static long
host_casefold(struct pf_hctx *h, const char *in, size_t len, char *out,
              size_t cap)
{
    struct pf_text t;
    long n;
    if (!h || !in || (cap && !out))
        return PF_EINVAL;
    if (len > (16u << 20))
        return PF_ETOOBIG;
    if (pf_text_prepare(&t, &h->svc->scratch, in, len, NULL, 0)) {
        pf_arena_reset(&h->svc->scratch);
        return PF_EINVAL;
    }
    n = (long)t.norm_len;
    if (cap) {
        size_t k = t.norm_len < cap - 1 ? t.norm_len : cap - 1;
        /* never cut a character in half */
        while (k > 0 && k < t.norm_len &&
               ((unsigned char)t.norm[k] & 0xC0) == 0x80)
            k--;
        memcpy(out, t.norm, k);
        out[k] = '\0';
    }
    pf_arena_reset(&h->svc->scratch);
    return n;
}

static int
host_tokenize(struct pf_hctx *h, const char *in, size_t len,
              struct pf_span *spans, uint16_t *kinds, size_t cap, size_t *n)
{
    struct pf_text t;
    if (!h || !in || !n || (cap && !spans))
        return PF_EINVAL;
    if (len > (16u << 20))
        return PF_ETOOBIG;
    if (pf_text_prepare(&t, &h->svc->scratch, in, len, NULL, 0)) {
        pf_arena_reset(&h->svc->scratch);
        return PF_EINVAL;
    }
    for (size_t i = 0; i < t.n_tokens && i < cap; i++) {
        spans[i] = t.tokens[i].raw;
        if (kinds)
            kinds[i] = t.tokens[i].kind;
    }
    *n = t.n_tokens;
    pf_arena_reset(&h->svc->scratch);
    return t.n_tokens > cap ? PF_ETOOBIG : PF_OK;
}

static long
host_stem(struct pf_hctx *h, const char *lang, const char *word, size_t len,
          char *out, size_t cap)
{
    if (!h || !word || (cap && !out))
        return PF_EINVAL;
    return pf_stem(h->svc->stem, lang, word, len, out, cap);
}

static int64_t
host_now_us(int clock)
{
    return clock == PF_CLOCK_WALL ? pf_wall_us() : pf_now_us();
}

const struct pf_host pf_host_table = {
    .abi_major = PF_ABI_MAJOR,
    .abi_minor = PF_ABI_MINOR,
    .size = sizeof(struct pf_host),
    .log = host_log,
    .cfg_str = host_cfg_str,
    .cfg_int = host_cfg_int,
    .cfg_num = host_cfg_num,
    .cfg_bool = host_cfg_bool,
    .cfg_len = host_cfg_len,
    .cfg_json = host_cfg_json,
    .cfg_path = host_cfg_path,
    .data_dir = host_data_dir,
    .state_dir = host_state_dir,
    .casefold = host_casefold,
    .tokenize = host_tokenize,
    .stem = host_stem,
    .now_us = host_now_us,
};

struct pf_hctx *
pf_hctx_new(const char *name, json_t *config, const char *base_dir,
            const char *data_dir, const char *state_dir, struct pf_hostsvc *svc)
{
    struct pf_hctx *h = pf_xcalloc(1, sizeof(*h));
    h->name = pf_xstrdup(name);
    h->config = config ? json_incref(config) : NULL;
    h->base_dir = pf_xstrdup(base_dir ? base_dir : ".");
    h->data_dir = pf_xstrdup(data_dir ? data_dir : ".");
    h->state_dir = state_dir ? pf_xstrdup(state_dir) : NULL;
    h->svc = svc;
    return h;
}

void
pf_hctx_free(struct pf_hctx *h)
{
    if (!h)
        return;
    free(h->name);
    if (h->config)
        json_decref(h->config);
    free(h->config_json);
    free(h->base_dir);
    free(h->data_dir);
    free(h->state_dir);
    for (size_t i = 0; i < h->n_paths; i++)
        free(h->paths[i]);
    free(h->paths);
    for (size_t i = 0; i < h->n_marks; i++)
        free(h->marks[i].key);
    free(h->marks);
    free(h);
}

void
pf_hostsvc_init(struct pf_hostsvc *s)
{
    s->stem = pf_stem_new();
    pf_arena_init(&s->scratch, 0);
}

void
pf_hostsvc_release(struct pf_hostsvc *s)
{
    pf_stem_free(s->stem);
    pf_arena_release(&s->scratch);
}
