/*
 * texts.h - what the relay says to people in the chat (hold notices,
 * answers to commands, warnings), one table per language.
 *
 * Each text is a printf format looked up by its key; the comment on a key
 * names the arguments it is formatted with, in order. Every language's
 * text for a key takes the same arguments as the English one
 * (pf_texts_check() makes sure). A text a language lacks (NULL in its
 * table) is said in English.
 *
 * A third language is one new table: texts_<code>.c beside texts_en.c,
 * an entry in enum pf_ui_lang, and its code in pf_texts_lang() and in
 * the list in texts.c.
 *
 * Some texts are said in every language at once (pf_texts_every()):
 * where the relay cannot know the reader's language (a customer's
 * message too long to show, a warning to the whole room). Some are in
 * English only today: the key's comment says so, and the caller asks
 * for English.
 *
 * Log lines and the control socket's errors are not here: they are for
 * whoever runs the bot, in English, next to the code that writes them.
 */
#ifndef PF_TEXTS_H
#define PF_TEXTS_H

#include <stddef.h>

#include "base/util.h"

/* the languages the relay speaks in the chat; English is the fallback */
enum pf_ui_lang { PF_UI_EN = 0, PF_UI_FI, PF_UI_LANGS };

enum pf_texts_key {
    /* the journal refused a record: nothing was sent */
    PF_T_JOURNAL_FAILED,
    /* a hold notice: author's name, PF_T_NOTICE_HELD or _STILL_HELD, hold
       number, why */
    PF_T_NOTICE,
    PF_T_NOTICE_HELD,
    PF_T_NOTICE_STILL_HELD,
    /* ... the words found (quoted, comma-separated) */
    PF_T_NOTICE_WORDS,
    /* ... what to do about it: (command prefix, hold number) three times */
    PF_T_NOTICE_BLOCKED,
    PF_T_NOTICE_HOWTO,
    /* ... minutes until it expires (long) */
    PF_T_NOTICE_EXPIRES,
    /* the start of a tip (policy "note") to a reply's author */
    PF_T_TIP,
    /* observe mode: a reply sent that would have been held; why (then
       PF_T_NOTICE_WORDS) */
    PF_T_OBSERVED,
    /* a reply too long for the chat server, said in every language:
       its bytes; _UNREAD: its bytes and the most the bot reads */
    PF_T_REPLY_TOO_LONG,
    PF_T_REPLY_TOO_LONG_UNREAD,
    /* refusals: the decider's name, hold number; the decider's name,
       the author's name, hold number */
    PF_T_ONLY_SUPERVISOR,
    PF_T_NOT_YOURS,
    /* an author known by no address: their name */
    PF_T_ANONYMOUS,
    /* a held message too long to send, said in every language: hold
       number, its bytes, command prefix, hold number */
    PF_T_HOLD_TOO_LONG,
    /* decided: hold number, the decider's name; hold number; hold number */
    PF_T_SENT,
    PF_T_DROPPED,
    PF_T_EDITED_SENT,
    /* expired: hold number, the text (to its author); hold number, the
       author's name (in the room) */
    PF_T_EXPIRED,
    PF_T_EXPIRED_LINE,
    /* the commands: the command prefix five times */
    PF_T_HELP,
    /* !held (English only): a line's state, no holds, the answer to a
       request on the control socket (its user's name, the answer) */
    PF_T_LIST_BLOCKED,
    PF_T_LIST_HELD,
    PF_T_NO_HELD,
    PF_T_QUEUE_LINE,
    /* !held's pages, said in every language: holds, page, pages, and for
       _NEXT the command prefix and the next page */
    PF_T_HELD_PAGE,
    PF_T_HELD_PAGE_NEXT,
    /* commands are the team's: said in every language */
    PF_T_NOT_FOR_YOU,
    /* English only: command prefix, the word, command prefix; command
       prefix, the word; hold number; none */
    PF_T_UNKNOWN_COMMAND,
    PF_T_WHICH_ONE,
    PF_T_NO_SUCH_HOLD,
    PF_T_WHY_TEAM_ONLY,
    /* !edit without a text */
    PF_T_GIVE_NEW_TEXT,
    /* someone not on the team in an internal room, said in every
       language: their name, their id */
    PF_T_OUTSIDER,
    /* a relayed reply deleted from the customer's room too */
    PF_T_DELETED_TOO,
    /* a customer's message too long to show, said in every language: its
       bytes */
    PF_T_TOO_BIG_TO_SHOW,
    /* the server refused a reply: the author's name, the server's words */
    PF_T_POST_REFUSED,
    /* a hold's buttons (where the chat has them): send, edit, drop */
    PF_T_BUTTON_SEND,
    PF_T_BUTTON_EDIT,
    PF_T_BUTTON_DROP,
    /* the form to edit a hold: its title (hold number), the label of its
       text, its submit and cancel buttons */
    PF_T_FORM_TITLE,
    PF_T_FORM_LABEL,
    PF_T_FORM_SUBMIT,
    PF_T_FORM_CANCEL,
    /* the form's edit is still held: hold number, why */
    PF_T_FORM_STILL_HELD,
    /* a button of an older notice of a hold edited since: hold number */
    PF_T_STALE_CHOICE,
    /* a button that names no hold (English only): the command prefix */
    PF_T_UNKNOWN_CHOICE,
    /* the text does not fit in the chat's form: the command prefix, the
       hold number */
    PF_T_FORM_TOO_LONG,
    /* !web: the link was sent privately */
    PF_T_WEB_SENT,
    /* !web: the sign-in link (private): minutes it is good for, the link */
    PF_T_WEB_LINK,
    /* !web without a "web" listener configured */
    PF_T_WEB_OFF,
    /* !web from someone who cannot be written to privately */
    PF_T_WEB_NO_DIRECT,
    /* a decision on the review page, told in the room: name, what */
    PF_T_WEB_LINE,
    PF_T_COUNT
};

/* the tables, indexed by key (texts_<code>.c) */
extern const char *const pf_texts_en[PF_T_COUNT];
extern const char *const pf_texts_fi[PF_T_COUNT];

/* PF_UI_FI for "fi"; PF_UI_EN for anything else, NULL too */
enum pf_ui_lang pf_texts_lang(const char *code);

/* The text of key in lang, or in English where lang has none. */
const char *pf_texts_get(enum pf_ui_lang lang, enum pf_texts_key key);

/* The text formatted with the key's arguments; the caller frees it. */
char *pf_texts_fmt(enum pf_ui_lang lang, enum pf_texts_key key, ...);

/* The same into dst, cut as pf_snprintf() cuts. */
void pf_texts_snprintf(char *dst, size_t cap, enum pf_ui_lang lang,
                       enum pf_texts_key key, ...);

/* The same appended to b. */
void pf_texts_addf(struct pf_buf *b, enum pf_ui_lang lang,
                   enum pf_texts_key key, ...);

/*
 * The text in every language, first in `first`, then in the others in
 * the order of enum pf_ui_lang, joined by " / "; the caller frees it.
 */
char *pf_texts_every(enum pf_ui_lang first, enum pf_texts_key key, ...);

/*
 * Does every language's text of every key take the same arguments as
 * the English one? PF_OK, or PF_EINVAL with the first that does not in
 * err. A programmer's error: pf_relay_new() stops the program on it.
 */
int pf_texts_check(char *err, size_t errlen);

#endif
