// web_browser.mjs - the review page in a real browser: Debian's Chromium,
// driven by playwright-core, against pokerface and a real Prosody that
// tests/test_web_browser.sh started. The people are XMPP clients written
// here on the `ws` package (RFC 7395: XMPP over WebSocket): sanna the
// supervisor, aino (agent A), ville (agent B) and kalle the customer.
//
//   node web_browser.mjs   (everything else in the environment, below)
//   PHASE=expired node web_browser.mjs   (the bot with 1 s links)
//
// Every step asserts behaviour and prints "ok: ..."; the first that does
// not hold prints "FAIL: ..." and exits 1. Screenshots of the queue, the
// history and the statistics go to $SHOTS.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { chromium } from "playwright-core";
import WebSocket from "ws";

const env = (k) => {
  const v = process.env[k];
  if (!v) throw new Error(`web_browser.mjs: ${k} is not set`);
  return v;
};
const WS_URL = env("WS_URL"); // Prosody's XMPP-over-WebSocket endpoint
const WEB = env("WEB"); // http://127.0.0.1:PORT, the bot's listener
const PF = env("PF"); // the pokerface binary
const CONFIG = env("CONFIG"); // the bot's configuration
const SHOTS = env("SHOTS"); // where the screenshots go
const BOTLOG = env("BOTLOG");
const CHROMIUM = process.env.CHROMIUM || "/usr/bin/chromium";
const PW = {
  sanna: env("SANNA_PW"),
  aino: env("AINO_PW"),
  ville: env("VILLE_PW"),
  kalle: env("KALLE_PW"),
};
const TEAM = "tiimi@conference.localhost";
const CUST = "asiakas@conference.localhost";
const WAIT = 15000;

