/*
 * texts_fi.c - what the relay says in Finnish (see texts.h for what each
 * key is formatted with). A key left out here is said in English.
 */
#include "core/texts.h"

const char *const pf_texts_fi[PF_T_COUNT] = {
    [PF_T_JOURNAL_FAILED] = "pokerface ei voi kirjoittaa päiväkirjaansa (levy "
                            "täynnä?), joten viestiäsi ei lähetetty. Kerro "
                            "ylläpidolle.",
    [PF_T_NOTICE] = "%s: %s #%u, ei lähetetty asiakkaalle. Syy: %s.",
    [PF_T_NOTICE_HELD] = "pidätetty",
    [PF_T_NOTICE_STILL_HELD] = "muokattu viesti pidätetty yhä",
    [PF_T_NOTICE_WORDS] = " Sanat: %s.",
    [PF_T_NOTICE_BLOCKED] = " Vain esihenkilö voi lähettää sen sellaisenaan "
                            "(%ssend %u); voit muokata sitä (%sedit %u <uusi "
                            "teksti>) tai hylätä sen (%sdrop %u).",
    [PF_T_NOTICE_HOWTO] = " Vastaa %ssend %u lähettääksesi sellaisenaan, "
                          "%sedit %u <uusi teksti> muuttaaksesi tai %sdrop %u "
                          "hylätäksesi (tai reagoi ✅ / ❌).",
    [PF_T_NOTICE_EXPIRES] = " Vanhenee %ld min kuluttua.",
    [PF_T_TIP] = "Vinkki viestiisi asiakkaalle: ",
    [PF_T_OBSERVED] = "Kokeilujakso: vastauksesi lähetettiin asiakkaalle, "
                      "mutta kun pokerface on käytössä, tällainen vastaus "
                      "pidätetään. Syy: %s.",
    [PF_T_REPLY_TOO_LONG] = "Vastaustasi ei lähetetty asiakkaalle: se on liian "
                            "pitkä chat-palvelimelle (%zu tavua). Lyhennä "
                            "sitä tai jaa se useaan viestiin.",
    [PF_T_REPLY_TOO_LONG_UNREAD] =
        "Vastaustasi ei lähetetty asiakkaalle: se on liian pitkä "
        "chat-palvelimelle (%zu tavua; enintään %zu). Lyhennä sitä tai jaa se "
        "useaan viestiin.",
    [PF_T_ONLY_SUPERVISOR] = "Pahoittelut %s, #%u on estetty: vain esihenkilö "
                             "voi lähettää sen.",
    [PF_T_NOT_YOURS] = "Pahoittelut %s, vain %s tai esihenkilö voi päättää "
                       "viestistä #%u.",
    [PF_T_ANONYMOUS] = "Pahoittelut %s, pokerface ei tiedä, kuka tämän "
                       "kirjoitti (huone ei näytä sille osoitteita), joten se "
                       "ei päätä mitään eikä sitä lähetetä. Kirjoita se "
                       "uudelleen, kun pokerface on huoneessa, ja pyydä "
                       "huoneen omistajaa tekemään huoneesta ei-anonyymi.",
    [PF_T_HOLD_TOO_LONG] = "#%u on liian pitkä chat-palvelimelle (%zu tavua), "
                           "joten sitä ei lähetetty; lyhennä se: %sedit %u "
                           "<teksti>.",
    [PF_T_SENT] = "#%u lähetetty asiakkaalle (%s päätti).",
    [PF_T_DROPPED] = "#%u hylätty, sitä ei lähetetty.",
    [PF_T_EDITED_SENT] = "#%u muokattu ja lähetetty asiakkaalle.",
    [PF_T_EXPIRED] = "#%u vanheni eikä sitä lähetetty. Tekstisi oli: %s",
    [PF_T_EXPIRED_LINE] = "#%u (%s) vanheni, ei lähetetty.",
    [PF_T_HELP] =
        "Komennot: %ssend N lähettää pidätetyn viestin, %sedit N "
        "teksti korvaa sen tekstin (ja tarkistaa uudelleen), %sdrop "
        "N hylkää, %sheld listaa pidätetyt, %swhy N kertoo syyn, %sweb "
        "lähettää linkin tarkistussivulle. Myös ✅/❌ ilmoitukseen "
        "käy.",
    [PF_T_HELD_PAGE] = "%zu pidätettyä, sivu %u/%zu",
    [PF_T_HELD_PAGE_NEXT] = "%zu pidätettyä, sivu %u/%zu: %sheld %u näyttää "
                            "seuraavat",
    [PF_T_NOT_FOR_YOU] = "pokerface välittää tämän keskustelun viestit; sen "
                         "komennot eivät ole sinua varten.",
    [PF_T_GIVE_NEW_TEXT] = "Anna uusi teksti: !edit N uusi teksti",
    [PF_T_OUTSIDER] =
        "Varoitus: %s (%s) on tässä huoneessa mutta ei tiimissä: hän on ollut "
        "asiakkaan huoneessa eikä ole tämän huoneen jäsen. Hän näkee kaiken, "
        "mitä täällä kirjoitetaan. Poistakaa hänet ja tehkää huoneesta vain "
        "jäsenille avoin.",
    [PF_T_DELETED_TOO] = "Poistit viestin, joka oli jo mennyt asiakkaalle: "
                         "pokerface poisti sen myös asiakkaan huoneesta "
                         "(sovellukset, jotka eivät tue poistoa, näyttävät "
                         "sen yhä).",
    [PF_T_TOO_BIG_TO_SHOW] = "viesti, jota ei voi näyttää: %zu tavua, liian "
                             "pitkä",
    [PF_T_POST_REFUSED] = "%s: vastaustasi ei voitu toimittaa asiakkaalle: "
                          "chat-palvelin hylkäsi sen (%s). Sitä ei lähetetty.",
    [PF_T_BUTTON_SEND] = "Lähetä sellaisenaan",
    [PF_T_BUTTON_EDIT] = "Muokkaa",
    [PF_T_BUTTON_DROP] = "Hylkää",
    [PF_T_FORM_TITLE] = "Muokkaa #%u",
    [PF_T_FORM_LABEL] = "Vastauksesi asiakkaalle",
    [PF_T_FORM_SUBMIT] = "Tarkista ja lähetä",
    [PF_T_FORM_CANCEL] = "Peru",
    [PF_T_FORM_STILL_HELD] = "#%u: muokattu teksti on yhä pidätetty. Syy: "
                             "%s. Muokkaa sitä uudelleen tai peru.",
    [PF_T_STALE_CHOICE] = "Tämä ilmoitus #%u:sta on vanhentunut: viestiä on "
                          "muokattu sen jälkeen. Käytä uusinta ilmoitusta.",
    [PF_T_FORM_TOO_LONG] = "Viesti on liian pitkä muokkauslomakkeelle; "
                           "käytä komentoa %sedit %u <uusi teksti>.",
    [PF_T_WEB_SENT] = "Lähetin sinulle yksityisviestinä kirjautumislinkin "
                      "tarkistussivulle.",
    [PF_T_WEB_LINK] = "Kirjautumislinkkisi tarkistussivulle (toimii kerran, "
                      "%d minuutin ajan): %s",
    [PF_T_WEB_OFF] = "Tarkistussivu ei ole käytössä (\"web\" "
                     "asetuksissa).",
    [PF_T_WEB_NO_DIRECT] = "En voi kirjoittaa sinulle yksityisesti täällä, "
                           "joten en lähetä kirjautumislinkkiä; kysy "
                           "esihenkilöltä.",
    [PF_T_WEB_LINE] = "%s (tarkistussivu): %s",
};
