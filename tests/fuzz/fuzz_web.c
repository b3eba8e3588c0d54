/*
 * fuzz_web.c - libFuzzer target for what the review page's listener
 * reads out of a request itself (core/web.c): the session cookie from a
 * Cookie header, the sign-in token from a form body, and query
 * arguments by name. Each answer must lie inside the input, start right
 * after "name=" at the start of a pair, and hold no separator; a value
 * found must be the first of its name.
 *
 *   make fuzz                   clang + libFuzzer
 *   build/tests/fuzz_web FILES  replays inputs (make check does)
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/util.h"
#include "core/web.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* v (n bytes) is name's value in s, pairs separated by sep */
static void
check(const char *s, size_t size, const char *name, char sep, const char *v,
      size_t n)
{
    size_t k = strlen(name);
    if (!v)
        return;
    if (v < s + k + 1 || v + n > s + size || memcmp(v - k - 1, name, k) ||
        v[-1] != '=')
        abort();
    const char *start = v - k - 1;
    if (start != s && start[-1] != sep && start[-1] != ' ')
        abort(); /* not at the start of a pair */
    if (memchr(v, sep, n) || (v[n] && v[n] != sep))
        abort();
    /* no earlier pair of that name */
    for (const char *p = s; p < start; p++)
        if ((p == s || p[-1] == sep || p[-1] == ' ') && !strncmp(p, name, k) &&
            p[k] == '=') {
            /* an earlier one inside a pair is no pair: only count a
               pair's own start */
            const char *q = p;
            while (q > s && q[-1] == ' ')
                q--;
            if (q == s || q[-1] == sep)
                abort();
        }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = pf_xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    size = strlen(s); /* what a header or body holds up to a NUL */
    static const char *const names[] = {"pf_session", "t", "id", "days"};
    for (size_t i = 0; i < PF_ARRAY_LEN(names); i++) {
        size_t n = (size_t)-1;
        const char *v = pf_web_cookie(s, names[i], &n);
        check(s, size, names[i], ';', v, n);
        v = pf_web_form(s, names[i], &n);
        check(s, size, names[i], '&', v, n);
    }
    /* as query arguments: the pairs, each ending in a NUL */
    struct pf_web_req req;
    memset(&req, 0, sizeof(req));
    char *args = pf_xmalloc(size + 2);
    memcpy(args, s, size + 1);
    for (size_t i = 0; i < size; i++)
        if (args[i] == '&')
            args[i] = '\0';
    args[size + 1] = '\0';
    req.args = args;
    req.args_len = size + 1;
    for (size_t i = 0; i < PF_ARRAY_LEN(names); i++) {
        const char *v = pf_web_arg(&req, names[i]);
        if (v && (v < args || v > args + size || v[-1] != '='))
            abort();
    }
    free(args);
    free(s);
    return 0;
}
