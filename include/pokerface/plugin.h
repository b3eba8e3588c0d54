/*
 * pokerface/plugin.h - the rule-plugin ABI of pokerface, major version 1.
 *
 * This is the only public header of pokerface. A rule plugin is a shared
 * object that exports exactly one function, pf_plugin_entry_v1(), returning a
 * pointer to a static const struct pf_plugin. The host calls the plugin's
 * callbacks; the plugin calls the host only through the const struct pf_host
 * table it is handed, so a plugin never links against pokerface itself.
 *
 * Build a plugin with:
 *
 *   cc $(pkg-config --cflags pokerface-plugin) -std=c99 -O2 -fPIC -shared \
 *      -fvisibility=hidden -Wl,--no-undefined -o myrule.so myrule.c
 *
 * Contract, in short:
 *
 *  - Threads and processes. Callbacks run one at a time, on one thread. In
 *    the bot (pokerface run) that thread is in a worker process of its own,
 *    forked from the bot, so that a plugin that hangs or crashes cannot stop
 *    it. check() must not block: no file or network I/O, no sleeping. Read
 *    files in create(). The host times every check() and turns a message
 *    whose check overran its budget or failed into a hold (fail closed); a
 *    callback still running at twice its budget, or one that crashes, ends
 *    the worker process (SIGKILL), the message is held, and the instances
 *    are created again in a new one: keep on disk what must survive that.
 *  - Memory. Nothing allocated on one side of the boundary is freed on the
 *    other. Everything the host passes in is borrowed for the duration of the
 *    call. Findings are written into host-owned fixed-size buffers.
 *  - Text. All strings are UTF-8. Spans are byte offsets into pf_msg.text,
 *    the text exactly as the author wrote it, on character boundaries.
 *  - Errors. Callbacks return PF_OK (0) or a negative PF_E* code. create()
 *    may also write a human-readable message into its err buffer.
 *
 * ABI maintenance rules (for pokerface developers):
 *
 *  - Structs in this header are append-only. Never reorder, resize or remove
 *    a member; a dead host function becomes a stub returning PF_ENOTSUP.
 *  - Appending members bumps PF_ABI_MINOR. Anything else bumps PF_ABI_MAJOR,
 *    which renames the entry symbol, so an old plugin is simply "not a vN
 *    plugin" instead of a misread struct.
 *  - The host refuses a plugin built for a newer minor than its own, and
 *    copies min(plugin->size, sizeof) bytes of struct pf_plugin, so a plugin
 *    built for an older minor keeps working. Plugins test host members added
 *    after 1.0 with PF_HOST_HAS() before calling them.
 *  - This header defines no objects, only types, macros and static inline
 *    helpers, so including it in several files of one plugin is safe.
 */
#ifndef POKERFACE_PLUGIN_H
#define POKERFACE_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PF_ABI_MAJOR 1
#define PF_ABI_MINOR 3

#if defined(__GNUC__) || defined(__clang__)
#define PF_EXPORT __attribute__((visibility("default")))
#define PF_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PF_EXPORT
#define PF_PRINTF(f, a)
#endif

/* Return codes shared by host and plugins. */
enum {
    PF_OK = 0,
    PF_ERR = -1,       /* unspecified failure */
    PF_EINVAL = -2,    /* invalid argument or configuration */
    PF_ENOMEM = -3,    /* out of memory */
    PF_ENOTFOUND = -4, /* no such key, file or item */
    PF_ENOTSUP = -5,   /* not supported by this host or plugin */
    PF_ETOOBIG = -6,   /* does not fit; output truncated or refused */
    PF_ETYPE = -7      /* configuration value has the wrong type */
};

enum pf_log_level {
    PF_LOG_ERR = 0,
    PF_LOG_WARN = 1,
    PF_LOG_INFO = 2,
    PF_LOG_DEBUG = 3
};

/* A byte range in pf_msg.text. */
struct pf_span {
    uint32_t off;
    uint32_t len;
};

enum pf_tok_kind {
    PF_TOK_WORD = 0,    /* letters and digits, intra-word ' and * */
    PF_TOK_NUMBER = 1,  /* digits with . , : separators: 6,90 14:02 15.3. */
    PF_TOK_URL = 2,     /* http(s)://... or www.... */
    PF_TOK_EMAIL = 3,   /* local@domain.tld */
    PF_TOK_MENTION = 4, /* @name */
    PF_TOK_EMOJI = 5,   /* one emoji or pictographic symbol (grapheme) */
    PF_TOK_PUNCT = 6    /* one punctuation character, or a run of one: !!! */
};

