/*
 * lang.c - a cheap language guess for one message: Finnish, English, both,
 * or undetermined. It counts very frequent function words of each language
 * and the letters ä and ö, which English text does not use, and at half
 * weight the shape of other words (Finnish case endings and long vowels;
 * English th, w, -ing). The guess lets
 * rules pick the right word list and the right language for their reasons;
 * nothing is decided on it alone, so "mixed" and "und" are fine answers.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"

/* clang-format off */
static const char *const fi_words[] = {
    "ei", "eikä", "emme", "en", "et", "ette", "että", "hei", "hän",
    "ihan", "ja", "jo", "joka", "jos", "kanssa", "kiitos", "koska", "kuin",
    "kun", "kyllä", "meidän", "meillä", "mikä", "minä", "missä",
    "miten", "mitä", "moi", "mulla", "mulle", "mun", "mut", "mutta", "myös",
    "mä", "ne", "niin", "nyt", "ole", "olen", "olet", "oli", "olla",
    "onko", "oon", "ovat", "se", "sen", "siitä", "sinä", "sit", "sitten",
    "sulle", "sun", "sä", "taas", "tai", "te", "teidän", "teille", "tosi",
    "tämä", "tänään", "tää", "vaan", "vain", "vielä", "voi", "voit", "voitte",
};

static const char *const en_words[] = {
    "a",     "about", "an",    "and",   "are",   "as",    "at",
    "be",    "been",  "but",   "by",    "can",   "could", "do",
    "don't", "for",   "from",  "has",   "have",  "he",    "her",
    "hi",    "him",   "his",   "how",   "i",     "i'm",   "i've",
    "if",    "in",    "is",    "it",    "it's",  "just",  "me",
    "my",    "not",   "of",    "or",    "our",   "please","she",
    "so",    "sorry", "thanks","that",  "the",   "they",  "this",
    "to",    "was",   "we",    "we'll", "were",  "what",  "when",
    "why",   "will",  "with",  "would", "you",   "you'll","your",
};

/* clang-format on */

/*
 * Closed word classes for pf_addressee (whom a message talks to), looked
 * up in the same pass as the language: second person, third person,
 * person nouns ("this customer"), pointers ("this", "se"), greetings.
 */
