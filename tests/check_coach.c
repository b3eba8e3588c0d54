/*
 * check_coach.c - the coaching plugin on conversations written for these
 * tests: each label found when it should be, not when it should not, the
 * finding naming what it is about.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "base/util.h"
#include "testutil.h"

/* no policy: every finding must come out a note by itself */
#define CFG "{\"plugins\": [\"coach\"]}"

static struct tu_engine eng;

static void
setup(void)
{
    tu_engine_open(&eng, CFG, NULL);
}

static void
teardown(void)
{
    tu_engine_close(&eng);
}

/* the finding with label for this reply to this customer message, or NULL */
static const struct pf_found *
coach(const char *customer, const char *reply, const char *label,
      struct pf_result *r)
{
    tu_check_ctx(&eng, reply, customer, r);
    const struct pf_found *f = tu_find(r, label);
    if (f)
        ck_assert_msg(f->action == PF_ACT_NOTE, "%s is not a note: %s", label,
                      pf_action_name(f->action));
    return f;
}

static void
expect(const char *customer, const char *reply, const char *label)
{
    struct pf_result r;
    ck_assert_msg(coach(customer, reply, label, &r), "no %s for:\n  %s\n  %s",
                  label, customer, reply);
}

static void
expect_not(const char *customer, const char *reply, const char *label)
{
    struct pf_result r;
    const struct pf_found *f = coach(customer, reply, label, &r);
    ck_assert_msg(!f, "%s (%s) for:\n  %s\n  %s", label, f ? f->f.reason : "",
                  customer, reply);
}

START_TEST(missing_apology)
{
    const char *late = "The sofa was supposed to arrive on Monday and it "
                       "still hasn't come.";
    expect(late, "It will be delivered on Thursday morning.",
           "missing_apology");
    expect_not(late, "Sorry for the delay! It will be delivered on Thursday.",
               "missing_apology");
    expect_not(late, "We apologise for the wait; it arrives on Thursday.",
               "missing_apology");
    expect_not(late, "My apologies, it arrives on Thursday.",
               "missing_apology");
    /* "sorry" that apologises for nothing */
    expect(late, "No need to be sorry for asking! It arrives on Thursday.",
           "missing_apology");

    const char *wrong = "Sain väärän värisen sohvan, tilasin harmaan.";
    expect(wrong, "Harmaa sohva toimitetaan torstaina.", "missing_apology");
    expect_not(wrong, "Pahoittelut! Harmaa sohva toimitetaan torstaina.",
               "missing_apology");
    expect_not(wrong, "Anteeksi, meidän virheemme. Harmaa tulee torstaina.",
               "missing_apology");
    expect_not(wrong, "Olen todella pahoillani, harmaa tulee torstaina.",
               "missing_apology");
    expect_not(wrong, "Tosi ikävää! Harmaa sohva tulee torstaina.",
               "missing_apology");

    /* a plain question, or a question about a problem, is no complaint */
    expect_not("When does the sale end?", "The sale ends on Sunday.",
               "missing_apology");
    expect_not("Why can't I log in to the app?",
               "Passwords now need 12 characters; reset yours from the "
               "login page.",
               "missing_apology");
    /* nor a customer who apologises for asking */
    expect_not("Sorry to bother you, but is my order late?",
               "It ships today and arrives tomorrow.", "missing_apology");
}
END_TEST