/*
 * Token flags, computed by the host from the raw text:
 *   CAPITALIZED  first letter upper case as typed
 *   ALLCAPS      two or more letters, all upper case
 *   SENT_START   first word of a sentence or a line
 *   QUOTED       inside a closed pair of quotation marks
 *   LEET         digits or symbols folded to letters: 1d10t
 *   LOOKALIKE    Cyrillic or Greek look-alike letters folded
 *   JOINED       spaced or dotted letters joined: i.d.i.o.t
 *   MASKED       letters masked with '*': k*sipää
 *   QUESTION     a PUNCT token with a question mark
 *   NAME         (1.2) a capitalized common first name or a team member's
 *                name: Sanna, Jess, Mikko
 */
#define PF_TOKF_CAPITALIZED 0x0001
#define PF_TOKF_ALLCAPS 0x0002
#define PF_TOKF_SENT_START 0x0004
#define PF_TOKF_QUOTED 0x0008
#define PF_TOKF_LEET 0x0010
#define PF_TOKF_LOOKALIKE 0x0020
#define PF_TOKF_JOINED 0x0040
#define PF_TOKF_MASKED 0x0080
#define PF_TOKF_QUESTION 0x0100
#define PF_TOKF_NAME 0x0200

struct pf_token {
    struct pf_span raw; /* the token in pf_msg.text, as typed */
    uint32_t norm_off;  /* the token in pf_msg.norm */
    uint32_t norm_len;
    uint16_t kind;  /* enum pf_tok_kind */
    uint16_t flags; /* PF_TOKF_* */
};

/* pf_msg.flags */
#define PF_MSG_OUTGOING 0x0001  /* a reply on its way to a customer (check) */
#define PF_MSG_BACKSTAGE 0x0002 /* internal talk, never sent (observe) */
#define PF_MSG_CUSTOMER 0x0004  /* written by the customer (context) */
#define PF_MSG_EDITED 0x0008    /* the author edited a held message */
#define PF_MSG_EXPLAIN                                                         \
    0x0010 /* a person asked why: log your reasoning                           \
              with PF_LOG_DEBUG, it is shown to them */

/*
 * Whom a message talks to, as the host reads it (ABI 1.1): counts of cues
 * in its tokens. A reply to a customer talks *to* them (second person, a
 * greeting, their name); backstage talk talks *about* them (third person)
 * or to a colleague (a team member's name or an @mention).
 */
struct pf_addressee {
    uint32_t size;          /* sizeof(struct pf_addressee) in the host */
    uint16_t second;        /* you, your, sinä, teille, tilauksenne */
    uint16_t third;         /* he, him, hän, häntä, this guy, se asiakas */
    uint16_t greeting;      /* opens with hi, hello, hei, moi */
    uint16_t customer_name; /* names one of the route's customers */
    uint16_t colleague;     /* names or @mentions a team member */
    uint16_t question;      /* question marks */
    int32_t colleague_tok;  /* token of the first colleague cue, or -1 */
    int32_t customer_tok;   /* token of the first customer name, or -1 */
};

/*
 * A segment of a message (ABI 1.2): a sentence, a line, a parenthesised or
 * bracketed part, a quoted part or a clause split off at a discourse marker
 * ("btw", "lol", "tho", "mutta", "ps"). Real accidents are one backstage
 * sentence inside a long, polite reply, so rules judge a reply segment by
 * segment: a greeting or a helpful paragraph must not dilute the remark next
 * to them.
 *
 * Top-level segments (parent == PF_SEG_NONE) follow each other and cover
 * every token of the message once. A nested segment (a parenthesis, a
 * bracket, a quotation) lies inside its parent; its tokens count as its own,
 * not the parent's: pf_msg.token_segment gives each token's innermost
 * segment. The cue counts below are over the segment's own tokens.
 *
 * The host may make this struct longer in a later minor: step through
 * pf_msg.segments with pf_msg_segment(), never with segments[i].
 */
enum pf_seg_kind {
    PF_SEG_SENTENCE = 0, /* a sentence, or a line without sentence ends */
    PF_SEG_CLAUSE = 1,   /* split off a sentence at a marker or a ';' */
    PF_SEG_PAREN = 2,    /* ( ... ), nested */
    PF_SEG_BRACKET = 3,  /* [ ... ] or { ... }, nested */
    PF_SEG_QUOTE = 4     /* "...": nested; a line starting with '>' */
};