/* clang-format off */
static const char *const second_words[] = {
    "you", "your", "yours", "you're", "you've", "you'll", "you'd",
    "yourself", "yourselves", "u", "ur",
    "sinä", "sinun", "sinulle", "sinua", "sinulla", "sinulta", "sinut",
    "sinusta", "sä", "sun", "sulle", "sua", "sulla", "sulta", "susta",
    "te", "teidän", "teille", "teitä", "teillä", "teiltä", "teistä",
    "teihin", "voit", "voitte", "olet", "olette", "saat", "saatte",
    "haluat", "haluatte", "tarvitset", "tarvitsette",
};
static const char *const third_words[] = {
    "he", "she", "him", "her", "his", "hers", "himself", "herself",
    "he's", "she's", "he'll", "she'll", "he'd", "she'd",
    "guy", "dude", "lady", "bloke", "fella", "chap",
    "hän", "häntä", "hänen", "hänelle", "häneltä", "hänellä", "hänestä",
    "häneen", "tyyppi", "tyyppiä", "tyypin", "tyypille", "äijä", "äijää",
    "ukko", "ukkoa", "akka", "akkaa", "täti", "setä",
};
static const char *const person_nouns[] = {
    "customer", "caller", "client", "asiakas", "asiakkaan", "asiakkaalle",
    "asiakasta", "soittaja", "soittajan",
};
static const char *const pointer_words[] = {
    "this", "that", "the", "our", "se", "sen", "tää", "tämä", "toi", "tuo",
    "meidän",
};
static const char *const greeting_words[] = {
    "hi", "hello", "hey", "dear", "greetings", "morning", "afternoon",
    "evening", "hei", "moi", "moikka", "moro", "terve", "heippa",
    "huomenta", "tervehdys", "hyvää", "päivää", "iltaa",
};
static const char *const first_words[] = {
    "i", "i'm", "i've", "i'll", "i'd", "me", "my", "mine", "myself", "we",
    "we're", "we've", "we'll", "we'd", "us", "our", "ours", "minä", "mä",
    "mää", "minun", "mun", "minulle", "mulle", "minulla", "mulla", "minua",
    "mua", "minulta", "multa", "meidän", "meille", "meillä", "meitä",
    "meiltä", "meistä", "olen", "oon", "olemme", "ollaan",
};
/* chat register: what a formal reply to a customer does not say */
static const char *const informal_words[] = {
    "lol", "lmao", "lmfao", "rofl", "omg", "omfg", "wtf", "ffs", "smh",
    "tbh", "imo", "imho", "idk", "ikr", "fml", "ugh", "meh", "gonna",
    "wanna", "gotta", "kinda", "sorta", "ya", "yea", "yeah", "yep", "nope",
    "nah", "dude", "bro", "btw", "fyi", "tho", "cuz", "coz", "pls", "plz",
    "thx", "lmk", "brb", "jk", "haha", "hahaha", "xd", "mä", "sä", "mää",
    "sää", "mun", "sun", "mulle", "sulle", "mulla", "sulla", "multa",
    "sulta", "mua", "sua", "toi", "tää", "noi", "nää", "ton", "tän", "tota",
    "niinku", "nii", "joo", "jep", "juu", "okei", "oke", "sit", "sitte",
    "vaa", "vähä", "mut", "oon", "oot", "ootko", "ollu", "tullu", "kato",
    "kattoo", "tsekkaa", "tsekkaan", "meiän", "teiän", "jotai", "mitää",
    "apua", "huoh", "argh", "jees", "jeps", "hoh", "pff", "pfff",
};
/* Common first names (Finnish, Swedish, English and others), for telling
   a colleague addressed by name ("Jess, can you...", "Oskar muista...")
   from the start of an ordinary sentence, with or without a team roster.
   Names that are also common words (Onni, Toivo, Satu) are left out. */