/* regret counts as an apology, in the words people use for it */
START_TEST(apology_regret)
{
    const char *late = "The plumber never showed up and I took the day off "
                       "for nothing.";
    static const char *const en[] = {
        "That shouldn't have happened. He will come tomorrow at 8.",
        "That's on us: he will come tomorrow at 8.",
        "We let you down there. He will come tomorrow at 8.",
        "I really wish your day had gone differently; he comes at 8.",
        "Ugh, that sounds really frustrating. He comes tomorrow at 8.",
        "We should have called you. He comes tomorrow at 8.",
    };
    for (size_t i = 0; i < sizeof(en) / sizeof(*en); i++)
        expect_not(late, en[i], "missing_apology");
    expect(late, "He will come tomorrow at 8.", "missing_apology");

    const char *rikki = "Uusi astianpesukone vuotaa jo toista kertaa.";
    static const char *const fi[] = {
        "Harmittaa tosi paljon! Huoltomies tulee huomenna.",
        "Tämä meni meiltä pieleen. Huoltomies tulee huomenna.",
        "Näin ei olisi pitänyt käydä. Huoltomies tulee huomenna.",
        "Kurja juttu, huoltomies tulee huomenna.",
        "Meidän olisi pitänyt tarkistaa liitokset. Huoltomies tulee "
        "huomenna.",
    };
    for (size_t i = 0; i < sizeof(fi) / sizeof(*fi); i++)
        expect_not(rikki, fi[i], "missing_apology");
    expect(rikki, "Huoltomies tulee huomenna.", "missing_apology");
    /* the formal and the possessive forms */
    expect_not(rikki, "Valitamme tapahtunutta. Huoltomies tulee huomenna.",
               "missing_apology");
    expect_not(rikki, "Tämä on täysin vikamme. Huoltomies tulee huomenna.",
               "missing_apology");
    expect_not(rikki, "Esitämme anteeksipyyntömme; huoltomies tulee huomenna.",
               "missing_apology");
    expect_not(late, "Forgive the mix-up: he comes tomorrow at 8.",
               "missing_apology");
    /* "ikävä kyllä" is "unfortunately", no regret */
    expect(rikki, "Ikävä kyllä huoltomies pääsee vasta maanantaina.",
           "missing_apology");
    /* empathy with the feeling is regret too */
    expect_not(late, "I understand that it feels unfair. He comes at 8.",
               "missing_apology");
    /* "shouldn't be a problem" reassures, it regrets nothing */
    expect(rikki, "Sen ei pitäisi olla ongelma, huoltomies tulee huomenna.",
           "missing_apology");
    /* condolences are what a bereaved customer is owed */
    expect_not("Äitini kuoli, enkä päässyt vastaanotolle.",
               "Otan osaa. Uusi aika on sinulle maksuton.", "missing_apology");
}
END_TEST

/* complaints in the forms people write them: inflected, spoken, told
   as a broken promise, a regression, or something staff did */
START_TEST(complaint_forms)
{
    const char *reply = "A new one ships on Monday.";
    const char *vastaus = "Uusi lähtee maanantaina.";
    static const char *const en[] = {
        "You quoted me 120 € and then charged 165 €.",
        "Same problem again after your last update.",
        "Your courier forgot to close the gate and the dog got out.",
        "We paid for the premium plan and got the basic one.",
        "It stopped charging after only two weeks. Seriously?",
        "The website said in stock but the order was cancelled.",
    };
    for (size_t i = 0; i < sizeof(en) / sizeof(*en); i++)
        expect(en[i], reply, "missing_apology");
    static const char *const fi[] = {
        "Tuoli tuli rikkinäisenä.",
        "Tilaamani kaappi ei koskaan tullu perille.",
        "Kaikki kuvat on kadonnu päivityksen jälkeen!",
        "Siivooja jätti ikkunan auki koko viikonlopuksi.",
        "Sivulla luki toimitus 2 päivässä, mutta nyt on mennyt viikko.",
        "Laturi ei toiminu alusta asti ja meiltä jäi työt tekemättä.",
    };
    for (size_t i = 0; i < sizeof(fi) / sizeof(*fi); i++)
        expect(fi[i], vastaus, "missing_apology");

    /* "!" makes a complaint of a mention of an error */
    expect("Laskussa on virhe!", "Korjattu lasku on liitteenä.",
           "missing_apology");

    /* the customer's own mistake, lateness or confusion is no complaint
       about the service */
    expect_not("I accidentally ordered the wrong size. Can I swap it?",
               "Sure, swap it in the app.", "missing_apology");
    expect_not("Sorry, I'll be late with the payment this month.",
               "That's fine, pay by the 15th.", "missing_apology");
    expect_not("Ostin vahingossa väärän kokoisen. Voiko vaihtaa?",
               "Voi, vaihto onnistuu sovelluksessa.", "missing_apology");
    expect_not("En vieläkään tajua miten kuitin saa ladattua.",
               "Kuitti löytyy kohdasta Tilaukset.", "missing_apology");
    /* good news is no complaint, however it ends */
    expect_not("Thanks, my bike is back and rides great!", "Enjoy!",
               "missing_apology");
}
END_TEST