let steps = 0;
function ok(what) {
  steps++;
  console.log(`ok: ${what}`);
}
class Failure extends Error {}
function check(cond, what, detail) {
  if (!cond) {
    throw new Failure(what + (detail === undefined ? "" : `: ${typeof detail === "string" ? detail : JSON.stringify(detail)}`));
  }
  ok(what);
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- a small XMPP client ----

const unxml = (s) =>
  s
    .replace(/&#x([0-9a-f]+);/gi, (_, h) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#([0-9]+);/g, (_, d) => String.fromCodePoint(+d))
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, "&");
const xml = (s) =>
  String(s).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&apos;");
const attr = (frame, name) => {
  const m = frame.match(new RegExp(`^<[^>]*?\\s${name}=(?:'([^']*)'|"([^"]*)")`));
  return m ? unxml(m[1] !== undefined ? m[1] : m[2]) : null;
};

const everyone = [];
class Xmpp {
  constructor(name) {
    everyone.push(this);
    this.name = name;
    this.jid = `${name}@localhost`;
    this.frames = [];
    this.msgs = []; // {from, type, body, own}
    this.waiters = [];
    this.seq = 0;
  }
  async connect() {
    this.ws = new WebSocket(WS_URL, "xmpp");
    this.ws.on("message", (data) => this.onFrame(String(data)));
    await new Promise((res, rej) => {
      this.ws.once("open", res);
      this.ws.once("error", rej);
    });
    this.open();
    await this.waitFrame((f) => f.startsWith("<stream:features") || f.startsWith("<features"));
    const auth = Buffer.from(`\0${this.name}\0${PW[this.name]}`).toString("base64");
    this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${auth}</auth>`);
    const r = await this.waitFrame((f) => f.startsWith("<success") || f.startsWith("<failure"));
    if (!r.startsWith("<success")) throw new Failure(`${this.name} could not log in: ${r}`);
    this.frames = [];
    this.open();
    await this.waitFrame((f) => f.includes("urn:ietf:params:xml:ns:xmpp-bind"));
    await this.iq(`<iq type='set' id='ID'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>web-test</resource></bind></iq>`);
    this.send("<presence/>");
  }
  open() {
    this.send("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>");
  }
  send(s) {
    // RFC 7395: stanzas carry the content namespace themselves
    this.ws.send(s.replace(/^<(iq|presence|message)\b/, "<$1 xmlns='jabber:client'"));
  }
  onFrame(f) {
    this.frames.push(f);
    if (f.startsWith("<message")) {
      const b = f.match(/<body(?:\s[^>]*)?>([\s\S]*?)<\/body>/);
      if (b && !f.includes("urn:xmpp:delay")) {
        this.msgs.push({ from: attr(f, "from") || "", type: attr(f, "type") || "normal", body: unxml(b[1]) });
      }
    }
    const still = [];
    for (const w of this.waiters) if (!w.test()) still.push(w);
    this.waiters = still;
  }
  waitFor(cond, what, ms = WAIT) {
    return new Promise((res, rej) => {
      let v = cond();
      if (v) return res(v);
      const w = {
        test: () => {
          v = cond();
          if (v) {
            clearTimeout(w.timer);
            res(v);
            return true;
          }
          return false;
        },
      };
      w.timer = setTimeout(() => {
        this.waiters = this.waiters.filter((x) => x !== w);
        rej(new Failure(`${this.name}: ${what} did not come in ${ms} ms`));
      }, ms);
      this.waiters.push(w);
    });
  }
  waitFrame(pred, ms) {
    let from = 0;
    return this.waitFor(() => {
      for (; from < this.frames.length; from++) if (pred(this.frames[from])) return this.frames[from];
      return null;
    }, "a frame", ms);
  }
  async iq(stanza) {
    const id = `${this.name}-${++this.seq}`;
    this.send(stanza.replace("id='ID'", `id='${id}'`));
    const r = await this.waitFrame((f) => f.startsWith("<iq") && attr(f, "id") === id);
    if (attr(r, "type") !== "result") throw new Failure(`${this.name}: iq refused: ${r}`);
    return r;
  }
  async join(room) {
    this.send(`<presence to='${room}/${this.name}'><x xmlns='http://jabber.org/protocol/muc'><history maxstanzas='0'/></x></presence>`);
    await this.waitFrame(
      (f) => f.startsWith("<presence") && (attr(f, "from") || "").startsWith(room + "/") &&
        (f.includes("status code='110'") || f.includes('status code="110"') || f.includes("type='error'")),
    ).then((f) => {
      if (f.includes("type='error'")) throw new Failure(`${this.name} could not join ${room}: ${f}`);
    });
  }
  say(room, text) {
    this.send(`<message type='groupchat' to='${room}' id='m${++this.seq}'><body>${xml(text)}</body></message>`);
  }
  // the first message from index `from` on whose body contains needle
  async waitMsg(needle, what, from = 0, ms = WAIT) {
    const idx = await this.waitFor(() => {
      for (let i = from; i < this.msgs.length; i++) if (this.msgs[i].body.includes(needle)) return i + 1;
      return 0;
    }, what, ms);
    return { msg: this.msgs[idx - 1], next: idx };
  }
  count(needle) {
    return this.msgs.filter((m) => m.body.includes(needle) && !m.from.endsWith("/" + this.name)).length;
  }
  close() {
    try {
      this.ws.close();
    } catch {
      /* gone already */
    }
  }
}

// a reply written by an agent: the number from pokerface's notice
async function held(agent, text) {
  const from = agent.msgs.length;
  agent.say(TEAM, text);
  const { msg } = await agent.waitMsg("#", `the hold notice for "${text}"`, from);
  const m = msg.body.match(/#(\d+)/);
  if (!m || !/held|pidätetty|blocked|estetty/i.test(msg.body)) throw new Failure(`no hold notice for "${text}": ${msg.body}`);
  return Number(m[1]);
}

// !web in the team room; the link pokerface sends its author privately
async function webLink(agent) {
  const from = agent.msgs.length;
  agent.say(TEAM, "!web");
  const { msg } = await agent.waitMsg("/login?t=", `${agent.name}'s sign-in link`, from);
  check(!msg.from.startsWith(TEAM + "/") || msg.type !== "groupchat", `${agent.name}'s link came privately, not in the room`, msg);
  const m = msg.body.match(/https?:\/\/[^\s<>"]+\/login\?t=[A-Za-z0-9_~.%-]+/);
  check(m !== null, `${agent.name}'s link is a /login?t= link`, msg.body);
  check(m[0].startsWith(WEB + "/login?t="), `${agent.name}'s link is on the listener (${WEB})`, m[0]);
  return m[0];
}

async function signIn(browser, link, who, locale = "en-US", viewport = { width: 1200, height: 900 }) {
  const ctx = await browser.newContext({ locale, viewport });
  const page = await ctx.newPage();
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(e.message));
  const r = await page.goto(link);
  check(r.status() === 200, `${who}: the link opens a sign-in page`, r.status());
  await page.click("#signin");
  await page.waitForURL(WEB + "/", { timeout: WAIT });
  await page.waitForSelector("#tabs:not([hidden])", { timeout: WAIT });
  ok(`${who}: signed in, the page shows the queue`);
  return page;
}

const card = (n) => `.hold[data-hold="${n}"]`;
const btn = (action, n) => `[data-action="${action}"][data-hold="${n}"]`;

// a POST from inside the page (its cookie), with the headers given
function post(page, url, body, headers) {
  return page.evaluate(
    async ([u, b, h]) => {
      const r = await fetch(u, { method: "POST", headers: h, body: b });
      return { status: r.status, text: await r.text() };
    },
    [url, body, headers],
  );
}
const csrfOf = (page) => page.evaluate(async () => (await (await fetch("/api/queue")).json()).csrf);

async function main() {
  fs.mkdirSync(SHOTS, { recursive: true });
  const sanna = new Xmpp("sanna"), aino = new Xmpp("aino"), ville = new Xmpp("ville"), kalle = new Xmpp("kalle");
  const people = [sanna, aino, ville, kalle];
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  try {
    // pokerface made both rooms members-only, and the supervisor their
    // owner: she lets the agents and the customer in
    await sanna.connect();
    await sanna.join(TEAM);
    for (const [room, who] of [[TEAM, "aino"], [TEAM, "ville"], [CUST, "kalle"]]) {
      await sanna.iq(`<iq type='set' to='${room}' id='ID'><query xmlns='http://jabber.org/protocol/muc#admin'><item affiliation='member' jid='${who}@localhost'/></query></iq>`);
    }
    await aino.connect();
    await aino.join(TEAM);
    await ville.connect();
    await ville.join(TEAM);
    await kalle.connect();
    await kalle.join(CUST);
    ok("the supervisor, two agents and the customer are in their rooms");

    // ---- the page, signed out ----
    {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      const r = await page.goto(WEB + "/");
      const csp = r.headers()["content-security-policy"] || "";
      check(csp.includes("script-src 'self'") && csp.includes("default-src 'none'"), "the page comes with a strict Content-Security-Policy", csp);
      await page.waitForSelector("#signin-help", { timeout: WAIT });
      check((await page.textContent("#signin-help")).includes("!web"), "signed out, the page says to write !web in the team chat");
      const api = await page.evaluate(async () => (await fetch("/api/queue")).status);
      check(api === 401, "the API without a session answers 401", api);
      await ctx.close();
    }

    // ---- holds: a reply, a reply with markup, a blocked one ----
    const PLAIN = "lol this guy is a total idiot, PEBKAC again";
    const n1 = await held(aino, ">> " + PLAIN);
    const MARKUP = "what an idiot <b>x</b><script>window.pwned=1</script> <img src=x onerror=window.pwned=2>";
    const n2 = await held(aino, ">> " + MARKUP);
    const BLOCKED = "what the fuck is wrong with this damn printer";
    const n3 = await held(aino, ">> " + BLOCKED);
    ok(`aino's replies held: #${n1}, #${n2} and #${n3}`);

    // ---- agent A: !web, the link, the held reply with its word marked ----
    const linkA = await webLink(aino);
    const pageA = await signIn(browser, linkA, "aino");
    await pageA.waitForSelector(card(n1), { timeout: WAIT });
    const marks = await pageA.$$eval(`${card(n1)} .held-text mark`, (ms) => ms.map((m) => m.textContent));
    check(marks.includes("idiot"), "aino sees her held reply with the word idiot in a <mark>", marks);
    check((await pageA.textContent(`${card(n1)} .held-text`)) === PLAIN, "the held text is shown whole, as written");
    check((await pageA.$(btn("send", n1))) !== null && (await pageA.$(btn("drop", n1))) !== null, "aino may send or drop her own hold: the buttons are there");
    check((await pageA.getAttribute(card(n3), "data-kind")) === "block", `#${n3} is shown as a block`);
    check((await pageA.$(btn("send", n3))) === null && (await pageA.$(btn("edit", n3))) !== null,
      "a blocked reply has no Send as is for its author, but Edit");

    // the held markup is text: no element made of it, no script run
    const m2 = await pageA.$eval(card(n2), (c) => ({
      text: c.querySelector(".held-text").textContent,
      b: c.querySelectorAll("b, script, img").length,
    }));
    check(m2.text === MARKUP && m2.b === 0, "a held text with <b>, <script> and <img> is shown as literal text", m2);
    check((await pageA.evaluate(() => window.pwned)) === undefined, "the held script did not run");

    // ---- CSRF ----
    const noToken = await post(pageA, "/api/decide", JSON.stringify({ id: n1, action: "send" }), { "Content-Type": "application/json" });
    check(noToken.status === 403, "a POST without the CSRF token is refused (403)", noToken);
    const badToken = await post(pageA, "/api/decide", JSON.stringify({ id: n1, action: "send" }), { "Content-Type": "application/json", "X-CSRF-Token": "not-the-token" });
    check(badToken.status === 403, "a POST with a wrong CSRF token is refused (403)", badToken);

    // ---- agent B: sees A's hold, cannot decide it ----
    const linkB = await webLink(ville);
    const pageB = await signIn(browser, linkB, "ville", "fi-FI", { width: 390, height: 844 });
    await pageB.waitForSelector(card(n1), { timeout: WAIT });
    check((await pageB.textContent("#tab-queue")).startsWith("Jono"), "in Finnish for a browser that prefers Finnish");
    const bButtons = await pageB.$$(`${card(n1)} [data-action="send"], ${card(n1)} [data-action="edit"], ${card(n1)} [data-action="drop"]`);
    check(bButtons.length === 0, "ville sees aino's hold without Send, Edit or Drop");
    const csrfB = await csrfOf(pageB);
    const bPost = await post(pageB, "/api/decide", JSON.stringify({ id: n1, action: "send" }), { "Content-Type": "application/json", "X-CSRF-Token": csrfB });
    check(bPost.status === 403, "ville's POST /api/decide on aino's hold, with his CSRF token, is refused (403)", bPost);
    const bDrop = await post(pageB, "/api/decide", JSON.stringify({ id: n1, action: "drop" }), { "Content-Type": "application/json", "X-CSRF-Token": csrfB });
    check(bDrop.status === 403, "and so is his drop", bDrop);
    await sleep(500);
    check(kalle.count("total idiot") === 0, "nothing refused reached the customer");

    // ---- used links ----
    {
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      const r = await page.goto(linkA);
      check(r.status() === 403, "a used link is refused (403)", r.status());
      const t = new URL(linkA).searchParams.get("t");
      const p = await page.request.post(WEB + "/login", { form: { t }, maxRedirects: 0 });
      check(p.status() === 403, "and so is a POST /login with it", p.status());
      const unknown = await page.goto(WEB + "/login?t=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
      check(unknown.status() === 403, "an unknown token is refused (403)", unknown.status());
      await ctx.close();
    }

    // ---- the supervisor: pokerface web-login ----
    const out = execFileSync(PF, ["web-login", "-c", CONFIG], { encoding: "utf8" });
    const sLink = (out.match(/https?:\/\/\S+\/login\?t=\S+/) || [])[0];
    check(sLink !== undefined && sLink.startsWith(WEB + "/login?t="), "pokerface web-login prints a link on the listener", out);
    const pageS = await signIn(browser, sLink, "the bot's owner (web-login)");
    await pageS.waitForSelector(card(n3), { timeout: WAIT });
    check((await pageS.$(btn("send", n3))) !== null, "a supervisor may send a blocked reply as is");
    check((await pageS.$(btn("send", n1))) !== null, "and anyone's hold");
    await pageS.click(btn("details", n1));
    await pageS.waitForSelector(`${card(n1)} .details li`, { timeout: WAIT });
    const details = await pageS.$$eval(`${card(n1)} .details li`, (ls) => ls.map((l) => l.textContent).join("\n"));
    check(details.includes("backstage.derogatory"), "a hold's details list its findings", details);
    await pageS.screenshot({ path: path.join(SHOTS, "queue.png"), fullPage: true });
    await pageB.screenshot({ path: path.join(SHOTS, "queue-narrow-fi.png"), fullPage: true });

    // ---- aino sends #n1 as is; the customer gets it once ----
    await pageA.click(btn("send", n1));
    await pageA.waitForSelector(card(n1), { state: "detached", timeout: WAIT });
    ok(`aino clicked Send as is on #${n1}; it left her queue`);
    await kalle.waitMsg(PLAIN, "the sent reply");
    await sleep(2000);
    check(kalle.count(PLAIN) === 1, "the customer received it exactly once", kalle.count(PLAIN));
    // the others' pages hear of it (server-sent events) without a reload
    await pageB.waitForSelector(card(n1), { state: "detached", timeout: WAIT });
    ok("ville's page dropped the decided hold by itself (live update)");

    // a hold made now appears on the open pages by itself
    const n4 = await held(aino, ">> what a moron, PEBKAC for sure");
    await pageS.waitForSelector(card(n4), { timeout: WAIT });
    ok(`a new hold #${n4} appeared on the supervisor's page by itself (live update)`);

    // ---- edit: still held, then clean and sent ----
    await pageA.click(btn("edit", n3));
    await pageA.fill(`${card(n3)} textarea`, "this damn shit printer is broken again");
    await pageA.click(`${card(n3)} [data-action="edit-submit"]`);
    await pageA.waitForSelector(`${card(n3)} .answer`, { timeout: WAIT });
    const answer = await pageA.textContent(`${card(n3)} .answer`);
    check(answer.includes(`#${n3}`), `an edit that is still held says so on the page`, answer);
    check(kalle.count("printer") === 0, "the still-held edit did not reach the customer");
    await pageA.click(btn("edit", n2));
    const EDITED = "Sorry for the trouble: your refund went out today.";
    await pageA.fill(`${card(n2)} textarea`, EDITED);
    await pageA.click(`${card(n2)} [data-action="edit-submit"]`);
    await pageA.waitForSelector(card(n2), { state: "detached", timeout: WAIT });
    await kalle.waitMsg(EDITED, "the edited reply");
    await sleep(1000);
    check(kalle.count(EDITED) === 1, "an edited reply reached the customer once");

    // ---- drop ----
    pageA.once("dialog", (d) => d.accept());
    await pageA.click(btn("drop", n3));
    await pageA.waitForSelector(card(n3), { state: "detached", timeout: WAIT });
    ok(`aino dropped #${n3}`);
    check(kalle.count("printer") === 0 && kalle.count("pwned") === 0, "nothing dropped or unedited reached the customer");

    // ---- history and statistics ----
    await pageS.click("#tab-history");
    await pageS.waitForSelector(`#history tr[data-hold="${n3}"]`, { timeout: WAIT });
    const rows = await pageS.$$eval("#history tbody tr", (trs) =>
      Object.fromEntries(trs.map((tr) => [tr.getAttribute("data-hold"), tr.querySelector(".badge").className])));
    check(/o-sent/.test(rows[n1]) && /o-edited/.test(rows[n2]) && /o-dropped/.test(rows[n3]) && /o-open/.test(rows[n4]),
      "the history shows each hold's outcome: sent, edited, dropped, waiting", rows);
    const csvHref = await pageS.getAttribute("#csv", "href");
    check(csvHref.startsWith("/api/history.csv?days="), "the CSV export link carries the filters", csvHref);
    const csv = await pageS.evaluate(async (u) => {
      const r = await fetch(u);
      return { type: r.headers.get("content-type"), text: await r.text() };
    }, csvHref);
    check(csv.type.startsWith("text/csv") && csv.text.startsWith("hold,held_at,route,author,labels,outcome,decided_by,decided_at,text"),
      "the CSV export answers with the columns", csv.text.slice(0, 200));
    await pageS.screenshot({ path: path.join(SHOTS, "history.png"), fullPage: true });
    await pageS.selectOption("#f-outcome", "dropped");
    await pageS.waitForFunction((n) => {
      const trs = document.querySelectorAll("#history tbody tr");
      return trs.length === 1 && trs[0].getAttribute("data-hold") === String(n);
    }, n3, { timeout: WAIT });
    ok("filtered by outcome, the history shows the dropped one only");

    await pageS.click("#tab-stats");
    await pageS.waitForSelector("#stats-chart rect.seg", { timeout: WAIT });
    const segs = await pageS.$$eval("#stats-chart rect.seg", (rs) => rs.map((r) => r.getAttribute("data-part")));
    check(segs.includes("sent") && segs.includes("edited") && segs.includes("dropped"), "the chart stacks today's holds by outcome", segs);
    const held4 = await pageS.$eval("#stats-summary .t-held .tile-value", (e) => e.textContent);
    check(Number(held4) >= 4, "the statistics count the holds", held4);
    await pageS.screenshot({ path: path.join(SHOTS, "statistics.png"), fullPage: true });

    // ---- signing out ----
    await pageB.click("#signout");
    await pageB.waitForSelector("#signin-help", { timeout: WAIT });
    const after = await pageB.evaluate(async () => (await fetch("/api/queue")).status);
    check(after === 401, "signed out, ville's session is gone (401)", after);
    check((await pageA.evaluate(async () => (await fetch("/api/queue")).status)) === 200, "and aino's goes on");

    for (const [who, p] of [["aino", pageA], ["ville", pageB], ["the supervisor", pageS]]) {
      check(p.errors.length === 0, `no script errors on ${who}'s page`, p.errors);
    }
    for (const f of ["queue.png", "queue-narrow-fi.png", "history.png", "statistics.png"]) console.log(`screenshot: ${path.join(SHOTS, f)}`);
  } finally {
    await browser.close();
    people.forEach((p) => p.close());
  }
}

// PHASE=expired: the bot was started again with web.link_ttl_s 1; a link
// left unused past that is refused, by its page and by POST /login
async function expired() {
  const ville = new Xmpp("ville");
  const browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ["--no-sandbox"] });
  try {
    await ville.connect();
    await ville.join(TEAM);
    const link = await webLink(ville);
    await sleep(2500);
    const ctx = await browser.newContext();
    const page = await ctx.newPage();
    const r = await page.goto(link);
    check(r.status() === 403, "a link unused past its lifetime is refused (403)", r.status());
    const p = await page.request.post(WEB + "/login", { form: { t: new URL(link).searchParams.get("t") }, maxRedirects: 0 });
    check(p.status() === 403, "and so is a POST /login with it", p.status());
    const api = await page.evaluate(async () => (await fetch("/api/queue")).status);
    check(api === 401, "no session came of it", api);
  } finally {
    await browser.close();
    ville.close();
  }
}

(process.env.PHASE === "expired" ? expired() : main()).then(
  () => {
    console.log(`web_browser.mjs: ${steps} steps passed`);
    process.exit(0);
  },
  (e) => {
    console.log(`FAIL: ${e instanceof Failure ? e.message : e.stack || e}`);
    for (const p of everyone) {
      console.log(`${p.name}'s last frames:\n  ` + p.frames.slice(-6).map((f) => f.slice(0, 400)).join("\n  "));
    }
    try {
      console.log("the bot's log ends:\n" + fs.readFileSync(BOTLOG, "utf8").split("\n").slice(-30).join("\n"));
    } catch {
      /* no log */
    }
    process.exit(1);
  },
);