static const char *const first_names[] = {
    "aapo", "aarne", "aaro", "aaron", "aatu", "adam", "adrian", "ahmed",
    "aila", "aino", "aira", "aki", "alan", "albert", "aleksanteri", "aleksi",
    "alex", "alexander", "ali", "alice", "amanda", "amber", "amelia", "amy",
    "anastasia", "anders", "andrea", "andrew", "andy", "angela", "anil",
    "anna", "anne", "anneli", "anni", "annika", "anthony", "anu", "ari",
    "arja", "arto", "arttu", "ashley", "astrid", "atte", "auli", "barbara",
    "becky", "ben", "benjamin", "beth", "björn", "bob", "brandon", "brian",
    "carlos", "caroline", "catherine", "charles", "charlie", "charlotte",
    "chloe", "chris", "christian", "christina", "christopher", "claire",
    "dan", "daniel", "dave", "david", "deborah", "dennis", "diana", "diego",
    "dmitri", "donna", "dylan", "edward", "eemeli", "eero", "eetu", "eeva",
    "eija", "eino", "eleanor", "elena", "elias", "elina", "elizabeth", "ella",
    "ellen", "elli", "ellie", "elsa", "emil", "emilia", "emily", "emma",
    "enni", "eric", "erik", "erkki", "esa", "esko", "essi", "ethan",
    "eveliina", "fatima", "felix", "fiona", "francesca", "frank", "freja",
    "gary", "george", "giulia", "grace", "gustav", "hanna", "hannah",
    "hannele", "hannu", "harri", "harry", "hassan", "heather", "heidi",
    "heikki", "heini", "helen", "helena", "helmi", "henna", "henri", "henrik",
    "henry", "hilkka", "hilla", "hugo", "ian", "ida", "iida", "iina", "iiris",
    "ilkka", "ilona", "ingrid", "inkeri", "irja", "irma", "isabella", "ismo",
    "ivan", "jaakko", "jaana", "jacob", "james", "jane", "jani", "janna",
    "janne", "jari", "jarkko", "jarmo", "jasmin", "jason", "jen", "jenna",
    "jenni", "jennifer", "jenny", "jere", "jeremy", "jess", "jesse",
    "jessica", "jim", "joe", "joel", "johan", "johanna", "john", "jonas",
    "jonathan", "joni", "jonna", "jonne", "joona", "joonas", "jorma",
    "joseph", "joshua", "jouni", "juha", "juhani", "juho", "jukka", "julia",
    "julie", "julius", "jussi", "justin", "juuso", "jyrki", "kaarina",
    "kaija", "kaisa", "kaisu", "kalle", "karen", "kari", "karin", "kasper",
    "katariina", "kate", "katherine", "kathleen", "kati", "katie", "katja",
    "katri", "keith", "kelly", "kerttu", "kev", "kevin", "kim", "kimmo",
    "kirsi", "kirsti", "krista", "kristian", "kristiina", "kyösti", "laila",
    "lari", "lars", "lasse", "laura", "lauren", "lauri", "leena", "leevi",
    "leila", "leo", "liisa", "linda", "linnea", "lisa", "liz", "lotta",
    "luca", "lucas", "lucia", "lucy", "lukas", "luke", "maarit", "magnus",
    "maija", "maiju", "marco", "maria", "marika", "marita", "marja",
    "marjatta", "marjo", "marjut", "markku", "marko", "markus", "martti",
    "mary", "matias", "matt", "matthew", "matti", "meg", "megan", "melissa",
    "merja", "mervi", "michael", "michelle", "miika", "mika", "mikael",
    "mike", "mikko", "milla", "minna", "mira", "mirja", "miro", "mirva",
    "mohammed", "moritz", "nat", "natalia", "natalie", "nathan", "nelli",
    "nicholas", "nick", "nicole", "niilo", "niklas", "niko", "nikolai",
    "nils", "nina", "noah", "noora", "olga", "oliver", "olivia", "olli",
    "omar", "oona", "oscar", "oskar", "oskari", "ossi", "otto", "outi",
    "paavo", "pablo", "pasi", "patrick", "patrik", "paul", "paula", "pauli",
    "pauliina", "pavel", "pekka", "pentti", "pertti", "pete", "peter",
    "petra", "petri", "petteri", "philip", "pia", "piia", "pirjo", "pirkko",
    "priya", "päivi", "rachel", "raija", "raili", "raimo", "raj", "rasmus",
    "rebecca", "reetta", "reijo", "richard", "riikka", "riitta", "riku",
    "risto", "ritva", "rob", "robert", "ronja", "roope", "ryan", "saara",
    "saija", "sakari", "salla", "sam", "sami", "samu", "samuel", "samuli",
    "sanjay", "sanna", "sanni", "santeri", "sara", "sarah", "sari", "sauli",
    "scott", "sean", "seija", "senja", "seppo", "sergei", "siiri", "silja",
    "simo", "sirkka", "sirpa", "sofia", "sonja", "sophie", "stephanie",
    "stephen", "steve", "steven", "sulo", "susan", "susanna", "suvi", "sven",
    "taina", "taneli", "tapani", "tapio", "tarja", "ted", "teemu", "teija",
    "teppo", "terhi", "tero", "thomas", "tiia", "tiina", "tim", "timo",
    "timothy", "tobias", "tom", "tommi", "toni", "tony", "topi", "tuija",
    "tuomas", "tuomo", "turo", "tuukka", "tuula", "tuulikki", "tyler", "ukko",
    "ulla", "urpo", "valtteri", "veera", "veikko", "veli", "venla", "vesa",
    "victoria", "vilho", "ville", "vilma", "virpi", "väinö", "william",
    "wilma", "yrjö", "yusuf", "zoe",
};