START_TEST(unanswered_questions)
{
    struct pf_result r;
    const char *three = "How much is the spa day? Can I book for two? And is "
                        "there parking?";
    const struct pf_found *f = coach(three, "The spa day is €79 per person.",
                                     "unanswered_questions", &r);
    ck_assert_ptr_nonnull(f);
    /* the finding names the questions left unanswered, and only those */
    ck_assert_msg(strstr(f->f.reason, "Can I book for two?") &&
                      strstr(f->f.reason, "is there parking?") &&
                      !strstr(f->f.reason, "How much"),
                  "%s", f->f.reason);
    expect_not(three,
               "The spa day is €79 per person, you can book for two online, "
               "and there's free parking behind the hotel.",
               "unanswered_questions");

    /* two questions under one question mark */
    expect("Milloin kurssi alkaa ja paljonko se maksaa?", "Kurssi alkaa 3.9.",
           "unanswered_questions");
    expect_not("Milloin kurssi alkaa ja paljonko se maksaa?",
               "Kurssi alkaa 3.9. ja maksaa 120 euroa.",
               "unanswered_questions");
    expect("When does the course start, and can I pay in instalments?",
           "The course starts on 3 September.", "unanswered_questions");

    /* answered by the kind of answer: a time for "when" */
    expect_not("When will my refund come? And will I get an email?",
               "Tomorrow, and yes, you'll get a confirmation email.",
               "unanswered_questions");
    /* a yes/no question answered with its own verb */
    expect_not("Voiko lipun vaihtaa?", "Voi! Vaihdon voi tehdä sovelluksessa.",
               "unanswered_questions");
    /* a lone rhetorical question does not nag */
    expect_not("Paketti on taas myöhässä. Mitä ihmettä?",
               "Pahoittelut! Paketti on perillä huomenna aamupäivällä.",
               "unanswered_questions");
}
END_TEST

/* where one question ends and the next begins */
START_TEST(question_parts)
{
    /* a lone question is no finding: that takes two */
    expect_not("Can I bring my dog to the class?", "Only on weekdays.",
               "unanswered_questions");
    /* punctuation inside a word ends nothing: "4K:n", ".fi" */
    expect_not("Toimiiko sovellus Go:ssa? Entä maksaako se?",
               "Toimii, ja se on ilmainen.", "unanswered_questions");
    expect("Paljonko .com-osoite maksaa vuodessa ja saako siihen "
           "sähköpostin?",
           "Osoite maksaa 15 € vuodessa.", "unanswered_questions");
    /* "or" gives one question two sides */
    expect_not("How much is a parking permit, and can I buy it online or "
               "do I need to visit the office?",
               "A permit is 40 € a month, and you can buy it online.",
               "unanswered_questions");
    /* a lead-in that only asks to be told is no question of its own */
    expect_not("Voisitteko kertoa, paljonko vuokravakuus on?",
               "Vakuus on kahden kuukauden vuokra.", "unanswered_questions");
    expect_not("Could you check whether my card is still active?",
               "Yes, it's active until May.", "unanswered_questions");
    /* but "where is it" asks, and "why and when" are two */
    expect("Where is it, and why is it so late?",
           "It is at the terminal in Vantaa.", "unanswered_questions");
    expect("Miksi ja milloin tilini suljettiin?",
           "Tili suljettiin eilen illalla.", "unanswered_questions");
}
END_TEST

