/*
 * abi.c - compile-time pins of the plugin ABI's layout on this platform.
 *
 * A change that moves a member of a public struct breaks every plugin
 * built before it. These assertions fail the build instead; if one fires,
 * the change must be reverted or become a new major (see plugin.h). The
 * numbers are those of ABI 1.0 on LP64 (x86-64, arm64), and of the members
 * 1.1, 1.2 and 1.3 appended.
 */
#include <stddef.h>

#include "pokerface/plugin.h"

#if defined(__LP64__)
_Static_assert(sizeof(struct pf_span) == 8, "pf_span");
_Static_assert(sizeof(struct pf_token) == 20, "pf_token");
_Static_assert(offsetof(struct pf_token, kind) == 16, "pf_token.kind");
_Static_assert(offsetof(struct pf_msg, text) == 8, "pf_msg.text");
_Static_assert(offsetof(struct pf_msg, norm_map) == 40, "pf_msg.norm_map");
_Static_assert(offsetof(struct pf_msg, lang) == 64, "pf_msg.lang");
_Static_assert(offsetof(struct pf_msg, ts_ms) == 120, "pf_msg.ts_ms");
_Static_assert(offsetof(struct pf_msg, team) == 144, "pf_msg.team");
/* 1.1 appended these */
_Static_assert(offsetof(struct pf_msg, customers) == 160, "pf_msg.customers");
_Static_assert(offsetof(struct pf_msg, addressee) == 176, "pf_msg.addressee");
_Static_assert(sizeof(struct pf_addressee) == 24, "pf_addressee");
/* 1.2 appended these */
_Static_assert(offsetof(struct pf_msg, segments) == 184, "pf_msg.segments");
_Static_assert(offsetof(struct pf_msg, token_segment) == 208,
               "pf_msg.token_segment");
/* 1.3 appended this */
_Static_assert(offsetof(struct pf_msg, token_hash) == 216, "pf_msg.token_hash");
_Static_assert(sizeof(struct pf_msg) == 224, "pf_msg");
_Static_assert(sizeof(struct pf_segment) == 44, "pf_segment");
_Static_assert(offsetof(struct pf_segment, words) == 24, "pf_segment.words");
_Static_assert(offsetof(struct pf_finding, label) == 4, "pf_finding.label");
_Static_assert(offsetof(struct pf_finding, reason) == 52, "pf_finding.reason");
_Static_assert(offsetof(struct pf_finding, spans) == 824, "pf_finding.spans");
_Static_assert(sizeof(struct pf_finding) == 952, "pf_finding");
_Static_assert(offsetof(struct pf_verdict, findings) == 16, "pf_verdict");
_Static_assert(offsetof(struct pf_decision, findings) == 32, "pf_decision");
_Static_assert(offsetof(struct pf_host, log) == 16, "pf_host.log");
_Static_assert(offsetof(struct pf_host, casefold) == 96, "pf_host.casefold");
_Static_assert(offsetof(struct pf_host, now_us) == 120, "pf_host.now_us");
_Static_assert(sizeof(struct pf_host) == 128, "pf_host");
_Static_assert(offsetof(struct pf_plugin, name) == 16, "pf_plugin.name");
_Static_assert(offsetof(struct pf_plugin, create) == 40, "pf_plugin.create");
_Static_assert(offsetof(struct pf_plugin, learn) == 72, "pf_plugin.learn");
/* 1.2 appended these */
_Static_assert(offsetof(struct pf_plugin, labels) == 80, "pf_plugin.labels");
_Static_assert(offsetof(struct pf_plugin, config_keys) == 88,
               "pf_plugin.config_keys");
_Static_assert(sizeof(struct pf_plugin) == 96, "pf_plugin");
#endif

/* keep the translation unit non-empty on other platforms */
int pf_abi_major_built(void);
int
pf_abi_major_built(void)
{
    return PF_ABI_MAJOR;
}