/* for segments (segment.c): what asks someone to do something, what a
   full stop after does not end a sentence, closings, and "but" */
static const char *const request_words[] = {
    "can", "could", "would", "will", "pls", "please", "plz", "check", "ping",
    "take", "grab", "have", "did", "do", "any", "is", "are", "you",
    "voitko", "voisitko", "voiks", "voisiksä", "katso", "katotko",
    "kattoisitko", "tsekkaa", "tsekkaisitko", "ota", "otatko", "hoida",
    "hoidatko", "ehditkö", "ehtisitkö", "tiedätkö", "tiiätkö", "muistatko",
    "onko", "oisko", "ois", "laita", "laitatko", "pystytkö", "pystyisitkö",
    "viitsitkö", "viitsisitkö", "jatkatko", "muista", "muistathan", "soita",
    "soitatko", "vastaa", "vastaatko", "lähetä", "lähetätkö", "kysy",
    "kysytkö", "was", "were", "should", "need", "let", "let's", "remind",
    "send", "call", "ask", "tarkista", "tarkistatko", "huomaa",
    "katsoisitko",
};
static const char *const abbreviations[] = {
    "mr", "mrs", "ms", "dr", "st", "vs", "etc", "e.g", "i.e", "esim", "mm",
    "ns", "ym", "yms", "jne", "ks", "vrt", "klo", "huom", "puh", "tel",
    "no", "nro", "ca", "approx", "inc", "ltd", "oy", "ab", "yst", "terv",
};
static const char *const closings[] = {
    "regards", "cheers", "terveisin", "terveiset", "kiittäen", "br",
    "sincerely", "yours", "thanks", "kiitos", "best", "t", "terv", "yst",
    "warmly",
};
static const char *const closing_first[] = {
    "kind", "best", "warm", "many", "ystävällisin", "parhain", "hyvää",
    "mukavaa", "all", "thank", "with",
};
static const char *const closing_second[] = {
    "regards", "wishes", "terveisin", "you", "päivänjatkoa", "jatkoa", "the",
    "thanks", "best",
};
static const char *const but_words[] = {"but", "mutta", "mut", "though"};

/* words that open or close an aside inside a sentence */
static const char *const marker_words[] = {
    "btw", "fyi", "ps", "muuten", "anyway", "anyways", "tho", "though",
    "lol", "lmao", "haha", "hahaha", "xd", "jk", "mutta", "mut", "but",
    "sivumennen", "psst", "jsyk",
};
/* clang-format on */

/*
 * Every list in one open-addressing hash table, built on first use (the
 * bot is single-threaded; the table never changes after that): a word's
 * language (1 Finnish, 2 English, 0 neither) and its classes.
 */
struct entry {
    const char *w;
    uint32_t h; /* hash(w) */
    uint8_t len, lang;
    uint16_t classes;
};

#define SLOTS 4096
#define MAX_ENTRIES 2048

static struct entry entries[MAX_ENTRIES];
static size_t n_entries;
static uint16_t slots[SLOTS]; /* index + 1 into entries */
static int built;

/* the ABI's word hash, which pf_text.token_hash holds for each token */
static uint32_t
hash(const char *s, size_t n)
{
    return pf_word_hash(s, n);
}

static inline struct entry *
find(const char *w, size_t n, uint32_t h)
{
    for (uint32_t j = h & (SLOTS - 1); slots[j]; j = (j + 1) & (SLOTS - 1)) {
        struct entry *e = &entries[slots[j] - 1u];
        if (e->h != h || e->len != n)
            continue;
        size_t k = 0;
        while (k < n && e->w[k] == w[k])
            k++;
        if (k == n)
            return e;
    }
    return NULL;
}