/* which words and answers answer which question */
START_TEST(question_answers)
{
    /* "yes to both", "molemmat", "yes, yes and yes" answer them all */
    expect_not("Can I pause my membership? And can I transfer it?",
               "Yes to both: pause and transfer are under My plan.",
               "unanswered_questions");
    expect_not("Voiko tunnille tuoda kaverin? Entä oman maton?",
               "Molemmat käyvät hyvin.", "unanswered_questions");
    expect_not("Saako kortin jäädyttää? Entä siirtää toiselle? Ja onko "
               "siitä maksua?",
               "Kyllä, kyllä ja kyllä: jäädytys ja siirto maksavat 5 €.",
               "unanswered_questions");
    /* a topic word both questions share answers neither */
    expect("How often should I service my bike, and which chain oil do you "
           "recommend for my bike?",
           "For a road bike we recommend Finish Line Dry.",
           "unanswered_questions");
    /* an opening "yes" answers the question its sentence is about */
    expect("Is the jacket in stock in size L? Is it waterproof?",
           "Yes, it's fully waterproof with taped seams.",
           "unanswered_questions");
    /* "per month" is a price, "every 20 minutes" a frequency: neither
       says when; "16:45" does */
    expect("When does the pool open, and how much is a monthly pass?",
           "A pass is 45 € per month.", "unanswered_questions");
    expect("What time does the last bus leave, and where does it stop?",
           "They run every 20 minutes from stop 4.", "unanswered_questions");
    expect_not("What time does the last bus leave, and where does it stop?",
               "The last one leaves at 23:40 from stop 4.",
               "unanswered_questions");
    /* a question that wants a time is not answered by its topic alone */
    expect("How long does the repair take, and can I wait at the shop?",
           "The repair is done at our Vantaa shop, and you can wait in the "
           "lounge.",
           "unanswered_questions");
    /* a date answers when; the verb that asks does not answer */
    expect_not("Voiko laskun maksaa kahdessa erässä ja milloin eka erä "
               "pitäisi maksaa?",
               "Voi! Ensimmäinen erä erääntyy 31.10.", "unanswered_questions");
    expect("Mistä näen laskut? Ja näkyykö siellä myös maksetut?",
           "Laskut näkyy Oma sivu -osiossa.", "unanswered_questions");
    /* a yes opening a later sentence answers the next question */
    expect_not("Saako kanavalle lisätä kirjanpitäjän? Ja näkeekö hän vanhat "
               "viestit?",
               "Joo, lisää hänet asetuksista. Ja kyllä, uudet jäsenet "
               "näkevät koko historian.",
               "unanswered_questions");
    /* "am I allowed" starts a question of its own */
    expect("How much is winter storage, and am I allowed to paint the hull "
           "myself?",
           "Winter storage is 890 € including lift-out.",
           "unanswered_questions");
    /* a price word deep inside a yes/no question does not ask a price */
    expect("Is installation included in the price? And how long does it "
           "take?",
           "The washer is 499 € and it takes an hour.", "unanswered_questions");
    /* a compound and its first part: vahvistusmerkki / vahvistus */
    expect_not("Miten saan vahvistusmerkin tilille ja kauanko se kestää?",
               "Vahvistuksen teet asetuksista, ja käsittely kestää päivän.",
               "unanswered_questions");
    /* a mixed-language customer's words, found in a reply in another */
    expect_not("Moi, do you have a sauna, ja onko teillä pyyhevuokraus?",
               "Hi! Yes, there's a sauna. Pyyhevuokraus maksaa 3 €.",
               "unanswered_questions");
}
END_TEST

START_TEST(emoji_overuse)
{
    struct pf_result r;
    const char *reply = "Yay 🎉🎉 so happy for you 💖💖 enjoy ✨";
    const struct pf_found *f = coach("Thanks!", reply, "emoji_overuse", &r);
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(f->f.n_spans, 5); /* every emoji */
    ck_assert(tu_span_is(&r, reply, "🎉"));
    expect_not("Thanks!", "Happy to help 😊", "emoji_overuse");
    /* three hearts in a row is a wall */
    expect("Kiitos!", "Ole hyvä ❤️❤️❤️", "emoji_overuse");
    /* a customer who writes with emoji may get some back */
    expect_not("Kiitos!! 😍😍🎉🎉", "Ole hyvä! 😍🎉🎉🥳", "emoji_overuse");
}
END_TEST