#define PF_SEG_NONE UINT32_MAX

/*
 * Segment flags:
 *   FIRST, LAST      the first / last top-level segment
 *   LINE_START       begins a line (or the message)
 *   GREETING         opens with a greeting ("Hi Emma,", "Hei Laura")
 *   SIGNOFF          a closing or signature ("Best wishes, Tom", "t. Minna")
 *   AFTER_SIGNOFF    comes after a closing: a trailing aside
 *   MARKER           opens (or closes) with a discourse marker: btw, ps,
 *                    lol, tho, fyi, mutta, muuten
 *   QUESTION         ends with a question mark
 *   LOWER_START      its first word is written in lower case
 *   QUOTED           every word in it is inside quotation marks
 *   VOCATIVE         opens with a name (a team member's, a common first
 *                    name) or an @mention followed by a comma, a colon, a
 *                    dash, a request or a question: "Jess can you",
 *                    "@priya", "Sanna, voitko", "Ville - was it 15 or 19?"
 */
#define PF_SEGF_FIRST 0x0001
#define PF_SEGF_LAST 0x0002
#define PF_SEGF_LINE_START 0x0004
#define PF_SEGF_GREETING 0x0008
#define PF_SEGF_SIGNOFF 0x0010
#define PF_SEGF_AFTER_SIGNOFF 0x0020
#define PF_SEGF_MARKER 0x0040
#define PF_SEGF_QUESTION 0x0080
#define PF_SEGF_LOWER_START 0x0100
#define PF_SEGF_QUOTED 0x0200
#define PF_SEGF_VOCATIVE 0x0400

struct pf_segment {
    struct pf_span raw; /* from its first to its last token, in text */
    uint32_t tok0;      /* tokens [tok0, tok1), nested segments' included */
    uint32_t tok1;
    uint32_t parent; /* index of the enclosing segment, or PF_SEG_NONE */
    uint16_t kind;   /* enum pf_seg_kind */
    uint16_t flags;  /* PF_SEGF_* */
    /* cues over its own tokens */
    uint16_t words;     /* word tokens */
    uint16_t second;    /* talks to the reader: you, your, sinä, teille */
    uint16_t third;     /* about a person: he, she, hän, se asiakas */
    uint16_t first;     /* the author or the team: I, me, we, mä, me */
    uint16_t colleague; /* a team member's name or an @mention */
    uint16_t customer;  /* a customer's name */
    uint16_t informal;  /* chat register: lol, tbh, mä, sä, toi, niinku */
    uint16_t caps;      /* words typed in capitals */
    uint16_t names;     /* other people's first names: Mikko, Jess */
    uint16_t reserved;
};

/*
 * One message, prepared once by the host and shared by all plugins. Borrowed
 * for the duration of the callback.
 *
 * norm is the text normalized for matching: NFKC case folding, invisible
 * characters removed, Cyrillic/Greek look-alikes in Latin words folded,
 * digit/symbol leetspeak inside mixed tokens folded (1d10tti -> idiootti),
 * spaced-out letters joined (i d i o t -> idiot), and a space put between a
 * letter and an emoji that touch. norm_map has norm_len + 1 entries: the
 * offset in text of the character each byte of norm came from, with
 * norm_map[norm_len] == text_len. Use pf_msg_raw_span() to turn a range of
 * norm into a span of text.
 */
struct pf_msg {
    uint32_t size;    /* sizeof(struct pf_msg) in the host */
    uint32_t flags;   /* PF_MSG_* */
    const char *text; /* valid UTF-8, NUL-terminated */
    size_t text_len;
    const char *norm; /* NUL-terminated */
    size_t norm_len;
    const uint32_t *norm_map;
    const struct pf_token *tokens;
    size_t n_tokens;
    const char *lang;        /* guess: "fi", "en", "mixed" or "und" */
    const char *ui_lang;     /* write reasons in this language: "fi" or "en" */
    const char *author_id;   /* "" when unknown */
    const char *author_name; /* display name, "" when unknown */
    const char *route;       /* route name, "" outside a relay */
    const char *platform;    /* "xmpp", "mattermost", "cli", ... */
    const char *msg_id;      /* backend message id, "" when none */
    int64_t ts_ms;           /* when it was written, ms since the epoch */
    /* The customer's recent messages in this conversation, oldest first,
       each prepared like this one (flags has PF_MSG_CUSTOMER). */
    const struct pf_msg *const *context;
    size_t n_context;
    /* Display names of the team (agents and supervisors) on this route. */
    const char *const *team;
    size_t n_team;