static void
enter(const char *const *list, size_t n, uint8_t lang, uint16_t cls)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(list[i]);
        uint32_t h = hash(list[i], len);
        struct entry *e = find(list[i], len, h);
        if (!e) {
            if (n_entries == MAX_ENTRIES)
                return;
            e = &entries[n_entries++];
            e->w = list[i];
            e->h = h;
            e->len = (uint8_t)len;
            uint32_t j = h & (SLOTS - 1);
            while (slots[j])
                j = (j + 1) & (SLOTS - 1);
            slots[j] = (uint16_t)n_entries;
        }
        if (lang)
            e->lang = lang;
        e->classes |= cls;
    }
}

#define N(a) (sizeof(a) / sizeof(*(a)))

static void
build(void)
{
    enter(fi_words, N(fi_words), 1, 0);
    enter(en_words, N(en_words), 2, 0);
    enter(second_words, N(second_words), 0, PF_WC_SECOND);
    enter(third_words, N(third_words), 0, PF_WC_THIRD);
    enter(person_nouns, N(person_nouns), 0, PF_WC_PERSON);
    enter(pointer_words, N(pointer_words), 0, PF_WC_POINTER);
    enter(greeting_words, N(greeting_words), 0, PF_WC_GREETING);
    enter(first_words, N(first_words), 0, PF_WC_FIRST);
    enter(informal_words, N(informal_words), 0, PF_WC_INFORMAL);
    enter(marker_words, N(marker_words), 0, PF_WC_MARKER);
    enter(first_names, N(first_names), 0, PF_WC_NAME);
    enter(request_words, N(request_words), 0, PF_WC_REQUEST);
    enter(abbreviations, N(abbreviations), 0, PF_WC_ABBR);
    enter(closings, N(closings), 0, PF_WC_CLOSING);
    enter(closing_first, N(closing_first), 0, PF_WC_CLOSING1);
    enter(closing_second, N(closing_second), 0, PF_WC_CLOSING2);
    enter(but_words, N(but_words), 0, PF_WC_BUT);
    built = 1;
}

/* 1 Finnish, 2 English, 3 neither but has ä or ö, 0 none of these; the
   word's classes into *cls. c3: the message has a byte 0xC3 (which ä and
   ö begin with) somewhere */
static inline int
lookup(const char *w, size_t n, uint32_t h, int c3, uint16_t *cls)
{
    const struct entry *e = find(w, n, h);
    *cls = e ? e->classes : 0;
    if (e && e->lang)
        return e->lang;
    for (size_t i = 0; c3 && i + 1 < n; i++)
        if ((unsigned char)w[i] == 0xC3 && ((unsigned char)w[i + 1] == 0xA4 ||
                                            (unsigned char)w[i + 1] == 0xB6))
            return 3; /* ä ö */
    return 0;
}

#define SUF(s)                                                                 \
    {                                                                          \
        s, sizeof(s) - 1                                                       \
    }
struct suffix {
    const char *s;
    size_t n;
};

/* clang-format off */
static const struct suffix fi_end[] = {
    SUF("ssa"), SUF("ssä"), SUF("sta"), SUF("stä"), SUF("lla"), SUF("llä"),
    SUF("lta"), SUF("ltä"), SUF("lle"), SUF("ksi"), SUF("aan"), SUF("ään"),
    SUF("een"), SUF("iin"), SUF("uun"), SUF("nen"), SUF("tta"), SUF("ttä"),
    SUF("ani"), SUF("kin"), SUF("kaan"), SUF("kään"), SUF("ko"), SUF("kö"),
    SUF("mme"), SUF("tte"),
};
static const struct suffix en_end[] = {
    SUF("ing"), SUF("tion"), SUF("ly"), SUF("ed"), SUF("ght"),
};
/* clang-format on */