START_TEST(condescension)
{
    struct pf_result r;
    const char *reply = "As I already told you, the form is on our website.";
    const struct pf_found *f =
        coach("Where is the return form?", reply, "condescension", &r);
    ck_assert_ptr_nonnull(f);
    ck_assert(tu_span_is(&r, reply, "As I already told"));
    expect("Miten nollaan reitittimen?",
           "Kuten jo aiemmin kerroin, paina reset-nappia.", "condescension");
    expect("Miten nollaan reitittimen?",
           "Ei se ole kovin vaikeaa: paina reset-nappia.", "condescension");
    expect("How do I reset the router?",
           "Obviously you press the reset button.", "condescension");
    /* agreeing on what was agreed is not talking down */
    expect_not("As agreed on the phone, here are the photos.",
               "Thanks! As we agreed, I'll process the claim today.",
               "condescension");
    expect_not("How do I reset the router?",
               "Press the reset button for ten seconds.", "condescension");
}
END_TEST

/* the families of talking down, in both languages, with words between */
START_TEST(condescension_forms)
{
    const char *q = "How do I change my password?";
    const char *k = "Miten vaihdan salasanan?";
    static const char *const en[] = {
        /* what was said before */
        "As I've now told you twice, it's under Settings.",
        "As our support already explained to you, it's under Settings.",
        "For the third time: it's under Settings.",
        /* what they should have read */
        "As stated in the welcome email, it's under Settings.",
        "Like the manual says, it's under Settings.",
        "It's under Settings. This is stated on the first page of the "
        "guide.",
        /* reproach */
        "You should have checked Settings. It's there.",
        "You'd know this if you'd read the guide: it's under Settings.",
        "It's under Settings; please read the guide carefully next time.",
        "It's under Settings, just so you know for future reference.",
        /* what anyone knows, how easy it is */
        "As any user should know, it's under Settings.",
        "It's under Settings, which I'm sure you understand.",
        "Surely you know where Settings is?",
        "It's under Settings. It really isn't complicated.",
        "It's under Settings, that's literally what the word means.",
        "Settings exist for a reason. It's there.",
        "As stated clearly in the guide, it's under Settings.",
        "Have you actually tried Settings? Most problems are people not "
        "checking the basics.",
    };
    for (size_t i = 0; i < sizeof(en) / sizeof(*en); i++)
        expect(q, en[i], "condescension");
    static const char *const fi[] = {
        "Kuten edellisessä viestissäni jo kerroin, se on asetuksissa.",
        "Kuten ohjeissa lukee, se on asetuksissa.",
        "Jos olisit vilkaissut ohjetta, olisit löytänyt sen itsekin.",
        "Se on asetuksissa. Lue ohje huolellisesti tällä kertaa.",
        "Kai sä tiedät missä asetukset on?",
        "Se on asetuksissa, ei se sen vaikeampaa ole.",
        "Se on asetuksissa, sehän on ihan perustoiminto.",
        "Se on asetuksissa. Tämän pitäisi olla aika selvää.",
        "Kannattaa jatkossa lukea ohjeet ennen kuin kysyy.",
        "Se on asetuksissa, kuten kaikissa muissakin palveluissa, joten ei "
        "pitäisi olla mikään mysteeri.",
    };
    for (size_t i = 0; i < sizeof(fi) / sizeof(*fi); i++)
        expect(k, fi[i], "condescension");

    /* the same words that talk down nobody */
    expect_not(q,
               "You should have received a reset email; it's also under "
               "Settings.",
               "condescension");
    expect_not(q, "Don't worry, it's not complicated: open Settings.",
               "condescension");
    expect_not(q,
               "It's under Settings. Next time you can also use the "
               "app.",
               "condescension");
    expect_not(k, "Asentaja tarkistaa jatkossa lukituksen aina kahdesti.",
               "condescension");
    expect_not(k, "Kuten sovimme, vaihdoin salasanan puolestasi.",
               "condescension");
}
END_TEST

/* explaining the obvious: defining a word the customer or the reply
   itself just used */