    /* 1.1+ members; test them with PF_MSG_HAS(). */
    /* Display names of the customers on this route (the customer room's
       members who are not on the team). */
    const char *const *customers;
    size_t n_customers;
    /* Whom the message talks to; never NULL from a 1.1 host. */
    const struct pf_addressee *addressee;

    /* 1.2+ members; test them with PF_MSG_HAS(). */
    /* The message's segments in text order (a nested one right after the
       segment it starts in); at least one when there is a token. Step
       with pf_msg_segment(): segment_size is the host's sizeof. */
    const struct pf_segment *segments;
    size_t n_segments;
    size_t segment_size;
    /* n_tokens entries: the innermost segment each token belongs to. */
    const uint32_t *token_segment;

    /* 1.3+ members; test them with PF_MSG_HAS(), or read them with
       pf_msg_token_hash(), which does. */
    /* n_tokens entries: pf_word_hash() of each token's normalized bytes
       (norm + norm_off, norm_len), computed once by the host so that
       plugins need not hash the same words again. NULL when the host has
       none (a message without tokens may have none). */
    const uint32_t *token_hash;
};

/* Does this host's pf_msg have member m (added after 1.0)? */
#define PF_MSG_HAS(msg, m)                                                     \
    (offsetof(struct pf_msg, m) + sizeof((msg)->m) <= (msg)->size)

/*
 * The word hash of ABI 1.3: 32-bit FNV-1a of the bytes, with 0 (never a
 * hash) read as 1. pf_msg.token_hash holds it for every token; a plugin
 * that builds its word tables with this function at create() can look a
 * token up with the host's hash instead of hashing it again. The function
 * is part of the ABI: it never changes within major version 1.
 */
static inline uint32_t
pf_word_hash(const char *s, size_t n)
{
    uint32_t h = 2166136261u;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 16777619u;
    }
    return h ? h : 1;
}

/* pf_word_hash() of token t's normalized bytes: the host's when it has
   one (ABI 1.3), else computed here. */
static inline uint32_t
pf_msg_token_hash(const struct pf_msg *m, size_t t)
{
    if (PF_MSG_HAS(m, token_hash) && m->token_hash)
        return m->token_hash[t];
    return pf_word_hash(m->norm + m->tokens[t].norm_off, m->tokens[t].norm_len);
}

/* Segment i of m (ABI 1.2; check PF_MSG_HAS(m, segments) first). */
static inline const struct pf_segment *
pf_msg_segment(const struct pf_msg *m, size_t i)
{
    return (const struct pf_segment *)((const char *)m->segments +
                                       i * m->segment_size);
}

#define PF_LABEL_MAX 48    /* [a-z0-9._-]+, e.g. "backstage.slang" */
#define PF_REASON_MAX 256  /* for a person, UTF-8 */
#define PF_SUGGEST_MAX 512 /* optional better wording or advice, UTF-8 */
#define PF_SPANS_MAX 16

/* One thing a plugin noticed about a message. */
struct pf_finding {
    float score; /* 0 = nothing .. 1 = certain */
    char label[PF_LABEL_MAX];
    char reason[PF_REASON_MAX];
    char suggestion[PF_SUGGEST_MAX];
    uint32_t n_spans;
    struct pf_span spans[PF_SPANS_MAX]; /* the offending bytes in text */
};

/*
 * Host-owned output of check(). The host sets size, max_findings and
 * findings and zeroes n_findings; the plugin adds findings with
 * pf_verdict_add(). Afterwards the host validates every finding: strings
 * are cut at their buffer and at invalid UTF-8, scores clamped to [0,1]
 * (NaN is 0), labels checked, spans outside text or off a character
 * boundary dropped.
 */
struct pf_verdict {
    uint32_t size;
    uint32_t max_findings;
    uint32_t n_findings;
    struct pf_finding *findings;
};

/* What a person decided about a held message (learn()). */
enum pf_decision_kind {
    PF_DECIDE_SEND = 1,  /* sent unchanged: the hold was a false alarm */
    PF_DECIDE_EDIT = 2,  /* rewritten: the hold was right */
    PF_DECIDE_DROP = 3,  /* dropped: the hold was right */
    PF_DECIDE_EXPIRE = 4 /* nobody decided before the hold expired */
};