static int
ends_any(const char *w, size_t n, const struct suffix *t, size_t nt)
{
    unsigned char last = n ? (unsigned char)w[n - 1] : 0;
    for (size_t i = 0; i < nt; i++)
        if ((unsigned char)t[i].s[t[i].n - 1] == last && n > t[i].n + 2 &&
            memcmp(w + n - t[i].n, t[i].s, t[i].n) == 0)
            return 1;
    return 0;
}

/*
 * Weak cues for words not in either list: 1 Finnish (a case ending, a
 * long vowel English does not write: aa ii uu yy), 2 English (th, w,
 * -ing, -tion, -ly), 0 neither. A word counts half as much as a function
 * word. One pass over the word, then its ending.
 */
static int
shape(const char *w, size_t n)
{
    int en = 0;
    for (size_t i = 0; i < n; i++) {
        char c = w[i];
        if (c == 'w')
            en = 1;
        if (i + 1 < n) {
            char d = w[i + 1];
            if (c == d && (c == 'a' || c == 'i' || c == 'u' || c == 'y'))
                return 1;
            if (c == 't' && d == 'h')
                en = 1;
        }
    }
    if (ends_any(w, n, fi_end, sizeof(fi_end) / sizeof(*fi_end)))
        return 1;
    if (en || ends_any(w, n, en_end, sizeof(en_end) / sizeof(*en_end)))
        return 2;
    return 0;
}

/* "fi", "en", "mixed" or NULL when neither side has anything */
static const char *
verdict(unsigned fi, unsigned en)
{
    if (!fi && !en)
        return NULL;
    if (fi && en) {
        unsigned lo = fi < en ? fi : en, hi = fi < en ? en : fi;
        if (lo * 3 >= hi)
            return "mixed";
    }
    return fi > en ? "fi" : "en";
}

const char *
pf_text_lang(const struct pf_text *t, uint16_t *wclass)
{
    unsigned fi = 0, en = 0, unknown = 0;
    /* which words the lists do not know, for the second pass (the first
       256 tokens; beyond them it looks again) */
    uint8_t known[256];
    if (!built)
        build();
    /* in locals: the compiler cannot tell that the bytes written to known
       are not t's members */
    const struct pf_token *const tokens = t->tokens;
    const char *const norm = t->norm;
    const uint32_t *const th = t->token_hash;
    const size_t nt = t->n_tokens;
    /* a message without ä and ö (most English ones): no word has them */
    const int c3 = memchr(norm, 0xC3, t->norm_len) != NULL;
    for (size_t i = 0; i < nt; i++) {
        const struct pf_token *tok = &tokens[i];
        const char *w = norm + tok->norm_off;
        uint16_t cls = 0;
        wclass[i] = 0;
        if (i < sizeof(known))
            known[i] = 1;
        if (tok->kind != PF_TOK_WORD || tok->norm_len >= 16)
            continue;
        int l = lookup(w, tok->norm_len, th[i], c3, &cls);
        if (i < sizeof(known))
            known[i] = l != 0;
        wclass[i] = cls;
        if (l == 1)
            fi += 2;
        else if (l == 2)
            en += 2;
        else if (l == 3)
            fi += 1;
        else
            unknown++;
    }
    /* the function words are clear: done (most messages) */
    const char *v = verdict(fi, en);
    if (v && strcmp(v, "mixed") != 0 && (fi > 2 || en > 2))
        return v;
    /* else the shape of the other words helps */
    for (size_t i = 0; unknown && i < t->n_tokens; i++) {
        const struct pf_token *tok = &t->tokens[i];
        const char *w = t->norm + tok->norm_off;
        uint16_t cls;
        if (i < sizeof(known)
                ? known[i]
                : tok->kind != PF_TOK_WORD || tok->norm_len >= 16 ||
                      lookup(w, tok->norm_len, t->token_hash[i], c3, &cls) != 0)
            continue;
        int sh = shape(w, tok->norm_len);
        fi += sh == 1;
        en += sh == 2;
    }
    v = verdict(fi, en);
    return v ? v : "und";
}