START_TEST(over_explaining)
{
    struct pf_result r;
    const char *reply = "Insert the filter into the holder. The holder is a "
                        "plastic frame that sits under the lid.";
    const struct pf_found *f =
        coach("Where does the filter go?", reply, "condescension", &r);
    ck_assert_msg(f, "no condescension for: %s", reply);
    ck_assert(tu_span_is(&r, reply, "holder is a plastic frame that"));
    expect("Miten suodatin vaihdetaan?",
           "Suodatin laitetaan kehikkoon. Kehikko on se muovinen osa, joka "
           "on kannen alla.",
           "condescension");
    expect("Which way do I turn the valve?",
           "Turn the valve anticlockwise. Anticlockwise means the opposite "
           "way to a clock's hands.",
           "condescension");
    /* not when the customer asked what a word means */
    expect_not("What does 'anticlockwise' mean?",
               "Anticlockwise means the opposite way to a clock's hands.",
               "condescension");
    /* nor a definition of a word nobody used */
    expect_not("Where does the filter go?",
               "Under the lid: the holder is a frame that keeps it in "
               "place.",
               "condescension");
}
END_TEST

/* the action a configuration gives the reply, and coach's score for label */
static int
action_with(const char *json, const char *customer, const char *reply,
            const char *label, float *score)
{
    struct tu_engine e;
    struct pf_result r;
    tu_engine_open(&e, json, NULL);
    tu_check_ctx(&e, reply, customer, &r);
    const struct pf_found *f = tu_find(&r, label);
    ck_assert_msg(f, "no %s for: %s", label, reply);
    *score = f->f.score;
    int action = f->action;
    tu_engine_close(&e);
    return action;
}

/* Coaching is a tip whatever the policy: without policy.labels the
   clearest finding is a note; a team that wants it held says so. */
START_TEST(note_by_default)
{
    const char *customer = "My order is a week late. Where is it?";
    const char *reply = "As I already told you, obviously it ships when "
                        "it ships. Read the FAQ next time 😂😂😂😂😂😂";
    static const char *const labels[] = {"condescension", "missing_apology",
                                         "emoji_overuse"};
    float score;
    for (size_t i = 0; i < sizeof(labels) / sizeof(*labels); i++) {
        ck_assert_int_eq(action_with(CFG, customer, reply, labels[i], &score),
                         PF_ACT_NOTE);
        ck_assert_msg(score <= 0.55f, "%s %.2f", labels[i], score);
    }
    ck_assert_int_eq(action_with("{\"plugins\": [\"coach\"], \"policy\": "
                                 "{\"labels\": {\"condescension\": "
                                 "\"hold\"}}}",
                                 customer, reply, "condescension", &score),
                     PF_ACT_HOLD);
    /* max_score lets findings reach the hold threshold */
    ck_assert_int_eq(action_with("{\"plugins\": [{\"name\": \"coach\", "
                                 "\"config\": {\"max_score\": 0.9}}]}",
                                 customer, reply, "condescension", &score),
                     PF_ACT_HOLD);
    ck_assert_float_gt(score, 0.6f);
}
END_TEST

START_TEST(config_errors)
{
    struct pf_config c;
    struct pf_engine e;
    char err[512];
    ck_assert_int_eq(tu_config(&c,
                               "{\"plugins\": [{\"name\": \"coach\", "
                               "\"config\": {\"emoji_max\": \"many\"}}]}",
                               NULL, err, sizeof(err)),
                     0);
    ck_assert_int_ne(pf_engine_open(&e, &c, NULL, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "emoji_max"), "%s", err);
    pf_config_release(&c);
    ck_assert_int_eq(tu_config(&c,
                               "{\"plugins\": [{\"name\": \"coach\", "
                               "\"config\": {\"max_score\": 1.5}}]}",
                               NULL, err, sizeof(err)),
                     0);
    ck_assert_int_ne(pf_engine_open(&e, &c, NULL, err, sizeof(err)), 0);
    ck_assert_msg(strstr(err, "max_score"), "%s", err);
    pf_config_release(&c);
}
END_TEST

/* the lexicons with the model's second opinion (plugins/coach/model.h):
   it keeps them from coaching a customer who thanks for a fix, and finds
   a complaint in words no list has */
