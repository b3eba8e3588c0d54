/*
 * xml.h - one XMPP stanza (one WebSocket frame, RFC 7395) parsed into a
 * small tree, with hard limits, and the escaping used to build stanzas.
 *
 * The parser is libexpat with namespace processing. It refuses anything an
 * XMPP server has no business sending: a DOCTYPE or entity declaration
 * (billion laughs), more than one top-level element, nesting deeper than
 * the limit, too many elements or attributes, invalid UTF-8. Every refusal
 * says what was wrong; nothing is half-parsed.
 */
#ifndef PF_XML_H
#define PF_XML_H

#include <stddef.h>

#include "base/arena.h"
#include "base/util.h"

struct pf_xattr {
    const char *ns;   /* namespace URI, "" for none */
    const char *name; /* local name */
    const char *value;
};

struct pf_xnode {
    const char *ns;   /* namespace URI, "" for none */
    const char *name; /* local name */
    struct pf_xattr *attrs;
    size_t n_attrs;
    const char *text; /* character data directly inside, NUL-terminated */
    size_t text_len;
    struct pf_xnode *parent, *child, *next;
};

struct pf_xml_limits {
    size_t max_bytes; /* whole frame */
    unsigned max_depth;
    unsigned max_nodes;
    unsigned max_attrs; /* per element */
};

#define PF_XML_LIMITS_DEFAULT                                                  \
    {                                                                          \
        256 * 1024, 32, 4096, 32                                               \
    }

/*
 * Parse one frame holding exactly one element. The tree lives in a.
 * Returns PF_OK, PF_ETOOBIG (over a limit) or PF_EINVAL (malformed or
 * refused), with err saying which.
 */
int pf_xml_parse(struct pf_arena *a, const char *buf, size_t len,
                 const struct pf_xml_limits *lim, struct pf_xnode **root,
                 char *err, size_t errlen);

/*
 * Parse the start of a frame that was too big to keep (its first bytes):
 * the elements begun there, the ones left open with the text they had so
 * far. The same refusals as pf_xml_parse (but for the size); a cut in
 * the middle of a tag or a character is not an error.
 */
int pf_xml_parse_head(struct pf_arena *a, const char *buf, size_t len,
                      const struct pf_xml_limits *lim, struct pf_xnode **root,
                      char *err, size_t errlen);

/* First child with this namespace (NULL: any) and local name, or NULL. */
const struct pf_xnode *pf_xml_child(const struct pf_xnode *n, const char *ns,
                                    const char *name);
/* Next sibling after c with this namespace and name, or NULL. */
const struct pf_xnode *pf_xml_next(const struct pf_xnode *c, const char *ns,
                                   const char *name);
/* Value of an attribute without a namespace, or NULL. */
const char *pf_xml_attr(const struct pf_xnode *n, const char *name);
/* Is n the element {ns}name? */
int pf_xml_is(const struct pf_xnode *n, const char *ns, const char *name);

/*
 * Append s[0..len) to b escaped for XML text or attribute values. Bytes
 * that may not appear in XML 1.0 (control characters) are dropped; s must
 * be valid UTF-8.
 */
void pf_xml_escape(struct pf_buf *b, const char *s, size_t len);
void pf_xml_escape_str(struct pf_buf *b, const char *s);

#endif
