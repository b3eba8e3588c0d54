// mattermost.mjs - Mattermost's own client library (@mattermost/client:
// Client4 for REST, WebSocketClient for events) pointed at the emulator,
// tests/mmemu.c. Every call is one the platform's client makes against a
// real server; every answer is checked for the values a real server
// gives (ids, texts, order, counts, status codes).
//
//   node tests/official/mattermost.mjs URL WORLD.json
//
// URL is the emulator's (http://127.0.0.1:PORT); WORLD.json the world it
// was started with (tests/test_official.sh writes both): its team, its
// users aino and ville with their tokens (aino also with an OAuth token
// and a login session with a CSRF token), the open channel "tiimi" of
// both and the private channel "salainen" of aino's. Starts nothing
// itself. Exits 0 when every check holds, 1 naming each one that failed,
// 2 when it cannot run (the packages are missing: run `make deps`).

import {readFileSync} from 'node:fs';

let Client4, WebSocketClient, WS;
try {
    // a CommonJS package: its classes are on the default export
    ({Client4, WebSocketClient} = (await import('@mattermost/client')).default);
    ({WebSocket: WS} = await import('ws'));
} catch (e) {
    console.error(`mattermost.mjs: cannot load the official client (${e.message}); run \`make deps\``);
    process.exit(2);
}

// The client was written for browsers: in Node it needs a WebSocket
// implementation set globally (its README, "Node.js"); Node 20 has none.
if (!globalThis.WebSocket) {
    globalThis.WebSocket = WS;
}

const [url, worldPath] = process.argv.slice(2);
if (!url || !worldPath) {
    console.error('usage: node tests/official/mattermost.mjs URL WORLD.json');
    process.exit(2);
}
const world = JSON.parse(readFileSync(worldPath, 'utf8'));
const user = (name) => world.users.find((u) => u.username === name);
const channel = (name) => world.channels.find((c) => c.name === name);
const aino = user('aino');
const ville = user('ville');
const tiimi = channel('tiimi');
const salainen = channel('salainen');
const NO_SUCH_POST = 'zzzzzzzzzzzzzzzzzzzzzzzzzz'; // a valid id nothing has

const failures = [];
let checks = 0;

function check(ok, what) {
    checks++;
    if (!ok) {
        failures.push(what);
        console.error(`FAIL: ${what}`);
    }
}

function eq(got, want, what) {
    const g = JSON.stringify(got);
    const w = JSON.stringify(want);
    check(g === w, `${what}: got ${g}, want ${w}`);
}

// the HTTP status of a call that should fail, or 0 when it did not
async function statusOf(promise) {
    try {
        await promise;
        return 0;
    } catch (e) {
        return e.status_code || -1;
    }
}

function client(token) {
    const c = new Client4();
    c.setUrl(url);
    c.setToken(token);
    return c;
}

// a WebSocketClient of the given user's; every event it receives is kept
function listen(token) {
    const ws = new WebSocketClient();
    const events = [];
    ws.addMessageListener((msg) => events.push(msg));
    ws.initialize(url.replace(/^http/, 'ws') + '/api/v4/websocket', token);
    return {ws, events};
}

async function waitFor(l, pred, what, ms = 5000) {
    const until = Date.now() + ms;
    for (;;) {
        const found = l.events.find(pred);
        if (found) {
            return found;
        }
        if (Date.now() > until) {
            check(false, `${what}: no such event within ${ms} ms`);
            return null;
        }
        await new Promise((r) => setTimeout(r, 20));
    }
}

const parsed = (ev, key) => (ev ? JSON.parse(ev.data[key]) : {});
const postedWith = (id) => (m) => m.event === 'posted' && JSON.parse(m.data.post).id === id;