static const char *const thanks[][2] = {
    {"Thank you so much, the refund for the double charge arrived today!",
     "You're welcome, have a great weekend!"},
    {"Kiitos, tuplaveloitus on nyt hyvitetty, kaikki kunnossa!",
     "Kiva kuulla, mukavaa viikonloppua!"},
    {"Kiitos nopeasta avusta, rikkinäinen lamppu vaihdettiin heti.",
     "Kiitos palautteesta, välitämme sen tiimille!"},
};
static const char *const unlisted[][2] = {
    {"The cleaner skipped the kitchen entirely this week.",
     "The cleaner will come back on Friday to do the kitchen."},
    {"You billed me for a gym month I had already frozen.",
     "The freeze is now registered and the invoice credited."},
    {"Siivooja jätti keittiön kokonaan siivoamatta tällä viikolla.",
     "Siivooja tulee perjantaina siivoamaan keittiön."},
};

START_TEST(apology_model)
{
    for (size_t i = 0; i < sizeof(thanks) / sizeof(*thanks); i++)
        expect_not(thanks[i][0], thanks[i][1], "missing_apology");
    for (size_t i = 0; i < sizeof(unlisted) / sizeof(*unlisted); i++)
        expect(unlisted[i][0], unlisted[i][1], "missing_apology");
    /* the model alone finds nothing where the reply apologises */
    expect_not(unlisted[0][0],
               "Sorry about that! The cleaner will come back on Friday.",
               "missing_apology");
    expect_not(unlisted[2][0],
               "Pahoittelut! Siivooja tulee perjantaina siivoamaan keittiön.",
               "missing_apology");

    /* "model": false: the lexicons alone, which read all of them the
       other way */
    struct tu_engine lex;
    struct pf_result r;
    tu_engine_open(&lex,
                   "{\"plugins\": [{\"name\": \"coach\", \"config\": "
                   "{\"model\": false}}]}",
                   NULL);
    for (size_t i = 0; i < sizeof(thanks) / sizeof(*thanks); i++) {
        tu_check_ctx(&lex, thanks[i][1], thanks[i][0], &r);
        ck_assert_msg(tu_find(&r, "missing_apology"), "%s", thanks[i][0]);
    }
    for (size_t i = 0; i < sizeof(unlisted) / sizeof(*unlisted); i++) {
        tu_check_ctx(&lex, unlisted[i][1], unlisted[i][0], &r);
        ck_assert_msg(!tu_find(&r, "missing_apology"), "%s", unlisted[i][0]);
    }
    tu_engine_close(&lex);
}
END_TEST

/* the error of a coach configured with "model": M, or "" when it opens */
static void
model_error(const char *model_json, char *err, size_t errlen)
{
    struct pf_config c;
    struct pf_engine e;
    char json[1024];
    snprintf(json, sizeof(json),
             "{\"plugins\": [{\"name\": \"coach\", \"config\": "
             "{\"model\": %s}}]}",
             model_json);
    err[0] = '\0';
    ck_assert_int_eq(tu_config(&c, json, NULL, err, errlen), 0);
    if (pf_engine_open(&e, &c, NULL, err, errlen) == 0) {
        err[0] = '\0';
        pf_engine_close(&e);
    }
    pf_config_release(&c);
}

