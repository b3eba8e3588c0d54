/*
 * xml.c - see xml.h.
 *
 * expat reports element names as "namespace-URI\x01local" with namespace
 * processing on; the tree keeps the two apart. Character data arrives in
 * pieces, so each open element gathers its text in a buffer that moves to
 * the arena when the element ends. A refusal stops the parser at once
 * (XML_StopParser) and the first reason is the one reported.
 */
#include "connectors/xml.h"

#include <expat.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pokerface/plugin.h"

#define NS_SEP '\x01'

struct open_el {
    struct pf_xnode *node;
    struct pf_buf text;
};

struct pstate {
    XML_Parser p;
    struct pf_arena *a;
    const struct pf_xml_limits *lim;
    struct pf_xnode *root;
    struct open_el *stack;
    unsigned depth, nodes;
    int failed; /* PF_E* of the first refusal */
    char *err;
    size_t errlen;
};

static void refuse(struct pstate *s, int code, const char *fmt, ...)
    PF_ATTR_PRINTF(3, 4);

static void
refuse(struct pstate *s, int code, const char *fmt, ...)
{
    va_list ap;
    if (s->failed)
        return;
    s->failed = code;
    va_start(ap, fmt);
    vsnprintf(s->err, s->errlen, fmt, ap);
    va_end(ap);
    XML_StopParser(s->p, XML_FALSE);
}

/* "uri\x01local" -> ns, name (arena copies) */
static void
split_name(struct pf_arena *a, const char *full, const char **ns,
           const char **name)
{
    const char *sep = strchr(full, NS_SEP);
    if (sep) {
        *ns = pf_arena_strndup(a, full, (size_t)(sep - full));
        *name = pf_arena_strndup(a, sep + 1, strlen(sep + 1));
    } else {
        *ns = "";
        *name = pf_arena_strndup(a, full, strlen(full));
    }
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
    struct pstate *s = ud;
    size_t n_atts = 0;
    if (s->failed)
        return;
    if (s->depth >= s->lim->max_depth) {
        refuse(s, PF_ETOOBIG, "elements nested deeper than %u levels",
               s->lim->max_depth);
        return;
    }
    if (++s->nodes > s->lim->max_nodes) {
        refuse(s, PF_ETOOBIG, "more than %u elements", s->lim->max_nodes);
        return;
    }
    while (atts[n_atts * 2])
        n_atts++;
    if (n_atts > s->lim->max_attrs) {
        refuse(s, PF_ETOOBIG, "an element with more than %u attributes",
               s->lim->max_attrs);
        return;
    }
    struct pf_xnode *n = pf_arena_calloc(s->a, 1, sizeof(*n));
    split_name(s->a, name, &n->ns, &n->name);
    n->attrs = pf_arena_calloc(s->a, n_atts ? n_atts : 1, sizeof(*n->attrs));
    n->n_attrs = n_atts;
    for (size_t i = 0; i < n_atts; i++) {
        split_name(s->a, atts[i * 2], &n->attrs[i].ns, &n->attrs[i].name);
        n->attrs[i].value =
            pf_arena_strndup(s->a, atts[i * 2 + 1], strlen(atts[i * 2 + 1]));
    }
    n->text = "";
    if (s->depth == 0) {
        s->root = n;
    } else {
        struct pf_xnode *parent = s->stack[s->depth - 1].node;
        n->parent = parent;
        if (!parent->child) {
            parent->child = n;
        } else {
            struct pf_xnode *c = parent->child;
            while (c->next)
                c = c->next;
            c->next = n;
        }
    }
    s->stack[s->depth].node = n;
    pf_buf_init(&s->stack[s->depth].text);
    s->depth++;
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
    struct pstate *s = ud;
    (void)name;
    if (s->failed || s->depth == 0)
        return;
    s->depth--;
    struct open_el *e = &s->stack[s->depth];
    if (e->text.len) {
        e->node->text = pf_arena_strndup(s->a, e->text.data, e->text.len);
        e->node->text_len = e->text.len;
    }
    pf_buf_release(&e->text);
}