async function main() {
    const a = client(aino.token);
    const v = client(ville.token);

    // ---- who, which team, which channels ----
    const me = await a.getMe();
    eq([me.id, me.username], [aino.id, 'aino'], 'getMe');
    const teams = await a.getMyTeams();
    eq(teams.map((t) => [t.id, t.name]), [[world.team.id, world.team.name]], 'getMyTeams');
    const team = await a.getTeamByName(world.team.name);
    eq(team.id, world.team.id, 'getTeamByName');
    eq(await statusOf(a.getTeamByName('ei-tiimia')), 404, 'getTeamByName of no team');
    const ch = await a.getChannelByName(team.id, 'tiimi');
    eq([ch.id, ch.name, ch.type, ch.team_id], [tiimi.id, 'tiimi', 'O', team.id], 'getChannelByName(team id)');
    eq((await a.getChannelByName(team.id, 'salainen')).id, salainen.id,
        'getChannelByName of a private channel one is in');
    eq(await statusOf(v.getChannelByName(team.id, 'salainen')), 404,
        'getChannelByName of a private channel one is not in');
    const members = await a.getChannelMembers(tiimi.id);
    eq(members.map((m) => m.user_id).sort(), [aino.id, ville.id].sort(), 'getChannelMembers');
    check(members.every((m) => m.channel_id === tiimi.id), 'getChannelMembers: channel_id of each');
    const page0 = await a.getChannelMembers(tiimi.id, 0, 1);
    const page1 = await a.getChannelMembers(tiimi.id, 1, 1);
    eq([page0.length, page1.length], [1, 1], 'getChannelMembers one per page');
    check(page0[0].user_id !== page1[0].user_id, 'getChannelMembers: pages 0 and 1 differ');
    eq(await statusOf(v.getChannelMembers(salainen.id)), 403, 'getChannelMembers of a channel one is not in');

    // ---- events: both connect, get hello ----
    const la = listen(aino.token);
    const lv = listen(ville.token);
    const ha = await waitFor(la, (m) => m.event === 'hello', 'hello to aino');
    const hv = await waitFor(lv, (m) => m.event === 'hello', 'hello to ville');
    check(ha && ha.seq === 0 && typeof ha.data.connection_id === 'string' &&
        ha.data.connection_id.length === 26, 'hello: seq 0 and a connection_id');
    check(hv && hv.broadcast.user_id === ville.id, 'hello: broadcast.user_id is the user');
    // the client answers the challenge and pings; the ping's pong comes
    await new Promise((r) => {
        lv.ws.ping(r);
        setTimeout(r, 3000);
    });

    // ---- a post that mentions ville, one that mentions no one ----
    const p1 = await a.createPost({channel_id: tiimi.id, message: 'Hei @ville, tilaus 4411 lähti.',
        pending_post_id: `${aino.id}:${Date.now()}`});
    eq([p1.channel_id, p1.user_id, p1.message], [tiimi.id, aino.id, 'Hei @ville, tilaus 4411 lähti.'],
        'createPost');
    const ev1 = await waitFor(lv, postedWith(p1.id), 'posted to ville');
    if (ev1) {
        eq(parsed(ev1, 'post').message, p1.message, 'posted: data.post is the post');
        eq([ev1.data.channel_type, ev1.data.channel_name, ev1.data.sender_name, ev1.data.team_id],
            ['O', 'tiimi', '@aino', team.id], 'posted: channel and sender');
        eq(ev1.data.mentions, JSON.stringify([ville.id]),
            'posted: data.mentions to the one mentioned (a JSON text)');
    }
    const ev1a = await waitFor(la, postedWith(p1.id), 'posted to aino');
    check(ev1a && !('mentions' in ev1a.data), 'posted: no data.mentions to the author');
    const p2 = await a.createPost({channel_id: tiimi.id, message: 'ei mainintoja'});
    const ev2 = await waitFor(lv, postedWith(p2.id), 'posted to ville, no mention');
    check(ev2 && !('mentions' in ev2.data), 'posted: no data.mentions when no one is mentioned');
    const p3 = await v.createPost({channel_id: tiimi.id, message: '@AINO: kiitos.'});
    const ev3 = await waitFor(la, postedWith(p3.id), 'posted to aino, mention in capitals');
    eq(ev3 && ev3.data.mentions, JSON.stringify([aino.id]), 'posted: @AINO: mentions aino');

    // ---- read, edit, update ----
    eq((await a.getPost(p1.id)).message, p1.message, 'getPost');
    eq(await statusOf(a.getPost(NO_SUCH_POST)), 404, 'getPost of no post');
    const patched = await a.patchPost({id: p1.id, message: 'Hei @ville, tilaus 4411 lähti tänään.'});
    eq(patched.message, 'Hei @ville, tilaus 4411 lähti tänään.', 'patchPost');
    check(patched.edit_at > 0 && patched.update_at >= patched.edit_at, 'patchPost: edit_at set');
    const edited = await waitFor(lv, (m) => m.event === 'post_edited' &&
        parsed(m, 'post').message === patched.message, 'post_edited after patchPost');
    eq(edited && parsed(edited, 'post').id, p1.id, 'post_edited: the post');
    const updated = await a.updatePost({...patched, message: 'Tilaus 4411 lähti.'});
    eq([updated.id, updated.message], [p1.id, 'Tilaus 4411 lähti.'], 'updatePost');
    await waitFor(lv, (m) => m.event === 'post_edited' && parsed(m, 'post').message === 'Tilaus 4411 lähti.',
        'post_edited after updatePost');
    eq((await a.getPost(p1.id)).message, 'Tilaus 4411 lähti.', 'getPost after updatePost');
    eq(await statusOf(v.patchPost({id: p1.id, message: 'ei sinun'})), 403, "patchPost of someone else's post");

    // ---- listings: newest first, paged ----
    const more = [];
    for (let i = 0; i < 5; i++) {
        more.push(await a.createPost({channel_id: tiimi.id, message: `viesti ${i}`}));
    }
    const all = [p1, p2, p3, ...more].map((p) => p.id);
    const newest = [...all].reverse();
    const list = await a.getPosts(tiimi.id);
    eq(list.order, newest, 'getPosts: order, newest first');
    eq(Object.keys(list.posts).sort(), [...all].sort(), 'getPosts: posts');
    eq([list.next_post_id, list.prev_post_id], ['', ''], 'getPosts: no more either way');
    const pg = await a.getPosts(tiimi.id, 1, 3);
    eq(pg.order, newest.slice(3, 6), 'getPosts page 1 of 3');
    eq([pg.next_post_id, pg.prev_post_id], [newest[2], newest[6]], 'getPosts page 1 of 3: cursors');
    eq((await a.getPosts(tiimi.id, 0, 0)).order, [], 'getPosts per_page 0');
    eq((await a.getPosts(tiimi.id, 0, 500)).order.length, all.length, 'getPosts per_page above 200');
    const before = await a.getPostsBefore(tiimi.id, more[3].id, 0, 2);
    eq(before.order, [more[2].id, more[1].id], 'getPostsBefore');
    eq(before.next_post_id, more[3].id, 'getPostsBefore: next_post_id is the post');
    const after = await a.getPostsAfter(tiimi.id, more[0].id, 0, 2);
    eq(after.order, [more[2].id, more[1].id], 'getPostsAfter: the nearest per_page, newest first');
    eq([after.prev_post_id, after.next_post_id], [more[0].id, more[3].id], 'getPostsAfter: cursors');
    eq((await a.getPostsAfter(tiimi.id, more[0].id, 1, 2)).order, [more[4].id, more[3].id],
        'getPostsAfter page 1');
    eq((await a.getPostsAfter(tiimi.id, more[4].id)).order, [], 'getPostsAfter the newest post');
    const unknown = await a.getPostsAfter(tiimi.id, NO_SUCH_POST);
    eq([unknown.order, unknown.posts], [[], {}], 'getPostsAfter an unknown id: 200, empty');
    eq((await a.getPostsBefore(tiimi.id, NO_SUCH_POST)).order, [], 'getPostsBefore an unknown id: empty');
    eq(await statusOf(a.getPostsAfter(tiimi.id, 'ei-tunnus')), 400, 'getPostsAfter an id that is not one');
    const since = await a.getPostsSince(tiimi.id, more[2].create_at);
    eq(since.order, [more[4].id, more[3].id], 'getPostsSince');

    // ---- a reply: its root comes along ----
    const reply = await v.createPost({channel_id: tiimi.id, root_id: p2.id, message: 'vastaus'});
    const top = await a.getPosts(tiimi.id, 0, 1);
    eq(top.order, [reply.id], 'getPosts: the reply on top');
    check(top.posts[p2.id] && top.posts[p2.id].id === p2.id, 'getPosts: the root of a reply in posts');

    // ---- reactions and deletion ----
    const r = await v.addReaction(ville.id, more[4].id, 'white_check_mark');
    eq([r.user_id, r.post_id, r.emoji_name], [ville.id, more[4].id, 'white_check_mark'], 'addReaction');
    const rev = await waitFor(la, (m) => m.event === 'reaction_added', 'reaction_added to aino');
    eq(rev && [parsed(rev, 'reaction').post_id, parsed(rev, 'reaction').emoji_name,
        parsed(rev, 'reaction').user_id], [more[4].id, 'white_check_mark', ville.id], 'reaction_added');
    eq(await a.deletePost(more[4].id), {status: 'OK'}, 'deletePost');
    const dev = await waitFor(lv, (m) => m.event === 'post_deleted', 'post_deleted to ville');
    eq(dev && parsed(dev, 'post').id, more[4].id, 'post_deleted: the post');
    eq(await statusOf(a.getPost(more[4].id)), 404, 'getPost of a deleted post');
    eq((await a.getPosts(tiimi.id, 0, 2)).order, [reply.id, more[3].id], 'getPosts leaves the deleted out');

    // ---- events arrive in order, numbered from 0 ----
    for (const l of [la, lv]) {
        check(l.events.every((m, i) => m.seq === i), 'events numbered 0, 1, 2, ... without a gap');
    }
    la.ws.close();
    lv.ws.close();

    // ---- where the token may be, as the server takes it ----
    const raw = new Client4();
    raw.setUrl(url);
    raw.setHeader('Authorization', `Token ${aino.token}`);
    eq((await raw.getMe()).id, aino.id, 'Authorization: Token');
    raw.setHeader('Authorization', `bearer ${aino.token}`);
    eq((await raw.getMe()).id, aino.id, 'Authorization: bearer');
    raw.setHeader('Authorization', `Bearer not-${aino.token}`);
    eq(await statusOf(raw.getMe()), 401, 'a token that is no one');
    raw.setHeader('Authorization', '');
    eq(await statusOf(raw.getMe()), 401, 'no token');
    const q = async (tok) => {
        const res = await fetch(`${url}/api/v4/users/me?access_token=${tok}`);
        return [res.status, (await res.json()).id];
    };
    eq(await q(aino.token), [401, 'api.context.token_provided.app_error'],
        'access_token with a personal token: refused');
    eq(await q(aino.oauth_token), [200, aino.id], 'access_token with an OAuth token');
    const jar = new Client4();
    jar.setUrl(url);
    jar.setHeader('Cookie', `MMAUTHTOKEN=${aino.session_token}`);
    eq((await jar.getMe()).id, aino.id, 'MMAUTHTOKEN cookie');
    const post = {channel_id: tiimi.id, message: 'evästeellä'};
    eq((await jar.createPost(post)).message, 'evästeellä',
        'cookie POST with X-Requested-With: XMLHttpRequest (the client sends it)');
    jar.setHeader('X-Requested-With', '');
    eq(await statusOf(jar.createPost(post)), 401, 'cookie POST with neither CSRF header');
    jar.setCSRF(aino.csrf);
    eq((await jar.createPost(post)).message, 'evästeellä', 'cookie POST with X-CSRF-Token');
    jar.setCSRF('väärä');
    eq(await statusOf(jar.createPost(post)), 401, 'cookie POST with a wrong X-CSRF-Token');
}

const timer = setTimeout(() => {
    console.error('FAIL: mattermost.mjs timed out after 60 s');
    process.exit(1);
}, 60000);
try {
    await main();
} catch (e) {
    check(false, `stopped: ${e.stack || e}`);
}
clearTimeout(timer);
if (failures.length) {
    console.error(`official Mattermost client: ${failures.length} of ${checks} checks failed:`);
    for (const f of failures) {
        console.error(`  - ${f}`);
    }
    process.exit(1);
}
console.log(`official Mattermost client (@mattermost/client): ${checks} checks passed`);
process.exit(0);