/* a model file that is not whole is refused, naming it and the problem */
START_TEST(model_file)
{
    char *dir = tu_tmpdir(), path[1024], arg[1100], from[1024], err[1024];
    size_t n;
    snprintf(from, sizeof(from), "%s/share/pokerface/models/coach.model",
             tu_build());
    char *model = tu_read(from, &n);
    ck_assert_uint_gt(n, 64);

    snprintf(path, sizeof(path), "%s/coach.model", dir);
    snprintf(arg, sizeof(arg), "\"%s\"", path);
    tu_write(path, model, n);
    model_error(arg, err, sizeof(err));
    ck_assert_msg(err[0] == '\0', "%s", err);

    tu_write(path, model, n - 1); /* truncated */
    model_error(arg, err, sizeof(err));
    ck_assert_msg(strstr(err, path) && strstr(err, "damaged"), "%s", err);

    model[100] ^= 0x40; /* a weight changed */
    tu_write(path, model, n);
    model_error(arg, err, sizeof(err));
    ck_assert_msg(strstr(err, path) && strstr(err, "damaged"), "%s", err);

    tu_write(path, "PFLEARN1 and more", 17); /* another kind of file */
    model_error(arg, err, sizeof(err));
    ck_assert_msg(strstr(err, "not a coach model"), "%s", err);

    snprintf(arg, sizeof(arg), "\"%s/none.model\"", dir);
    model_error(arg, err, sizeof(err));
    ck_assert_msg(strstr(err, "none.model"), "%s", err);

    model_error("3", err, sizeof(err));
    ck_assert_msg(strstr(err, "config.model"), "%s", err);
    model_error("true", err, sizeof(err)); /* the shipped model */
    ck_assert_msg(err[0] == '\0', "%s", err);
    free(model);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

/* exit status of sh -c cmd */
static int
run(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* pokerface train --coach: the same conversations give the same model,
   byte for byte; a bad line is an error naming the file and the line */
START_TEST(model_training)
{
    char *dir = tu_tmpdir(), cmd[4096], a[1024], b[1024], data[1024];
    snprintf(data, sizeof(data), "%s/conversations.mine.jsonl", dir);
    static const char lines[] =
        "{\"customer\": \"The parcel is late again.\", \"reply\": \"It "
        "arrives on Monday.\", \"expect\": [\"missing_apology\"]}\n"
        "{\"customer\": \"When do you open?\", \"reply\": \"At 9.\", "
        "\"expect\": [\"none\"]}\n";
    tu_write(data, lines, strlen(lines));
    snprintf(a, sizeof(a), "%s/a.model", dir);
    snprintf(b, sizeof(b), "%s/b.model", dir);
    for (int i = 0; i < 2; i++) {
        snprintf(cmd, sizeof(cmd),
                 "'%s/pokerface' train --coach -o '%s' '%s' >/dev/null",
                 tu_build(), i ? b : a, data);
        ck_assert_int_eq(run(cmd), 0);
    }
    size_t na, nb;
    char *ma = tu_read(a, &na), *mb = tu_read(b, &nb);
    ck_assert_uint_eq(na, nb);
    ck_assert(memcmp(ma, mb, na) == 0);
    free(ma);
    free(mb);

    /* one label only leaves nothing to learn from */
    static const char one[] = "{\"customer\": \"Hi\", \"reply\": \"Hi\", "
                              "\"expect\": [\"none\"]}\n";
    tu_write(data, one, strlen(one));
    snprintf(cmd, sizeof(cmd),
             "'%s/pokerface' train --coach -o '%s' '%s' 2>/dev/null",
             tu_build(), a, data);
    ck_assert_int_eq(run(cmd), 2);

    static const char bad[] = "{\"customer\": \"Hi\", \"reply\": \"Hi\", "
                              "\"expect\": [\"none\"]}\n{\"reply\": 3}\n";
    tu_write(data, bad, strlen(bad));
    snprintf(cmd, sizeof(cmd),
             "'%s/pokerface' train --coach -o '%s' '%s' 2>'%s/err' >/dev/null",
             tu_build(), a, data, dir);
    ck_assert_int_eq(run(cmd), 2);
    snprintf(a, sizeof(a), "%s/err", dir);
    char *msg = tu_read(a, &na);
    ck_assert_msg(strstr(msg, "conversations.mine.jsonl:2: expected"), "%s",
                  msg);
    free(msg);
    tu_rmrf(dir);
    free(dir);
}
END_TEST

Suite *
suite_coach(void)
{
    Suite *s = suite_create("coach");
    TCase *tc = tcase_create("coach");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, missing_apology);
    tcase_add_test(tc, apology_regret);
    tcase_add_test(tc, complaint_forms);
    tcase_add_test(tc, unanswered_questions);
    tcase_add_test(tc, question_parts);
    tcase_add_test(tc, question_answers);
    tcase_add_test(tc, emoji_overuse);
    tcase_add_test(tc, condescension);
    tcase_add_test(tc, condescension_forms);
    tcase_add_test(tc, over_explaining);
    tcase_add_test(tc, note_by_default);
    tcase_add_test(tc, config_errors);
    tcase_add_test(tc, apology_model);
    tcase_add_test(tc, model_file);
    tcase_add_test(tc, model_training);
    suite_add_tcase(s, tc);
    return s;
}