static void XMLCALL
on_chars(void *ud, const XML_Char *data, int len)
{
    struct pstate *s = ud;
    if (s->failed || s->depth == 0 || len <= 0)
        return;
    pf_buf_add(&s->stack[s->depth - 1].text, data, (size_t)len);
}

static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
           const XML_Char *pubid, int has_internal_subset)
{
    (void)name;
    (void)sysid;
    (void)pubid;
    (void)has_internal_subset;
    refuse(ud, PF_EINVAL, "%s", "a DOCTYPE (DTDs are not allowed in XMPP)");
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int is_param, const XML_Char *value,
          int value_len, const XML_Char *base, const XML_Char *sysid,
          const XML_Char *pubid, const XML_Char *notation)
{
    (void)is_param;
    (void)value;
    (void)value_len;
    (void)base;
    (void)sysid;
    (void)pubid;
    (void)notation;
    refuse(ud, PF_EINVAL, "an entity declaration ('%s')", name);
}

/*
 * The salt of expat's hash tables (against hash flooding). Unless it is
 * given one, expat asks the kernel for a new salt for every parser, that
 * is for every stanza: a system call on the path of every reply. One
 * drawn once per process protects the same.
 */
static unsigned long
hash_salt(void)
{
    static unsigned long salt;
    while (!salt)
        randombytes_buf(&salt, sizeof(salt));
    return salt;
}

/*
 * The parser, kept between stanzas: creating and freeing expat's parser
 * cost a fifth of parsing a 460-byte groupchat message (11,000 of 53,000
 * instructions, callgrind), and XML_ParserReset() keeps its memory.
 * Reset clears the handlers and the salt, so they are set for each
 * stanza; a parser that stopped on an error is not kept. One per thread:
 * the bot parses on its loop's thread only, but the tests need not.
 */
static _Thread_local XML_Parser kept;

static void
drop_kept(void)
{
    if (kept)
        XML_ParserFree(kept);
    kept = NULL;
}

static XML_Parser
parser(void)
{
    XML_Parser p = kept;
    kept = NULL;
    if (p && XML_ParserReset(p, "UTF-8"))
        return p;
    if (p)
        XML_ParserFree(p);
    p = XML_ParserCreateNS("UTF-8", NS_SEP);
    if (!p)
        pf_die("out of memory creating an XML parser");
    return p;
}

/* done with p: kept for the next stanza if it ended well */
static void
keep(XML_Parser p, int ok)
{
    static int registered;
    if (!ok || kept) {
        XML_ParserFree(p);
        return;
    }
    if (!registered) {
        atexit(drop_kept); /* the main thread's, for leak checkers */
        registered = 1;
    }
    kept = p;
}

/* whole: a whole frame; else the start of one (pf_xml_parse_head) */
static int
parse(struct pf_arena *a, const char *buf, size_t len,
      const struct pf_xml_limits *lim, struct pf_xnode **root, char *err,
      size_t errlen, int whole)
{
    static const struct pf_xml_limits def = PF_XML_LIMITS_DEFAULT;
    struct pstate s;
    int rc = PF_OK;

    *root = NULL;
    if (!lim)
        lim = &def;
    if (whole && len > lim->max_bytes) {
        snprintf(err, errlen, "stanza of %zu bytes, over the limit of %zu", len,
                 lim->max_bytes);
        return PF_ETOOBIG;
    }
    if (len > 0x7FFFFFFF)
        return PF_ETOOBIG;
    memset(&s, 0, sizeof(s));
    s.a = a;
    s.lim = lim;
    s.err = err;
    s.errlen = errlen;
    s.stack = pf_xcalloc(lim->max_depth + 1, sizeof(*s.stack));
    s.p = parser();
    XML_SetHashSalt(s.p, hash_salt());
    XML_SetUserData(s.p, &s);
    XML_SetElementHandler(s.p, on_start, on_end);
    XML_SetCharacterDataHandler(s.p, on_chars);
    XML_SetStartDoctypeDeclHandler(s.p, on_doctype);
    XML_SetEntityDeclHandler(s.p, on_entity);
    XML_SetParamEntityParsing(s.p, XML_PARAM_ENTITY_PARSING_NEVER);
#if defined(XML_DTD) && (XML_MAJOR_VERSION > 2 ||                              \
                         (XML_MAJOR_VERSION == 2 && XML_MINOR_VERSION >= 4))
    /* belt and braces: DTDs are refused above anyway */
    XML_SetBillionLaughsAttackProtectionMaximumAmplification(s.p, 10.0f);