struct pf_decision {
    uint32_t size;
    uint32_t kind;          /* enum pf_decision_kind */
    const char *decided_by; /* user id of the person who decided */
    int by_supervisor;      /* 1 when that person is a supervisor */
    const char *new_text;   /* the edited text for PF_DECIDE_EDIT, else NULL */
    const struct pf_finding *findings; /* what the hold was for */
    size_t n_findings;
};

/* Opaque per-instance host context. */
struct pf_hctx;

/*
 * Services the host offers. Const, append-only; every member up to
 * now_us is present in every 1.x host.
 */
struct pf_host {
    uint32_t abi_major, abi_minor, size;

    /* Log a line attributed to this plugin instance. */
    void (*log)(struct pf_hctx *h, int level, const char *fmt, ...)
        PF_PRINTF(3, 4);

    /*
     * Configuration: this instance's "config" object from the bot's JSON
     * configuration. path is a dotted path with [i] for array elements:
     * "lexicon", "weights.slang", "extra_words[2]". Return PF_OK,
     * PF_ENOTFOUND when absent or PF_ETYPE when the value has another type.
     * Strings stay valid until destroy().
     *
     * Read the whole configuration in create(): the host notes what the
     * getters are asked for while create() runs, and a key of the block
     * that was never asked for is a configuration error naming the plugin
     * and the key ("plugins[1].config.scor: unknown key for plugin
     * 'example' (did you mean 'score'?)"); keys starting with "//" are
     * comments. A plugin that reads its block with cfg_json() instead
     * lists its keys in config_keys, or is not checked.
     */
    int (*cfg_str)(struct pf_hctx *h, const char *path, const char **out);
    int (*cfg_int)(struct pf_hctx *h, const char *path, int64_t *out);
    int (*cfg_num)(struct pf_hctx *h, const char *path, double *out);
    int (*cfg_bool)(struct pf_hctx *h, const char *path, int *out);
    /* Number of elements of an array or keys of an object. */
    int (*cfg_len)(struct pf_hctx *h, const char *path, size_t *out);
    /* The whole block as compact JSON text, "{}" when there is none. */
    const char *(*cfg_json)(struct pf_hctx *h);
    /* A string value taken as a path: a relative path is resolved against
       the directory of the configuration file. */
    int (*cfg_path)(struct pf_hctx *h, const char *path, const char **out);
    /* Directory of the data pokerface ships (lexicons, ...). */
    const char *(*data_dir)(struct pf_hctx *h);
    /* A directory this instance may keep state in across restarts (only
       from create(), learn() and destroy()); NULL when there is none. */
    const char *(*state_dir)(struct pf_hctx *h);

    /*
     * Normalize text exactly like pf_msg.norm, so word lists match messages.
     * snprintf-like: writes at most cap bytes including the NUL and returns
     * the full length, or a negative PF_E* code (PF_EINVAL for invalid
     * UTF-8).
     */
    long (*casefold)(struct pf_hctx *h, const char *in, size_t len, char *out,
                     size_t cap);
    /*
     * Tokenize normalized text the way the host tokenizes messages: spans
     * (into in) and kinds of up to cap tokens; *n gets the total count.
     */
    int (*tokenize)(struct pf_hctx *h, const char *in, size_t len,
                    struct pf_span *spans, uint16_t *kinds, size_t cap,
                    size_t *n);
    /* Snowball stem of one lower-case word; lang "fi" or "en".
       snprintf-like return. */
    long (*stem)(struct pf_hctx *h, const char *lang, const char *word,
                 size_t len, char *out, size_t cap);
    /* Microseconds: PF_CLOCK_MONO since an arbitrary point, PF_CLOCK_WALL
       since the epoch. */
    int64_t (*now_us)(int clock);

    /* 1.1+ members are appended here; test them with PF_HOST_HAS(). */
};

#define PF_CLOCK_MONO 0
#define PF_CLOCK_WALL 1

#define PF_HOST_HAS(h, m)                                                      \
    (offsetof(struct pf_host, m) + sizeof((h)->m) <= (h)->size &&              \
     (h)->m != NULL)

/* pf_plugin.flags */
#define PF_PLUGIN_CONTEXT 0x0001 /* wants pf_msg.context (coaching rules) */

/* What a plugin exports: a static const instance of this struct. */
struct pf_plugin {
    uint32_t abi_major; /* PF_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor; /* PF_ABI_MINOR the plugin was built with */
    uint32_t size;      /* sizeof(struct pf_plugin) the plugin was built with */
    uint32_t flags;     /* PF_PLUGIN_* */
    const char *name;   /* [a-z0-9_-]{1,31}, unique among loaded plugins */
    const char *version;
    const char *description;

