/*
 * texts_en.c - what the relay says in English (see texts.h for what
 * each key is formatted with). English is the fallback: every key has a
 * text here.
 */
#include "core/texts.h"

const char *const pf_texts_en[PF_T_COUNT] = {
    [PF_T_JOURNAL_FAILED] = "pokerface cannot write its journal (disk full?), "
                            "so your message was not sent. Tell whoever runs "
                            "it.",
    [PF_T_NOTICE] = "%s: %s #%u, not sent to the customer. Why: %s.",
    [PF_T_NOTICE_HELD] = "held",
    [PF_T_NOTICE_STILL_HELD] = "the edit is still held",
    [PF_T_NOTICE_WORDS] = " Words: %s.",
    [PF_T_NOTICE_BLOCKED] = " Only a supervisor can send it as it is (%ssend "
                            "%u); you can rewrite it (%sedit %u <new text>) "
                            "or drop it (%sdrop %u).",
    [PF_T_NOTICE_HOWTO] = " Reply %ssend %u to send it as it is, %sedit %u "
                          "<new text> to change it, or %sdrop %u to drop it "
                          "(or react ✅ / ❌).",
    [PF_T_NOTICE_EXPIRES] = " Expires in %ld min.",
    [PF_T_TIP] = "A tip about your reply to the customer: ",
    [PF_T_OBSERVED] = "Trial run: your reply was sent to the customer, but "
                      "once pokerface enforces, a reply like it will be "
                      "held. Why: %s.",
    [PF_T_REPLY_TOO_LONG] = "Your reply was not sent to the customer: it is "
                            "too long for the chat server (%zu bytes). "
                            "Shorten it or split it into several replies.",
    [PF_T_REPLY_TOO_LONG_UNREAD] =
        "Your reply was not sent to the customer: it is too long for the "
        "chat server (%zu bytes; at most %zu). Shorten it or split it into "
        "several replies.",
    [PF_T_ONLY_SUPERVISOR] = "Sorry %s, #%u is blocked: only a supervisor can "
                             "release it.",
    [PF_T_NOT_YOURS] = "Sorry %s, only %s or a supervisor can decide about "
                       "#%u.",
    [PF_T_ANONYMOUS] = "Sorry %s, pokerface cannot tell who wrote this (the "
                       "room does not show it addresses), so it decides "
                       "nothing and is not sent. Write it again while "
                       "pokerface is in the room, and ask the room's owner "
                       "to make the room non-anonymous.",
    [PF_T_HOLD_TOO_LONG] = "#%u is too long for the chat server (%zu bytes), "
                           "so it was not sent; shorten it: %sedit %u <text>.",
    [PF_T_SENT] = "#%u sent to the customer (decided by %s).",
    [PF_T_DROPPED] = "#%u dropped; it was not sent.",
    [PF_T_EDITED_SENT] = "#%u edited and sent to the customer.",
    [PF_T_EXPIRED] = "#%u expired and was not sent. Your text was: %s",
    [PF_T_EXPIRED_LINE] = "#%u (%s) expired, not sent.",
    [PF_T_HELP] = "Commands: %ssend N sends a held message, %sedit N text "
                  "replaces its text (checked again), %sdrop N drops it, "
                  "%sheld lists held messages, %swhy N tells why, %sweb sends "
                  "you a link to the review page. ✅/❌ on a notice works too.",
    [PF_T_LIST_BLOCKED] = "blocked",
    [PF_T_LIST_HELD] = "held",
    [PF_T_NO_HELD] = "No held messages.",
    [PF_T_QUEUE_LINE] = "%s (pokerface queue): %s",
    [PF_T_HELD_PAGE] = "%zu held, page %u of %zu",
    [PF_T_HELD_PAGE_NEXT] = "%zu held, page %u of %zu: %sheld %u for the next",
    [PF_T_NOT_FOR_YOU] = "pokerface relays the messages of this "
                         "conversation; its commands are not for you.",
    [PF_T_UNKNOWN_COMMAND] = "Unknown command '%s%s'. %shelp lists them.",
    [PF_T_WHICH_ONE] = "Which one? %s%s N, with N from the notice.",
    [PF_T_NO_SUCH_HOLD] = "No held message #%u (it may have been decided "
                          "already).",
    [PF_T_WHY_TEAM_ONLY] = "Sorry, only the team can see why.",
    [PF_T_GIVE_NEW_TEXT] = "Give the new text: !edit N new text",
    [PF_T_OUTSIDER] =
        "Warning: %s (%s) is in this room but not on the team: they have been "
        "in a customer room and are not a member of this room. They can read "
        "everything written here. Remove them and make the room members-only.",
    [PF_T_DELETED_TOO] = "You deleted a reply that had reached the customer: "
                         "pokerface deleted it from the customer's room too "
                         "(chat apps that do not support deleting still show "
                         "it).",
    [PF_T_TOO_BIG_TO_SHOW] = "a message too long to show: %zu bytes",
    [PF_T_POST_REFUSED] = "%s: your reply could not be delivered to the "
                          "customer: the chat server refused it (%s). It was "
                          "not sent.",
    [PF_T_BUTTON_SEND] = "Send as is",
    [PF_T_BUTTON_EDIT] = "Edit",
    [PF_T_BUTTON_DROP] = "Drop",
    [PF_T_FORM_TITLE] = "Edit #%u",
    [PF_T_FORM_LABEL] = "Your reply to the customer",
    [PF_T_FORM_SUBMIT] = "Check and send",
    [PF_T_FORM_CANCEL] = "Cancel",
    [PF_T_FORM_STILL_HELD] = "#%u: the edit is still held. Why: %s. Change "
                             "it again, or cancel.",
    [PF_T_STALE_CHOICE] = "That notice of #%u is out of date: the message "
                          "was edited since. Use its newest notice.",
    [PF_T_UNKNOWN_CHOICE] = "pokerface does not know that button. %sheld "
                            "lists the held messages.",
    [PF_T_FORM_TOO_LONG] = "The message is too long for the edit form; "
                           "use %sedit %u <new text>.",
    [PF_T_WEB_SENT] = "I sent you a sign-in link to the review page "
                      "privately.",
    [PF_T_WEB_LINK] = "Your sign-in link to the review page (it works once, "
                      "for %d minutes): %s",
    [PF_T_WEB_OFF] = "The review page is not enabled (\"web\" in the "
                     "configuration).",
    [PF_T_WEB_NO_DIRECT] = "I cannot write to you privately here, so I "
                           "send no sign-in link; ask a supervisor.",
    [PF_T_WEB_LINE] = "%s (review page): %s",
};
