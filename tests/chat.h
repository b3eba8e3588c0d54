/*
 * chat.h - test users in a real chat: each one a connector of its own
 * (the same interface pokerface uses) that records everything it sees,
 * and helpers that wait for something to appear, with a deadline.
 *
 * Used by the end-to-end tests, the demo's scripted conversation and the
 * relay latency benchmark. Backend-neutral: a user is made by a backend
 * factory (XMPP now), so the scenarios run unchanged on other backends.
 */
#ifndef PF_TESTS_CHAT_H
#define PF_TESTS_CHAT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <jansson.h>

#include "connectors/connector.h"
#include "core/loop.h"

struct tc_msg {
    char *room;   /* NULL for a direct message */
    char *author; /* display name */
    char *text;
    char *id;      /* backend id (to react to it) */
    char *thread;  /* the thread's root id (Mattermost), or "" */
    int own;       /* written by this user */
    int deleted;   /* its author deleted (retracted) it since */
    int64_t at_ns; /* when it arrived (monotonic) */
};

struct tc_world;

struct tc_user {
    struct tc_world *w;
    char *name;
    char *id; /* the user's own id (bare JID) */
    struct pf_connector *c;
    struct tc_msg *msgs;
    size_t n, cap;
    char **members; /* "room\x01nick" of everyone seen joining */
    size_t n_members;
    int ready;
    unsigned seq;
    const char *view; /* when set (and the world has a transcript), what
                         this user sees is printed under this label */
    char **frames;    /* XMPP: answers (iq) and refusals (presence errors)
                         the server sent, as they came */
    size_t n_frames;
};

struct tc_world {
    struct pf_loop loop;
    struct tc_user *users[16];
    size_t n_users;
    lws_sorted_usec_list_t wake;
    char url[256];
    FILE *transcript; /* where users with a view label print what they
                         see */
};

int tc_world_init(struct tc_world *w, const char *url);
void tc_world_free(struct tc_world *w);

/*
 * A user logged in as jid/password who joins rooms (NULL-terminated).
 * When the world's URL is http(s)://, the backend is Mattermost: jid is
 * the user's id and password the user's token. When it is a Slack Web
 * API URL (http(s)://.../api, tc_is_slack), the backend is Slack: jid is
 * the user's id, password the user token "xoxp-X", and "xapp-X" the
 * token of the user's own app, whose socket brings the user's events
 * (see tests/slackemu.c).
 */
struct tc_user *tc_user_new(struct tc_world *w, const char *name,
                            const char *jid, const char *password,
                            const char *const *rooms);

/* Run the loop for ms milliseconds. */
void tc_pump(struct tc_world *w, int ms);
/* Until every user is connected and in its rooms; 0 or -1 on timeout. */
int tc_wait_ready(struct tc_world *w, int timeout_ms);
/* Until u has seen nick in room (e.g. the bot), 0 or -1. */
int tc_wait_member(struct tc_user *u, const char *room, const char *nick,
                   int timeout_ms);

/* Say text in room (NULL: nothing); the key is unique. */
void tc_say(struct tc_user *u, const char *room, const char *text);
/* The same as a reply in the thread whose first post is thread. */
void tc_say_in(struct tc_user *u, const char *room, const char *thread,
               const char *text);
/* A direct message to another user's id. */
void tc_dm(struct tc_user *u, const char *to_id, const char *text);
void tc_react(struct tc_user *u, const char *room, const char *msg_id,
              const char *emoji);
/* Delete (retract) one of u's own messages. */
void tc_delete(struct tc_user *u, const char *room, const char *msg_id);
/* u's own message in room containing needle (latest first), or NULL. */
const struct tc_msg *tc_own(struct tc_user *u, const char *room,
                            const char *needle);
/* Until the message with this id is deleted for u; 0 or -1. */
int tc_wait_deleted(struct tc_user *u, const char *msg_id, int timeout_ms);

/*
 * The first message u saw in room (NULL: direct messages) containing
 * needle, from index *from on, waiting up to timeout_ms; NULL when none
 * came. *from (if given) moves past it, so repeated calls find the next.
 */
const struct tc_msg *tc_wait_msg(struct tc_user *u, const char *room,
                                 const char *needle, size_t *from,
                                 int timeout_ms);
/* How many messages u saw in room containing needle (not own). */
size_t tc_count(struct tc_user *u, const char *room, const char *needle);

/*
 * The Mattermost emulator (build/tests/mmemu) on a free loopback port,
 * with the world given (users, team, channels; see tests/mmemu.c), its
 * log in dir/emu.log. Returns its pid and sets url, or -1.
 */
pid_t tc_mmemu_start(const char *build, const char *dir, json_t *world,
                     char *url, size_t urllen);
void tc_mmemu_stop(pid_t pid);
/* The Slack emulator (build/tests/slackemu) the same way; url is its Web
   API, http://127.0.0.1:PORT/api. tc_mmemu_stop stops it. */
pid_t tc_slackemu_start(const char *build, const char *dir, json_t *world,
                        char *url, size_t urllen);
/* Is url a Slack Web API's (it ends in /api)? */
int tc_is_slack(const char *url);
/* POST json to the Slack emulator's control what (/emu/WHAT) at the Web
   API url; 0 when it answered ok, -1 otherwise; its answer's body in
   *answer (to free) if answer is given. Blocks (the emulator is another
   process). */
int tc_emu_control(const char *url, const char *what, const char *json,
                   char **answer);
/* A Mattermost user id (26 characters) made of a name: "aino000...". */
void tc_mm_id(char out[27], const char *name);

/*
 * A TCP relay from a free loopback port to 127.0.0.1:to_port, in a child
 * process, so that the tests can cut one client's connection (the one
 * that connects through it) while the server and everyone else stay up:
 * SIGUSR1 closes every connection through it at once; new ones are
 * relayed again. Returns its pid and sets *port, or -1.
 */
pid_t tc_proxy_start(int to_port, int *port);
void tc_proxy_stop(pid_t pid);

/*
 * XMPP: send a request (an iq with id='id') as u and wait for the answer
 * with that id: 0 for a result, -1 for an error or none in timeout_ms.
 * The answer's frame (borrowed from u->frames) in *answer if given.
 */
int tc_iq(struct tc_user *u, const char *id, const char *iq,
          const char **answer, int timeout_ms);
/* XMPP: u, an owner or admin of room, gives jid this affiliation
   ("member", "owner", "none"); 0 or -1. */
int tc_affiliate(struct tc_user *u, const char *room, const char *jid,
                 const char *affiliation);
/* XMPP: the first frame u got from the server containing needle, waiting
   up to timeout_ms; NULL when none came. */
const char *tc_wait_frame(struct tc_user *u, const char *needle,
                          int timeout_ms);

/* pokerface itself, as a child process. */
struct tc_bot {
    pid_t pid;
    char log[512];
};
/* dir/state with a journal key in it, for "state_dir": "state"; 0/-1. */
int tc_state_dir(const char *dir);
/* Start build/pokerface run -c config with its log in log_path. */
int tc_bot_start(struct tc_bot *b, const char *build, const char *config,
                 const char *log_path);
/* SIGTERM, wait; returns the exit status. */
int tc_bot_stop(struct tc_bot *b);
/* Does the bot's log contain needle? */
int tc_bot_logged(const struct tc_bot *b, const char *needle);

#endif