    /*
     * Required. Make an instance from its configuration (read with
     * h->cfg_*). Return PF_OK and set *inst, or a PF_E* code with a message
     * in err (err has room for errlen bytes; the host NUL-terminates it).
     * hctx identifies the instance in later host calls.
     */
    int (*create)(const struct pf_host *h, struct pf_hctx *hctx, void **inst,
                  char *err, size_t errlen);
    /* Required. Release an instance. */
    void (*destroy)(void *inst);
    /*
     * Required. Look at one outgoing message and add findings to v with
     * pf_verdict_add(). Adding nothing means "nothing to say". Return PF_OK,
     * or a PF_E* code: the host then holds the message, naming this plugin.
     */
    int (*check)(void *inst, const struct pf_msg *msg, struct pf_verdict *v);
    /* Optional. See backstage talk (msg->flags has PF_MSG_BACKSTAGE) and
       customer messages (PF_MSG_CUSTOMER) on the routes. */
    void (*observe)(void *inst, const struct pf_msg *msg);
    /* Optional. Learn what a person decided about a message this plugin
       helped hold. msg is the message as it was held. */
    void (*learn)(void *inst, const struct pf_msg *msg,
                  const struct pf_decision *d);

    /* 1.2+ members; a plugin built for an older minor has them NULL. */
    /*
     * Every label check() may report, NULL-terminated; NULL when the
     * plugin does not say. The host refuses a policy.labels rule that no
     * loaded plugin can report ("backstage.derogatry"), so list them all.
     */
    const char *const *labels;
    /*
     * Keys of the config block the plugin reads other than with the
     * cfg_* getters in create() (through cfg_json(), say), as paths like
     * those the getters take; NULL-terminated, or NULL. Each counts as
     * read, with everything inside it.
     */
    const char *const *config_keys;

    /* 1.3 added no members here; later ones are appended here. */
};

#define PF_PLUGIN_INIT(name, version, description)                             \
    PF_ABI_MAJOR, PF_ABI_MINOR, sizeof(struct pf_plugin), 0, (name),           \
        (version), (description)

#define PF_ENTRY_SYMBOL "pf_plugin_entry_v1"
PF_EXPORT const struct pf_plugin *pf_plugin_entry_v1(void);

/* ---- helpers compiled into the plugin (no host symbols needed) ---- */

/* Copy a NUL-terminated string into a fixed buffer, always terminating. */
static inline void
pf_strlcpy(char *dst, const char *src, size_t cap)
{
    size_t n = strlen(src);
    if (cap == 0)
        return;
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/*
 * Add a finding to v and return it, zeroed but for label and score, or NULL
 * when v is full. Fill reason, suggestion and spans in place.
 */
static inline struct pf_finding *
pf_verdict_add(struct pf_verdict *v, const char *label, float score)
{
    struct pf_finding *f;
    if (v->n_findings >= v->max_findings)
        return NULL;
    f = &v->findings[v->n_findings++];
    memset(f, 0, sizeof(*f));
    pf_strlcpy(f->label, label, sizeof(f->label));
    f->score = score;
    return f;
}

/* Add a span of text to a finding; PF_ETOOBIG when it is full. */
static inline int
pf_finding_span(struct pf_finding *f, uint32_t off, uint32_t len)
{
    if (f->n_spans >= PF_SPANS_MAX)
        return PF_ETOOBIG;
    f->spans[f->n_spans].off = off;
    f->spans[f->n_spans].len = len;
    f->n_spans++;
    return PF_OK;
}

/*
 * The span of text that produced norm[off, off + len). Always a whole
 * number of characters of text.
 */
static inline struct pf_span
pf_msg_raw_span(const struct pf_msg *m, size_t off, size_t len)
{
    struct pf_span s;
    size_t end = off + len, j;
    uint32_t a, b;
    if (off > m->norm_len)
        off = m->norm_len;
    if (end > m->norm_len)
        end = m->norm_len;
    a = m->norm_map[off];
    b = m->norm_map[end];
    /* end fell inside the expansion of one character (e.g. the first s of
       the "ss" that a German sharp s folds to): extend to its end */
    for (j = end; b <= a && j < m->norm_len; j++)
        b = m->norm_map[j + 1];
    if (b < a)
        b = a;
    s.off = a;
    s.len = b - a;
    return s;
}

#ifdef __cplusplus
}
#endif

#endif /* POKERFACE_PLUGIN_H */