#endif
    if (XML_Parse(s.p, buf, (int)len, whole ? XML_TRUE : XML_FALSE) ==
            XML_STATUS_ERROR &&
        !s.failed) {
        enum XML_Error e = XML_GetErrorCode(s.p);
        snprintf(err, errlen, "malformed XML: %s at line %lu column %lu",
                 XML_ErrorString(e),
                 (unsigned long)XML_GetCurrentLineNumber(s.p),
                 (unsigned long)XML_GetCurrentColumnNumber(s.p));
        rc = PF_EINVAL;
    }
    if (s.failed)
        rc = s.failed;
    else if (rc == PF_OK && !s.root) {
        snprintf(err, errlen, "no element");
        rc = PF_EINVAL;
    }
    /* elements left open: by an error, or where the head was cut (their
       text so far is theirs) */
    for (unsigned i = 0; i < s.depth; i++) {
        struct open_el *e = &s.stack[i];
        if (!whole && rc == PF_OK && e->text.len) {
            e->node->text = pf_arena_strndup(a, e->text.data, e->text.len);
            e->node->text_len = e->text.len;
        }
        pf_buf_release(&e->text);
    }
    free(s.stack);
    keep(s.p, rc == PF_OK && whole);
    if (rc == PF_OK)
        *root = s.root;
    return rc;
}

int
pf_xml_parse(struct pf_arena *a, const char *buf, size_t len,
             const struct pf_xml_limits *lim, struct pf_xnode **root, char *err,
             size_t errlen)
{
    return parse(a, buf, len, lim, root, err, errlen, 1);
}

int
pf_xml_parse_head(struct pf_arena *a, const char *buf, size_t len,
                  const struct pf_xml_limits *lim, struct pf_xnode **root,
                  char *err, size_t errlen)
{
    return parse(a, buf, len, lim, root, err, errlen, 0);
}

int
pf_xml_is(const struct pf_xnode *n, const char *ns, const char *name)
{
    return n && strcmp(n->name, name) == 0 && (!ns || strcmp(n->ns, ns) == 0);
}

const struct pf_xnode *
pf_xml_child(const struct pf_xnode *n, const char *ns, const char *name)
{
    if (!n)
        return NULL;
    for (const struct pf_xnode *c = n->child; c; c = c->next)
        if (pf_xml_is(c, ns, name))
            return c;
    return NULL;
}

const struct pf_xnode *
pf_xml_next(const struct pf_xnode *c, const char *ns, const char *name)
{
    for (c = c ? c->next : NULL; c; c = c->next)
        if (pf_xml_is(c, ns, name))
            return c;
    return NULL;
}

const char *
pf_xml_attr(const struct pf_xnode *n, const char *name)
{
    if (!n)
        return NULL;
    for (size_t i = 0; i < n->n_attrs; i++)
        if (!n->attrs[i].ns[0] && strcmp(n->attrs[i].name, name) == 0)
            return n->attrs[i].value;
    return NULL;
}

void
pf_xml_escape(struct pf_buf *b, const char *s, size_t len)
{
    size_t run = 0;
    pf_buf_grow(b, len + 16);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *rep = NULL;
        switch (c) {
        case '&': rep = "&amp;"; break;
        case '<': rep = "&lt;"; break;
        case '>': rep = "&gt;"; break;
        case '"': rep = "&quot;"; break;
        case '\'': rep = "&apos;"; break;
        default:
            if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                rep = ""; /* not allowed in XML 1.0 */
        }
        if (!rep)
            continue;
        pf_buf_add(b, s + run, i - run);
        pf_buf_addstr(b, rep);
        run = i + 1;
    }
    pf_buf_add(b, s + run, len - run);
}

void
pf_xml_escape_str(struct pf_buf *b, const char *s)
{
    pf_xml_escape(b, s, strlen(s));
}
