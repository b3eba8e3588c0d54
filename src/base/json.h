/*
 * json.h - reading a field of a Jansson object without a NULL check at
 * every use: a missing or mistyped field reads as "" or 0.
 */
#ifndef PF_JSON_H
#define PF_JSON_H

#include <jansson.h>
#include <stdint.h>

/* o[key] as a string, or "" */
static inline const char *
pf_json_str(const json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* o[key] as an integer, or 0 */
static inline int64_t
pf_json_int(const json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}

#endif
