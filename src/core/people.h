/*
 * people.h - who is in a room, as the relay knows it: each occupant's
 * stable id, display name, whether the room lists them as a member, and
 * whether the team was already warned about them. One list per room of a
 * route (the internal room, the customer room); the relay decides what
 * that makes them (decide.c: on the team, a customer).
 */
#ifndef PF_PEOPLE_H
#define PF_PEOPLE_H

#include <stddef.h>

struct pf_person {
    char *id, *name;
    int member; /* on the room's member list, not only present */
    int warned; /* the team was told this one should not be here */
};

struct pf_people {
    struct pf_person *v;
    size_t n, cap;
};

/* Someone is in the room (again: the name and member flag are updated).
   Returns their entry, valid until the next join or leave. */
struct pf_person *pf_people_join(struct pf_people *p, const char *id,
                                 const char *name, int member);
/* Someone left. */
void pf_people_leave(struct pf_people *p, const char *id);
/* The entry of id, or NULL. */
struct pf_person *pf_people_find(const struct pf_people *p, const char *id);
void pf_people_release(struct pf_people *p);

#endif
