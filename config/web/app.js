/*
 * app.js - pokerface's review page: the held queue (send as is, edit,
 * drop), the history of every hold with filters and a CSV export, and
 * statistics per day and per label with a chart.
 *
 * Plain JavaScript, no build step, no framework. It talks to the bot's
 * JSON API (/api/queue, /api/hold, /api/decide, /api/history,
 * /api/history.csv, /api/stats) and listens to /api/events (server-sent
 * events) to reload the queue when a hold is made or decided anywhere.
 *
 * Held text is hostile: every piece of it is put in the page with
 * createElement and textContent, never as markup, and the server's
 * Content-Security-Policy forbids inline scripts and styles (so no style
 * attributes either: classes from app.css, SVG presentation attributes).
 * Every change is a POST carrying the session's CSRF token in the
 * X-CSRF-Token header.
 */
(function () {
  "use strict";

  /* ---- the words, in English and Finnish ---- */

  var TEXTS = {
    en: {
      title: "pokerface review",
      tab_queue: "Queue",
      tab_history: "History",
      tab_stats: "Statistics",
      loading: "Loading…",
      signed_in_as: "Signed in as {name}",
      supervisor: "supervisor",
      sign_out: "Sign out",
      live: "Live",
      offline: "Reconnecting…",
      signin_title: "Sign in from the team chat",
      signin_text:
        "This page shows what pokerface held for review. There are no passwords: you sign in with a one-time link.",
      signin_step1: "Write {cmd} in the team chat.",
      signin_step2:
        "pokerface sends you a link privately. Open it within 10 minutes; it works once.",
      signin_step3:
        "On the bot's machine, the command {cmd} gives its owner a supervisor's link.",
      signed_out: "You are signed out.",
      queue_title: "Held replies",
      queue_intro:
        "Replies to customers that pokerface held. The author or a supervisor decides: send as is, edit, or drop.",
      queue_empty: "Nothing is waiting. Every reply checked so far went through or has been decided.",
      kind_hold: "Held",
      kind_block: "Blocked",
      kind_hold_help: "The author or a supervisor decides.",
      kind_block_help: "Only a supervisor can send a blocked reply as is.",
      by: "by {name}",
      in_route: "in {route}",
      held_ago: "held {ago} ago",
      expires_in: "expires in {left}",
      expiring: "expiring now",
      edits: "edited {n}×",
      words: "Flagged words",
      why: "Why",
      send: "Send as is",
      edit: "Edit",
      drop: "Drop",
      details: "Details",
      hide_details: "Hide details",
      details_title: "Every finding",
      details_gone: "This hold is no longer waiting.",
      edit_label: "The reply as it should go to the customer",
      edit_submit: "Check and send",
      cancel: "Cancel",
      edit_help: "The new text is checked again before it is sent, as with !edit in the chat.",
      may_not_decide: "Only the author or a supervisor can decide this one.",
      may_not_send: "Only a supervisor can send a blocked reply as is; you can edit or drop it.",
      confirm_drop: "Drop #{id}? It will not be sent to the customer.",
      done_sent: "#{id} was sent to the customer.",
      done_dropped: "#{id} was dropped; it was not sent.",
      done_held: "#{id} is still held",
      done_unchanged: "#{id}: nothing changed",
      gone: "#{id} was already decided elsewhere.",
      refused: "Refused",
      failed: "Something went wrong",
      network: "The bot could not be reached. Try again in a moment.",
      history_title: "History",
      history_intro: "Every hold and what became of it, newest first.",
      f_days: "Period",
      f_author: "Author",
      f_label: "Label",
      f_outcome: "Outcome",
      f_any: "any",
      f_apply: "Show",
      days_n: "last {n} days",
      day_1: "last 24 hours",
      csv: "Download CSV",
      n_items: "{n} holds",
      n_items_1: "1 hold",
      history_empty: "No holds match these filters.",
      c_when: "Held",
      c_hold: "#",
      c_author: "Author",
      c_labels: "Labels",
      c_text: "Text",
      c_outcome: "Outcome",
      c_decided: "Decided",
      o_sent: "sent as is",
      o_edited: "edited",
      o_dropped: "dropped",
      o_expired: "expired",
      o_open: "waiting",
      via_chat: "in the chat",
      via_terminal: "on the terminal",
      via_web: "on this page",
      via_timer: "by the timer",
      decisions: "Decisions",
      k_send: "send as is",
      k_edit: "edit",
      k_drop: "drop",
      k_expire: "expired",
      r_sent: "sent",
      r_held: "still held",
      r_dropped: "dropped",
      r_expired: "expired",
      stats_title: "Statistics",
      stats_intro:
        "How many replies were held, and what became of them. Sent as is means the hold was a false alarm.",
      s_held: "Held",
      s_sent: "Sent as is",
      s_sent_long: "Sent as is (false alarms)",
      s_edited: "Edited",
      s_dropped: "Dropped",
      s_expired: "Expired",
      s_open: "Still waiting",
      s_false_rate: "False alarms",
      per_day: "Per day",
      per_label: "Per label",
      c_day: "Day",
      c_label: "Label",
      chart_title: "Holds per day, by outcome",
      no_days: "No holds in this period.",
      days_left_out: "Days without holds are left out.",
      ago_s: "{n} s",
      ago_m: "{n} min",
      ago_h: "{h} h {m} min",
      ago_d: "{n} d"
    },
    fi: {
      title: "pokerface-tarkastus",
      tab_queue: "Jono",
      tab_history: "Historia",
      tab_stats: "Tilastot",
      loading: "Ladataan…",
      signed_in_as: "Kirjautunut: {name}",
      supervisor: "esihenkilö",
      sign_out: "Kirjaudu ulos",
      live: "Ajan tasalla",
      offline: "Yhdistetään uudelleen…",
      signin_title: "Kirjaudu tiimin chatista",
      signin_text:
        "Tällä sivulla näkyy, mitä pokerface pidätti tarkastettavaksi. Salasanoja ei ole: kirjaudut kertakäyttöisellä linkillä.",
      signin_step1: "Kirjoita {cmd} tiimin chattiin.",
      signin_step2:
        "pokerface lähettää sinulle linkin yksityisviestinä. Avaa se 10 minuutin kuluessa; se toimii kerran.",
      signin_step3:
        "Botin koneella komento {cmd} antaa sen omistajalle esihenkilön linkin.",
      signed_out: "Olet kirjautunut ulos.",
      queue_title: "Pidätetyt vastaukset",
      queue_intro:
        "Asiakkaille kirjoitetut vastaukset, jotka pokerface pidätti. Kirjoittaja tai esihenkilö päättää: lähetä sellaisenaan, muokkaa tai hylkää.",
      queue_empty: "Mikään ei odota. Kaikki tähän asti tarkastetut vastaukset on lähetetty tai niistä on päätetty.",
      kind_hold: "Pidätetty",
      kind_block: "Estetty",
      kind_hold_help: "Kirjoittaja tai esihenkilö päättää.",
      kind_block_help: "Vain esihenkilö voi lähettää estetyn vastauksen sellaisenaan.",
      by: "kirjoittaja {name}",
      in_route: "reitti {route}",
      held_ago: "pidätetty {ago} sitten",
      expires_in: "vanhenee {left} kuluttua",
      expiring: "vanhenee nyt",
      edits: "muokattu {n}×",
      words: "Merkityt sanat",
      why: "Miksi",
      send: "Lähetä sellaisenaan",
      edit: "Muokkaa",
      drop: "Hylkää",
      details: "Tiedot",
      hide_details: "Piilota tiedot",
      details_title: "Kaikki havainnot",
      details_gone: "Tämä pidätys ei enää odota.",
      edit_label: "Vastaus sellaisena kuin sen pitää mennä asiakkaalle",
      edit_submit: "Tarkasta ja lähetä",
      cancel: "Peru",
      edit_help: "Uusi teksti tarkastetaan uudelleen ennen lähettämistä, kuten chatin !edit-komennolla.",
      may_not_decide: "Vain kirjoittaja tai esihenkilö voi päättää tästä.",
      may_not_send: "Vain esihenkilö voi lähettää estetyn vastauksen sellaisenaan; voit muokata tai hylätä sen.",
      confirm_drop: "Hylätäänkö #{id}? Sitä ei lähetetä asiakkaalle.",
      done_sent: "#{id} lähetettiin asiakkaalle.",
      done_dropped: "#{id} hylättiin; sitä ei lähetetty.",
      done_held: "#{id} on yhä pidätetty",
      done_unchanged: "#{id}: mikään ei muuttunut",
      gone: "Pidätyksestä #{id} on jo päätetty muualla.",
      refused: "Ei sallittu",
      failed: "Jokin meni vikaan",
      network: "Bottiin ei saatu yhteyttä. Yritä hetken päästä uudelleen.",
      history_title: "Historia",
      history_intro: "Jokainen pidätys ja mitä sille tapahtui, uusin ensin.",
      f_days: "Aikaväli",
      f_author: "Kirjoittaja",
      f_label: "Tunniste",
      f_outcome: "Lopputulos",
      f_any: "mikä tahansa",
      f_apply: "Näytä",
      days_n: "viimeiset {n} päivää",
      day_1: "viimeiset 24 tuntia",
      csv: "Lataa CSV",
      n_items: "{n} pidätystä",
      n_items_1: "1 pidätys",
      history_empty: "Näillä ehdoilla ei löydy pidätyksiä.",
      c_when: "Pidätetty",
      c_hold: "#",
      c_author: "Kirjoittaja",
      c_labels: "Tunnisteet",
      c_text: "Teksti",
      c_outcome: "Lopputulos",
      c_decided: "Päätetty",
      o_sent: "lähetetty sellaisenaan",
      o_edited: "muokattu",
      o_dropped: "hylätty",
      o_expired: "vanhentunut",
      o_open: "odottaa",
      via_chat: "chatissa",
      via_terminal: "päätteellä",
      via_web: "tällä sivulla",
      via_timer: "ajastimella",
      decisions: "Päätökset",
      k_send: "lähetä sellaisenaan",
      k_edit: "muokkaa",
      k_drop: "hylkää",
      k_expire: "vanheni",
      r_sent: "lähetetty",
      r_held: "yhä pidätetty",
      r_dropped: "hylätty",
      r_expired: "vanhentunut",
      stats_title: "Tilastot",
      stats_intro:
        "Kuinka monta vastausta pidätettiin ja mitä niille tapahtui. Sellaisenaan lähetetty tarkoittaa, että pidätys oli turha hälytys.",
      s_held: "Pidätetty",
      s_sent: "Sellaisenaan",
      s_sent_long: "Lähetetty sellaisenaan (turhat hälytykset)",
      s_edited: "Muokattu",
      s_dropped: "Hylätty",
      s_expired: "Vanhentunut",
      s_open: "Odottaa yhä",
      s_false_rate: "Turhat hälytykset",
      per_day: "Päivittäin",
      per_label: "Tunnisteittain",
      c_day: "Päivä",
      c_label: "Tunniste",
      chart_title: "Pidätykset päivittäin lopputuloksen mukaan",
      no_days: "Tällä aikavälillä ei ole pidätyksiä.",
      days_left_out: "Päivät ilman pidätyksiä jätetään pois.",
      ago_s: "{n} s",
      ago_m: "{n} min",
      ago_h: "{h} h {m} min",
      ago_d: "{n} vrk"
    }
  };

  function pickLang() {
    var langs = navigator.languages && navigator.languages.length
      ? navigator.languages : [navigator.language || "en"];
    for (var i = 0; i < langs.length; i++) {
      var l = String(langs[i]).toLowerCase();
      if (l.indexOf("fi") === 0) return "fi";
      if (l.indexOf("en") === 0) return "en";
    }
    return "en";
  }

  var LANG = pickLang();
  var LOCALE = LANG === "fi" ? "fi-FI" : "en-GB";

  function t(key, vars) {
    var s = TEXTS[LANG][key];
    if (s === undefined) s = TEXTS.en[key];
    if (s === undefined) s = key;
    if (vars) {
      s = s.replace(/\{(\w+)\}/g, function (m, k) {
        return vars[k] === undefined ? m : String(vars[k]);
      });
    }
    return s;
  }

  /* ---- DOM helpers: elements and text only, never markup ---- */

  function el(tag, attrs, kids) {
    var e = document.createElement(tag);
    if (attrs) {
      for (var k in attrs) {
        if (!Object.prototype.hasOwnProperty.call(attrs, k)) continue;
        var v = attrs[k];
        if (v === null || v === undefined || v === false) continue;
        if (k === "class") e.className = v;
        else if (k === "text") e.textContent = v;
        else if (k.indexOf("on") === 0) e.addEventListener(k.slice(2), v);
        else e.setAttribute(k, v === true ? "" : String(v));
      }
    }
    append(e, kids);
    return e;
  }

  function append(e, kids) {
    if (kids === null || kids === undefined) return e;
    if (!Array.isArray(kids)) kids = [kids];
    for (var i = 0; i < kids.length; i++) {
      var c = kids[i];
      if (c === null || c === undefined || c === false) continue;
      e.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    }
    return e;
  }

  var SVG = "http://www.w3.org/2000/svg";
  function svg(tag, attrs, kids) {
    var e = document.createElementNS(SVG, tag);
    for (var k in attrs || {}) {
      if (k === "class") e.setAttribute("class", attrs[k]);
      else if (k === "text") e.textContent = attrs[k];
      else e.setAttribute(k, String(attrs[k]));
    }
    append(e, kids);
    return e;
  }

  function clear(e) {
    while (e.firstChild) e.removeChild(e.firstChild);
    return e;
  }

  /* "Write {cmd} in the chat" with {cmd} as a <code> element */
  function withCode(key, code) {
    var parts = t(key).split("{cmd}");
    var out = [parts[0]];
    for (var i = 1; i < parts.length; i++) {
      out.push(el("code", { text: code }), parts[i]);
    }
    return out;
  }

  /*
   * text with every occurrence of each word (case-insensitive) in a <mark>:
   * the ranges are found in the original text (a case-insensitive regular
   * expression keeps its offsets), overlapping ones merged, and the text
   * split into text nodes and marks.
   */
  function highlighted(text, words) {
    var ranges = [];
    (words || []).forEach(function (w) {
      w = String(w || "").trim();
      if (!w) return;
      var re;
      try {
        re = new RegExp(w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "giu");
      } catch (e) {
        return;
      }
      var m;
      while ((m = re.exec(text)) !== null) {
        if (m[0].length === 0) { re.lastIndex++; continue; }
        ranges.push([m.index, m.index + m[0].length]);
      }
    });
    ranges.sort(function (a, b) { return a[0] - b[0] || b[1] - a[1]; });
    var merged = [];
    ranges.forEach(function (r) {
      var last = merged[merged.length - 1];
      if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
      else merged.push([r[0], r[1]]);
    });
    var frag = document.createDocumentFragment();
    var at = 0;
    merged.forEach(function (r) {
      if (r[0] > at) frag.appendChild(document.createTextNode(text.slice(at, r[0])));
      frag.appendChild(el("mark", { text: text.slice(r[0], r[1]) }));
      at = r[1];
    });
    if (at < text.length) frag.appendChild(document.createTextNode(text.slice(at)));
    return frag;
  }

  /* ---- time ---- */

  var clockSkew = 0; /* the server's clock minus ours, ms */
  function now() { return Date.now() + clockSkew; }

  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    if (s < 60) return t("ago_s", { n: s });
    var m = Math.floor(s / 60);
    if (m < 60) return t("ago_m", { n: m });
    var h = Math.floor(m / 60);
    if (h < 48) return t("ago_h", { h: h, m: m % 60 });
    return t("ago_d", { n: Math.floor(h / 24) });
  }

  function countdown(ms) {
    var s = Math.max(0, Math.ceil(ms / 1000));
    var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
    var two = function (n) { return (n < 10 ? "0" : "") + n; };
    return (h ? h + ":" + two(m) : String(m)) + ":" + two(r);
  }

  var dateFmt = new Intl.DateTimeFormat(LOCALE, {
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit"
  });
  function when(ms) { return ms ? dateFmt.format(new Date(ms)) : ""; }

  function shortDay(day) { /* "2026-12-06" -> "6.12." or "6 Dec" */
    var p = String(day).split("-");
    if (p.length !== 3) return day;
    var d = new Date(Date.UTC(+p[0], +p[1] - 1, +p[2]));
    if (LANG === "fi") return +p[2] + "." + +p[1] + ".";
    return new Intl.DateTimeFormat("en-GB", { day: "numeric", month: "short", timeZone: "UTC" }).format(d);
  }

  var dayFmt = new Intl.DateTimeFormat(LOCALE, {
    weekday: "short", year: "numeric", month: "2-digit", day: "2-digit", timeZone: "UTC"
  });
  function longDay(day) {
    var ms = Date.parse(String(day) + "T12:00:00Z");
    return isNaN(ms) ? String(day) : dayFmt.format(new Date(ms));
  }

  /* ---- talking to the bot ---- */

  var state = {
    me: null,
    csrf: "",
    holds: [],
    view: "queue",
    cards: {},      /* hold id -> {el, sig} of the cards shown */
    editing: {},    /* hold id -> the text being edited */
    notes: {},      /* hold id -> {kind, text}: the answer to a decision */
    details: {},    /* hold id -> details lines shown, or true while loading */
    busy: {},       /* hold id -> a decision is on its way */
    history: { days: "30", author: "", label: "", outcome: "" },
    statsDays: "30",
    events: null,
    signedOut: false
  };

  function SignedOut() {}

  function api(method, path, body) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (method !== "GET") {
      opts.headers["X-CSRF-Token"] = state.csrf;
      if (body !== undefined) {
        opts.headers["Content-Type"] = "application/json";
        opts.body = JSON.stringify(body);
      }
    }
    return fetch(path, opts).then(function (res) {
      if (res.status === 401) throw new SignedOut();
      var type = res.headers.get("Content-Type") || "";
      var parsed = type.indexOf("json") >= 0
        ? res.json().catch(function () { return {}; })
        : res.text().then(function (s) { return { ok: false, error: s }; });
      return parsed.then(function (data) {
        return { status: res.status, ok: res.ok, data: data || {} };
      });
    });
  }

  var toastTimer = null;
  function toast(text, kind) {
    var box = document.getElementById("toast");
    clear(box);
    box.className = "toast show " + (kind || "info");
    box.appendChild(el("span", { text: text }));
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { box.className = "toast"; }, 6000);
  }

  function failed(err) {
    if (err instanceof SignedOut) { showSignIn(); return; }
    toast(t("network"), "error");
  }

  /* ---- the frame: tabs, who is signed in, live status ---- */

  var VIEWS = ["queue", "history", "stats"];

  function renderTabs() {
    var nav = document.getElementById("tabs");
    clear(nav);
    nav.hidden = false;
    VIEWS.forEach(function (v) {
      var a = el("a", {
        href: "#" + v, id: "tab-" + v,
        class: "tab" + (state.view === v ? " active" : ""),
        "aria-current": state.view === v ? "page" : null
      }, [t("tab_" + v)]);
      if (v === "queue" && state.holds.length) {
        a.appendChild(el("span", { class: "count", id: "queue-count", text: String(state.holds.length) }));
      }
      nav.appendChild(a);
    });
  }

  function renderWho() {
    var box = clear(document.getElementById("who"));
    if (!state.me) return;
    var live = el("span", { id: "live", class: "live" + (state.live ? " on" : "") },
      [state.live ? t("live") : t("offline")]);
    var name = el("span", { class: "me" }, [state.me.name || state.me.id]);
    if (state.me.supervisor) name.appendChild(el("span", { class: "role", text: t("supervisor") }));
    name.title = state.me.id || "";
    box.appendChild(live);
    box.appendChild(name);
    box.appendChild(el("button", { type: "button", class: "btn link", id: "signout", onclick: signOut }, [t("sign_out")]));
  }

  function setLive(on) {
    state.live = on;
    var e = document.getElementById("live");
    if (!e) return;
    e.className = "live" + (on ? " on" : "");
    e.textContent = on ? t("live") : t("offline");
  }

  function showSignIn(message) {
    state.signedOut = true;
    state.me = null;
    if (state.events) { state.events.close(); state.events = null; }
    document.getElementById("tabs").hidden = true;
    clear(document.getElementById("who"));
    var view = clear(document.getElementById("view"));
    view.appendChild(el("section", { class: "signin", id: "signin-help" }, [
      message ? el("p", { class: "notice", text: message }) : null,
      el("h1", { text: t("signin_title") }),
      el("p", { text: t("signin_text") }),
      el("ol", { class: "steps" }, [
        el("li", null, withCode("signin_step1", "!web")),
        el("li", { text: t("signin_step2") }),
        el("li", { class: "muted" }, withCode("signin_step3", "pokerface web-login"))
      ])
    ]));
  }

  function signOut() {
    api("POST", "/logout").then(function () {
      showSignIn(t("signed_out"));
    }, failed);
  }

  /* ---- live updates ---- */

  var reloadTimer = null;
  function scheduleReload() {
    clearTimeout(reloadTimer);
    reloadTimer = setTimeout(function () {
      loadQueue();
      if (state.view === "history") loadHistory();
      else if (state.view === "stats") loadStats();
    }, 150);
  }

  function listen() {
    if (state.events || typeof EventSource === "undefined") return;
    var es = new EventSource("/api/events");
    state.events = es;
    es.addEventListener("open", function () {
      var was = state.live;
      setLive(true);
      if (was === false) scheduleReload(); /* what we missed while away */
    });
    es.addEventListener("queue", scheduleReload);
    es.addEventListener("error", function () { setLive(false); });
  }

  /* ---- the queue ---- */

  function loadQueue() {
    return api("GET", "/api/queue").then(function (r) {
      if (!r.ok) { toast(t("failed") + ": " + (r.data.error || r.status), "error"); return; }
      var d = r.data;
      state.signedOut = false;
      state.me = d.me || null;
      state.csrf = d.csrf || "";
      if (typeof d.now === "number") clockSkew = d.now - Date.now();
      state.holds = Array.isArray(d.holds) ? d.holds : [];
      renderTabs();
      renderWho();
      listen();
      if (state.view === "queue") renderQueue();
    }, failed);
  }

  function queueShell() {
    var view = document.getElementById("view");
    var shell = document.getElementById("queue-view");
    if (shell) return shell;
    clear(view);
    state.cards = {};
    shell = el("section", { id: "queue-view" }, [
      el("div", { class: "head" }, [
        el("h1", { text: t("queue_title") }),
        el("p", { class: "intro", text: t("queue_intro") })
      ]),
      el("p", { id: "queue-empty", class: "empty", hidden: true, text: t("queue_empty") }),
      el("div", { id: "holds", class: "holds" })
    ]);
    view.appendChild(shell);
    return shell;
  }

  /* cards are kept when their hold did not change, so that a reload
     (an event from elsewhere) does not take away a textarea being typed in */
  function renderQueue() {
    queueShell();
    var list = document.getElementById("holds");
    document.getElementById("queue-empty").hidden = state.holds.length > 0;
    var seen = {};
    var prev = null;
    state.holds.forEach(function (h) {
      var id = String(h.hold);
      seen[id] = true;
      var sig = JSON.stringify([h, state.notes[id] || null, !!state.details[id],
        Array.isArray(state.details[id]) ? state.details[id].length : 0, state.busy[id] || false]);
      var card = state.cards[id];
      if (!card || (card.sig !== sig && state.editing[id] === undefined) ||
          (state.editing[id] !== undefined && !card.el.querySelector("textarea"))) {
        var fresh = holdCard(h);
        if (card) list.replaceChild(fresh, card.el);
        card = state.cards[id] = { el: fresh, sig: sig };
      }
      card.sig = sig;
      var want = prev ? prev.nextSibling : list.firstChild;
      if (want !== card.el) list.insertBefore(card.el, want);
      prev = card.el;
    });
    Object.keys(state.cards).forEach(function (id) {
      if (!seen[id]) {
        var c = state.cards[id];
        if (c.el.parentNode) c.el.parentNode.removeChild(c.el);
        delete state.cards[id];
        delete state.editing[id];
        delete state.details[id];
        delete state.busy[id];
      }
    });
    tick();
  }

  function chips(labels, cls) {
    return (labels || []).map(function (l) {
      return el("span", { class: cls || "chip", text: String(l) });
    });
  }

  function holdCard(h) {
    var id = String(h.hold);
    var block = h.action === "block";
    var card = el("article", {
      class: "hold " + (block ? "is-block" : "is-hold"),
      id: "hold-" + id, "data-hold": id, "data-kind": block ? "block" : "hold"
    });

    card.appendChild(el("header", { class: "hold-head" }, [
      el("span", { class: "hold-id", text: "#" + id }),
      el("span", { class: "kind " + (block ? "kind-block" : "kind-hold"),
        title: t(block ? "kind_block_help" : "kind_hold_help"),
        text: t(block ? "kind_block" : "kind_hold") }),
      el("span", { class: "author", "data-field": "author", text: h.name || h.author || "" }),
      h.route ? el("span", { class: "route", text: t("in_route", { route: h.route }) }) : null,
      el("span", { class: "labels" }, chips(h.labels))
    ]));

    var meta = el("p", { class: "meta" }, [
      el("span", { class: "age", "data-since": h.created || 0 }),
      el("span", { class: "sep", "aria-hidden": "true", text: "·" }),
      el("span", { class: "expiry", "data-until": h.expires || 0 }),
      h.edits ? el("span", { class: "sep", "aria-hidden": "true", text: "·" }) : null,
      h.edits ? el("span", { class: "edits", text: t("edits", { n: h.edits }) }) : null
    ]);
    card.appendChild(meta);

    var body = el("div", { class: "held-text", "data-field": "text", lang: "" });
    body.appendChild(highlighted(String(h.text || ""), h.words));
    card.appendChild(body);

    var facts = el("dl", { class: "facts" });
    if (h.words && h.words.length) {
      append(facts, [el("dt", { text: t("words") }), el("dd", null, chips(h.words, "chip word"))]);
    }
    if (h.why) append(facts, [el("dt", { text: t("why") }), el("dd", { text: String(h.why) })]);
    card.appendChild(facts);

    var note = state.notes[id];
    if (note) {
      card.appendChild(el("p", { class: "answer " + note.kind, "data-field": "answer", role: "status", text: note.text }));
    }

    if (state.editing[id] !== undefined) {
      card.appendChild(editForm(h));
    } else {
      card.appendChild(actions(h));
    }

    if (state.details[id]) card.appendChild(detailsBox(h));
    return card;
  }

  function button(label, action, h, cls, extra) {
    var attrs = {
      type: "button", class: "btn " + cls,
      "data-action": action, "data-hold": String(h.hold),
      disabled: state.busy[String(h.hold)] ? true : null,
      onclick: function () { onAction(action, h, this); }
    };
    for (var k in extra || {}) attrs[k] = extra[k];
    return el("button", attrs, [label]);
  }

  function actions(h) {
    var id = String(h.hold);
    var bar = el("div", { class: "actions" });
    if (h.may_send) bar.appendChild(button(t("send"), "send", h, "primary"));
    if (h.may_decide) {
      bar.appendChild(button(t("edit"), "edit", h, "secondary"));
      bar.appendChild(button(t("drop"), "drop", h, "danger"));
    }
    bar.appendChild(button(state.details[id] ? t("hide_details") : t("details"), "details", h, "quiet",
      { "aria-expanded": state.details[id] ? "true" : "false" }));
    if (!h.may_decide) {
      bar.appendChild(el("span", { class: "why-not", text: t("may_not_decide") }));
    } else if (!h.may_send) {
      bar.appendChild(el("span", { class: "why-not", text: t("may_not_send") }));
    }
    return bar;
  }

  function editForm(h) {
    var id = String(h.hold);
    var area = el("textarea", {
      id: "edit-" + id, class: "edit-text", rows: 5, "data-hold": id,
      "aria-describedby": "edit-help-" + id
    });
    area.value = state.editing[id];
    area.addEventListener("input", function () { state.editing[id] = area.value; });
    var form = el("form", { class: "edit", "data-hold": id }, [
      el("label", { for: "edit-" + id, text: t("edit_label") }),
      area,
      el("p", { class: "help", id: "edit-help-" + id, text: t("edit_help") }),
      el("div", { class: "actions" }, [
        el("button", { type: "submit", class: "btn primary", "data-action": "edit-submit", "data-hold": id,
          disabled: state.busy[id] ? true : null }, [t("edit_submit")]),
        button(t("cancel"), "edit-cancel", h, "quiet")
      ])
    ]);
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      decide(h, "edit", area.value);
    });
    setTimeout(function () { if (document.activeElement === document.body) area.focus(); }, 0);
    return form;
  }

  function detailsBox(h) {
    var id = String(h.hold);
    var d = state.details[id];
    var box = el("div", { class: "details", "data-field": "details" }, [el("h3", { text: t("details_title") })]);
    if (d === true) box.appendChild(el("p", { class: "muted", text: t("loading") }));
    else if (d === "gone") box.appendChild(el("p", { class: "muted", text: t("details_gone") }));
    else {
      box.appendChild(el("ul", null, d.map(function (line) {
        return el("li", { text: String(line) });
      })));
    }
    return box;
  }

  function onAction(action, h, btn) {
    var id = String(h.hold);
    if (action === "send") decide(h, "send");
    else if (action === "drop") {
      if (window.confirm(t("confirm_drop", { id: id }))) decide(h, "drop");
    } else if (action === "edit") {
      state.editing[id] = String(h.text || "");
      delete state.notes[id];
      rerender(h);
    } else if (action === "edit-cancel") {
      delete state.editing[id];
      rerender(h);
    } else if (action === "details") {
      if (state.details[id]) { delete state.details[id]; rerender(h); return; }
      state.details[id] = true;
      rerender(h);
      api("GET", "/api/hold?id=" + encodeURIComponent(id)).then(function (r) {
        if (!state.details[id]) return;
        if (r.status === 404) state.details[id] = "gone";
        else if (!r.ok) { delete state.details[id]; toast(t("failed") + ": " + (r.data.error || r.status), "error"); }
        else state.details[id] = Array.isArray(r.data.details) ? r.data.details : [];
        rerender(h);
      }, function (e) { delete state.details[id]; rerender(h); failed(e); });
    }
    void btn;
  }

  function rerender(h) {
    var id = String(h.hold);
    var card = state.cards[id];
    if (!card) return;
    var current = state.holds.filter(function (x) { return String(x.hold) === id; })[0] || h;
    var fresh = holdCard(current);
    card.el.parentNode.replaceChild(fresh, card.el);
    card.el = fresh;
    card.sig = null;
    tick();
  }

  function decide(h, action, text) {
    var id = String(h.hold);
    var body = { id: Number(h.hold), action: action };
    if (action === "edit") body.text = text;
    state.busy[id] = true;
    rerender(h);
    api("POST", "/api/decide", body).then(function (r) {
      delete state.busy[id];
      var d = r.data || {};
      if (r.ok && d.ok !== false) {
        if (d.state === "sent" || d.state === "dropped") {
          delete state.editing[id];
          delete state.notes[id];
          toast(t(d.state === "sent" ? "done_sent" : "done_dropped", { id: id }), "ok");
        } else {
          if (d.state === "held") delete state.editing[id];
          state.notes[id] = {
            kind: "warn",
            text: t(d.state === "held" ? "done_held" : "done_unchanged", { id: id }) +
              (d.message ? ": " + d.message : "")
          };
        }
      } else if (r.status === 404) {
        delete state.editing[id];
        toast(t("gone", { id: id }), "info");
      } else {
        state.notes[id] = { kind: "error", text: (r.status === 403 ? t("refused") : t("failed")) + ": " + (d.error || r.status) };
      }
      rerender(h);
      loadQueue();
    }, function (e) {
      delete state.busy[id];
      rerender(h);
      failed(e);
    });
  }

  /* ages and countdowns, every second */
  function tick() {
    var n = now();
    var i, e, nodes = document.querySelectorAll("[data-since]");
    for (i = 0; i < nodes.length; i++) {
      e = nodes[i];
      e.textContent = t("held_ago", { ago: duration(n - Number(e.getAttribute("data-since"))) });
    }
    nodes = document.querySelectorAll("[data-until]");
    for (i = 0; i < nodes.length; i++) {
      e = nodes[i];
      var left = Number(e.getAttribute("data-until")) - n;
      e.textContent = left > 0 ? t("expires_in", { left: countdown(left) }) : t("expiring");
      e.classList.toggle("soon", left < 5 * 60 * 1000);
    }
  }

  /* ---- history ---- */

  var OUTCOMES = ["sent", "edited", "dropped", "expired", "open"];
  var PERIODS = ["1", "7", "30", "90", "365"];

  function periodSelect(id, value) {
    return el("select", { id: id, name: "days" }, PERIODS.map(function (d) {
      return el("option", { value: d, selected: d === value ? true : null,
        text: d === "1" ? t("day_1") : t("days_n", { n: d }) });
    }));
  }

  function historyQuery() {
    var f = state.history, p = [];
    p.push("days=" + encodeURIComponent(f.days));
    if (f.author) p.push("author=" + encodeURIComponent(f.author));
    if (f.label) p.push("label=" + encodeURIComponent(f.label));
    if (f.outcome) p.push("outcome=" + encodeURIComponent(f.outcome));
    return p.join("&");
  }

  function renderHistoryShell() {
    var view = clear(document.getElementById("view"));
    var f = state.history;
    var author = el("input", { id: "f-author", name: "author", type: "search", value: f.author, autocomplete: "off" });
    var label = el("input", { id: "f-label", name: "label", type: "search", value: f.label, autocomplete: "off", list: "label-list" });
    var outcome = el("select", { id: "f-outcome", name: "outcome" },
      [el("option", { value: "", text: t("f_any") })].concat(OUTCOMES.map(function (o) {
        return el("option", { value: o, selected: f.outcome === o ? true : null, text: t("o_" + o) });
      })));
    var days = periodSelect("f-days", f.days);
    var csv = el("a", { id: "csv", class: "btn secondary", download: "pokerface-history.csv", href: "/api/history.csv?" + historyQuery() }, [t("csv")]);
    var form = el("form", { class: "filters", id: "history-filters" }, [
      field(t("f_days"), days),
      field(t("f_author"), author),
      field(t("f_label"), label),
      field(t("f_outcome"), outcome),
      el("div", { class: "filter-actions" }, [
        el("button", { type: "submit", class: "btn primary", id: "f-apply" }, [t("f_apply")]),
        csv
      ]),
      el("datalist", { id: "label-list" })
    ]);
    function apply() {
      f.days = days.value; f.author = author.value.trim();
      f.label = label.value.trim(); f.outcome = outcome.value;
      csv.setAttribute("href", "/api/history.csv?" + historyQuery());
      loadHistory();
    }
    form.addEventListener("submit", function (ev) { ev.preventDefault(); apply(); });
    days.addEventListener("change", apply);
    outcome.addEventListener("change", apply);
    view.appendChild(el("section", { id: "history-view" }, [
      el("div", { class: "head" }, [
        el("h1", { text: t("history_title") }),
        el("p", { class: "intro", text: t("history_intro") })
      ]),
      form,
      el("p", { id: "history-count", class: "count-line" }),
      el("div", { id: "history-table", class: "table-wrap" }, [el("p", { class: "muted", text: t("loading") })])
    ]));
  }

  /* the labels seen so far, offered in the label filter */
  var seenLabels = {};
  function suggestLabels(items) {
    items.forEach(function (it) {
      (it.labels || []).forEach(function (l) {
        seenLabels[l] = true;
      });
    });
    var list = document.getElementById("label-list");
    if (!list) return;
    clear(list);
    Object.keys(seenLabels).sort().forEach(function (l) {
      list.appendChild(el("option", { value: l }));
    });
  }

  function field(label, input) {
    return el("label", { class: "field" }, [el("span", { text: label }), input]);
  }

  function outcomeBadge(o) {
    return el("span", { class: "badge o-" + (OUTCOMES.indexOf(o) >= 0 ? o : "open"), text: t("o_" + (OUTCOMES.indexOf(o) >= 0 ? o : "open")) });
  }

  /* a word the page knows in both languages, else as the bot said it */
  function known(prefix, v) {
    return v && TEXTS.en[prefix + v] ? t(prefix + v) : String(v || "");
  }

  function viaText(v) {
    return v && TEXTS.en["via_" + v] ? t("via_" + v) : (v || "");
  }

  function loadHistory() {
    return api("GET", "/api/history?" + historyQuery()).then(function (r) {
      if (state.view !== "history") return;
      var box = document.getElementById("history-table");
      if (!box) return;
      clear(box);
      if (!r.ok) { box.appendChild(el("p", { class: "error", text: t("failed") + ": " + (r.data.error || r.status) })); return; }
      var items = Array.isArray(r.data.items) ? r.data.items : [];
      suggestLabels(items);
      document.getElementById("history-count").textContent =
        items.length === 1 ? t("n_items_1") : t("n_items", { n: items.length });
      if (!items.length) { box.appendChild(el("p", { class: "empty", text: t("history_empty") })); return; }
      var head = el("tr", null, ["c_when", "c_hold", "c_author", "c_labels", "c_text", "c_outcome", "c_decided"].map(function (k) {
        return el("th", { scope: "col", text: t(k) });
      }));
      var rows = items.map(function (it) {
        var decided = it.decided_at
          ? [el("span", { text: it.decided_by || "" }), el("span", { class: "sub", text: viaText(it.via) }),
            el("span", { class: "sub nowrap", text: when(it.decided_at) })]
          : [];
        var text = el("td", { class: "text-cell" }, [el("div", { class: "clip", text: String(it.text || "") })]);
        /* the decisions, when there was more than one or an edit's text */
        if (Array.isArray(it.decisions) && (it.decisions.length > 1 ||
            it.decisions.some(function (d) { return d.text; }))) {
          text.appendChild(el("details", { class: "decisions" }, [
            el("summary", { text: t("decisions") + " (" + it.decisions.length + ")" }),
            el("ol", null, it.decisions.map(function (d) {
              return el("li", null, [
                el("span", { text: [known("k_", d.kind) + (d.outcome ? " → " + known("r_", d.outcome) : ""),
                  d.name || d.by, viaText(d.via), when(d.at)].filter(Boolean).join(" · ") }),
                d.text ? el("div", { class: "clip", text: String(d.text) }) : null
              ]);
            }))
          ]));
        }
        return el("tr", { "data-hold": String(it.hold), class: "row-" + (it.action === "block" ? "block" : "hold") }, [
          el("td", { class: "nowrap", text: when(it.held_at) }),
          el("td", { class: "hold-no", text: "#" + it.hold }),
          el("td", null, [el("span", { text: it.name || it.author || "" }), it.route ? el("span", { class: "sub", text: it.route }) : null]),
          el("td", null, chips(it.labels)),
          text,
          el("td", null, [outcomeBadge(it.outcome)]),
          el("td", null, decided)
        ]);
      });
      box.appendChild(el("table", { class: "grid", id: "history" }, [el("thead", null, head), el("tbody", null, rows)]));
    }, failed);
  }

  /* ---- statistics ---- */

  var PARTS = ["sent", "edited", "dropped", "expired", "open"];

  function withOpen(r) {
    var o = {};
    ["held", "sent", "edited", "dropped", "expired"].forEach(function (k) { o[k] = Number(r[k]) || 0; });
    o.open = Math.max(0, o.held - o.sent - o.edited - o.dropped - o.expired);
    return o;
  }

  function renderStatsShell() {
    var view = clear(document.getElementById("view"));
    var days = periodSelect("s-days", state.statsDays);
    days.addEventListener("change", function () { state.statsDays = days.value; loadStats(); });
    view.appendChild(el("section", { id: "stats-view" }, [
      el("div", { class: "head" }, [
        el("h1", { text: t("stats_title") }),
        el("p", { class: "intro", text: t("stats_intro") })
      ]),
      el("form", { class: "filters" }, [field(t("f_days"), days)]),
      el("div", { id: "stats-body" }, [el("p", { class: "muted", text: t("loading") })])
    ]));
  }

  function loadStats() {
    return api("GET", "/api/stats?days=" + encodeURIComponent(state.statsDays)).then(function (r) {
      if (state.view !== "stats") return;
      var box = document.getElementById("stats-body");
      if (!box) return;
      clear(box);
      if (!r.ok) { box.appendChild(el("p", { class: "error", text: t("failed") + ": " + (r.data.error || r.status) })); return; }
      var days = (Array.isArray(r.data.days) ? r.data.days : []).map(function (d) {
        var o = withOpen(d); o.day = String(d.day); return o;
      });
      var labels = (Array.isArray(r.data.labels) ? r.data.labels : []).map(function (d) {
        var o = withOpen(d); o.label = String(d.label); return o;
      });
      var total = withOpen({});
      days.forEach(function (d) { PARTS.concat(["held"]).forEach(function (k) { total[k] += d[k]; }); });

      box.appendChild(summary(total));
      box.appendChild(el("h2", { text: t("per_day") }));
      if (!total.held) box.appendChild(el("p", { class: "empty", text: t("no_days") }));
      else {
        box.appendChild(chart(days));
        box.appendChild(legend());
      }
      var withHolds = days.filter(function (d) { return d.held > 0; }).reverse();
      if (withHolds.length) {
        box.appendChild(statsTable("c_day", withHolds.map(function (d) { return [d.day, d]; }), "stats-days"));
        box.appendChild(el("p", { class: "muted small", text: t("days_left_out") }));
      }
      box.appendChild(el("h2", { text: t("per_label") }));
      if (labels.length) {
        labels.sort(function (a, b) { return b.held - a.held || (a.label < b.label ? -1 : 1); });
        box.appendChild(statsTable("c_label", labels.map(function (d) { return [d.label, d]; }), "stats-labels"));
      } else {
        box.appendChild(el("p", { class: "empty", text: t("no_days") }));
      }
    }, failed);
  }

  function pct(part, whole) {
    return whole ? Math.round((100 * part) / whole) + " %" : "–";
  }

  function summary(total) {
    var tile = function (key, value, cls, sub) {
      return el("div", { class: "tile " + cls }, [
        el("span", { class: "tile-label", text: t(key) }),
        el("span", { class: "tile-value", text: String(value) }),
        sub ? el("span", { class: "tile-sub", text: sub }) : null
      ]);
    };
    return el("div", { class: "tiles", id: "stats-summary" }, [
      tile("s_held", total.held, "t-held"),
      tile("s_sent", total.sent, "t-sent", t("s_false_rate") + " " + pct(total.sent, total.held)),
      tile("s_edited", total.edited, "t-edited", pct(total.edited, total.held)),
      tile("s_dropped", total.dropped, "t-dropped", pct(total.dropped, total.held)),
      tile("s_expired", total.expired, "t-expired", pct(total.expired, total.held))
    ]);
  }

  function legend() {
    return el("ul", { class: "legend" }, PARTS.map(function (p) {
      return el("li", null, [el("span", { class: "swatch sw-" + p, "aria-hidden": "true" }),
        el("span", { text: p === "sent" ? t("s_sent_long") : t("s_" + p) })]);
    }));
  }

  /* a bar per day, stacked by outcome; drawn to its viewBox and scaled by CSS */
  function chart(days) {
    var W = 720, H = 240, L = 34, R = 8, T = 10, B = 28;
    var max = 0;
    days.forEach(function (d) { max = Math.max(max, d.held); });
    var step = max <= 5 ? 1 : max <= 10 ? 2 : max <= 25 ? 5 : max <= 50 ? 10 : Math.ceil(max / 5 / 10) * 10;
    var top = Math.max(step, Math.ceil(max / step) * step);
    var plotW = W - L - R, plotH = H - T - B;
    var y = function (v) { return T + plotH - (v / top) * plotH; };
    var g = svg("svg", { viewBox: "0 0 " + W + " " + H, class: "chart", id: "stats-chart", role: "img", "aria-label": t("chart_title") },
      [svg("title", { text: t("chart_title") })]);
    for (var v = 0; v <= top; v += step) {
      g.appendChild(svg("line", { class: "grid-line", x1: L, x2: W - R, y1: y(v), y2: y(v) }));
      g.appendChild(svg("text", { class: "axis", x: L - 6, y: y(v) + 4, "text-anchor": "end", text: String(v) }));
    }
    var n = Math.max(1, days.length);
    var slot = plotW / n, bw = Math.max(2, Math.min(28, slot * 0.7));
    var every = Math.max(1, Math.ceil(n / 10));
    days.forEach(function (d, i) {
      var x = L + i * slot + (slot - bw) / 2, base = 0;
      PARTS.forEach(function (p) {
        if (!d[p]) return;
        var y0 = y(base), y1 = y(base + d[p]);
        g.appendChild(svg("rect", { class: "seg seg-" + p, x: x.toFixed(1), y: y1.toFixed(1), width: bw.toFixed(1),
          height: Math.max(0, y0 - y1).toFixed(1), "data-day": d.day, "data-part": p },
          [svg("title", { text: d.day + ": " + (p === "sent" ? t("s_sent_long") : t("s_" + p)) + " " + d[p] })]));
        base += d[p];
      });
      if (i % every === 0 || i === n - 1) {
        g.appendChild(svg("text", { class: "axis", x: (L + i * slot + slot / 2).toFixed(1), y: H - 8, "text-anchor": "middle", text: shortDay(d.day) }));
      }
    });
    g.appendChild(svg("line", { class: "base-line", x1: L, x2: W - R, y1: y(0), y2: y(0) }));
    return el("figure", { class: "chart-box" }, [g]);
  }

  function statsTable(firstKey, rows, id) {
    var cols = ["held", "sent", "edited", "dropped", "expired"];
    var head = el("tr", null, [el("th", { scope: "col", text: t(firstKey) })].concat(cols.map(function (c) {
      return el("th", { scope: "col", class: "num", text: t("s_" + c) });
    })).concat([el("th", { scope: "col", class: "num", text: t("s_false_rate") })]));
    var body = rows.map(function (r) {
      var d = r[1];
      return el("tr", null, [el("th", { scope: "row", text: firstKey === "c_day" ? longDay(r[0]) : r[0] })]
        .concat(cols.map(function (c) { return el("td", { class: "num" + (d[c] ? "" : " zero"), text: String(d[c]) }); }))
        .concat([el("td", { class: "num", text: pct(d.sent, d.held) })]));
    });
    return el("div", { class: "table-wrap" }, [el("table", { class: "grid stats", id: id }, [el("thead", null, head), el("tbody", null, body)])]);
  }

  /* ---- which view ---- */

  function route() {
    var v = (location.hash || "#queue").slice(1);
    if (VIEWS.indexOf(v) < 0) v = "queue";
    state.view = v;
    if (state.signedOut) return;
    if (!state.me) { loadQueue(); return; }
    renderTabs();
    if (v === "queue") { clear(document.getElementById("view")); state.cards = {}; renderQueue(); loadQueue(); }
    else if (v === "history") { renderHistoryShell(); loadHistory(); }
    else { renderStatsShell(); loadStats(); }
  }

  function start() {
    document.title = t("title");
    document.documentElement.lang = LANG;
    var first = (location.hash || "#queue").slice(1);
    state.view = VIEWS.indexOf(first) >= 0 ? first : "queue";
    clear(document.getElementById("view")).appendChild(el("p", { class: "muted", text: t("loading") }));
    loadQueue().then(function () {
      if (state.me && state.view !== "queue") route();
    });
    window.addEventListener("hashchange", route);
    setInterval(tick, 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
