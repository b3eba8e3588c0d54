/*
 * fuzz_worker.c - libFuzzer target for the bot's reading of what its
 * worker process answers (pf_worker_parse_result()): the worker runs
 * other people's code, so its bytes are untrusted. Any bytes as a RESULT
 * frame to the check of one message, with three plugin instances; every
 * finding handed back is read in full, its spans checked against the
 * text, and its plugin against the instances (or the host's bidi finding,
 * which holds).
 *
 *   make fuzz                      clang + libFuzzer
 *   build/tests/fuzz_worker FILES  replays inputs (make check does)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/config.h"
#include "base/log.h"
#include "core/engine.h"
#include "core/worker.h"
#include "rules/pipeline.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t sink;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct pf_instance inst[3];
    static struct pf_pipeline pl;
    static struct pf_config cfg;
    static struct pf_engine e;
    static struct pf_arena a;
    static int ready;
    const char *text = "Hei, tää ääliö taas 🙄";
    if (!ready) {
        static char *const names[] = {"example", "backstage", "learned"};
        pf_log_set_level(PF_LOG_ERR);
        for (int i = 0; i < 3; i++)
            inst[i].name = names[i];
        pl.inst = inst;
        pl.n_inst = 3;
        cfg.policy.note_threshold = 0.3;
        cfg.policy.hold_threshold = 0.6;
        cfg.ui_language = (char *)"auto";
        e.cfg = &cfg;
        e.pl = &pl;
        pf_arena_init(&a, 4096);
        ready = 1;
    }
    struct pf_input in;
    struct pf_result r;
    char err[256];
    memset(&in, 0, sizeof(in));
    in.text = text;
    in.len = strlen(text);
    int rc = pf_worker_parse_result(&e, 1, data, size, &in, &r, &a, err,
                                    sizeof(err));
    if (rc == PF_OK) {
        if (r.action < PF_ACT_PASS || r.action > PF_ACT_BLOCK)
            abort();
        for (size_t i = 0; i < r.n_found; i++) {
            const struct pf_found *f = &r.found[i];
            int known = 0;
            for (int k = 0; k < 3; k++)
                known |= f->plugin == inst[k].name;
            /* or the host's own bidi finding, which always holds */
            known |= !strcmp(f->plugin, "pokerface") &&
                     !strcmp(f->f.label, PF_LABEL_BIDI) && f->f.score == 1.0f;
            if (!known || f->f.n_spans > PF_SPANS_MAX ||
                memchr(f->f.label, '\0', sizeof(f->f.label)) == NULL ||
                memchr(f->f.reason, '\0', sizeof(f->f.reason)) == NULL)
                abort();
            for (uint32_t s = 0; s < f->f.n_spans; s++) {
                if ((size_t)f->f.spans[s].off + f->f.spans[s].len > in.len)
                    abort();
                sink += (unsigned char)text[f->f.spans[s].off];
            }
            sink += strlen(f->f.reason) + strlen(f->f.suggestion);
        }
        sink += strlen(r.msg->lang) + strlen(r.msg->ui_lang);
        for (size_t i = 0; i < r.run.n_inst; i++)
            sink += (size_t)r.run.plugin_ns[i];
    }
    pf_arena_reset(&a);
    return 0;
}
