// slack.mjs - Slack's own Node clients, @slack/web-api and
// @slack/socket-mode (the versions pinned in tests/package-lock.json),
// pointed at tests/slackemu.c. If they reject the emulator, the emulator
// is wrong: every step asserts what the clients returned and names what
// failed; the exit status is the number of failed steps (0: all passed).
//
//   node tests/official/slack.mjs BASE_URL WORLD.json
//
// BASE_URL is the emulator's root (http://127.0.0.1:PORT): the clients get
// BASE_URL/api/ as slackApiUrl; the test controls are BASE_URL/emu/...
// (see the opening comment of tests/slackemu.c). The world must have the
// users, channels and tokens that tests/test_slack_official.sh writes.
import { readFileSync } from 'node:fs';
import { LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { SocketModeClient } from '@slack/socket-mode';

const [base, worldPath] = process.argv.slice(2);
if (!base || !worldPath) {
    console.error('usage: node slack.mjs BASE_URL WORLD.json');
    process.exit(2);
}
const world = JSON.parse(readFileSync(worldPath, 'utf8'));
const apiUrl = `${base}/api/`;
const user = (name) => world.users.find((u) => u.name === name);
const bot = user('pokerface');
const alice = user('alice');
const carol = user('carol');
const INTERNAL = 'C0INTERNAL';
const SHARED = 'C0SHARED01';
const ackTimeout = world.ack_timeout_ms;

const quiet = LogLevel.ERROR;
const web = (token, opts = {}) =>
    new WebClient(token, { slackApiUrl: apiUrl, logLevel: quiet, ...opts });
const botWeb = web(bot.token);
const aliceWeb = web(alice.token);
const carolWeb = web(carol.token);

let failures = 0;
function check(cond, what) {
    if (!cond) {
        failures++;
        console.error(`FAIL: ${what}`);
    }
}
// a step that hangs (a client retrying forever) fails after 30 s
async function step(name, fn) {
    let timer;
    const timeout = new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('timed out after 30 s')),
            30000);
    });
    try {
        await Promise.race([fn(), timeout]);
        console.log(`ok: ${name}`);
    } catch (e) {
        failures++;
        console.error(`FAIL: ${name}: ${e && e.stack ? e.stack : e}`);
    } finally {
        clearTimeout(timer);
    }
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function control(what, body) {
    const r = await fetch(`${base}/emu/${what}`, {
        method: body ? 'POST' : 'GET',
        body: body ? JSON.stringify(body) : undefined,
    });
    const j = await r.json();
    if (!j.ok) throw new Error(`control ${what}: ${j.error}`);
    return j;
}
const envelopes = async () => (await control('envelopes')).envelopes;
// the emulator's envelopes once pred holds of them (an ack travels on the
// socket, the question on another connection: it may overtake the ack)
async function envelopesWhen(pred, ms = 3000) {
    const deadline = Date.now() + ms;
    for (;;) {
        const es = await envelopes();
        if (pred(es) || Date.now() > deadline) return es;
        await sleep(50);
    }
}
// before breaking a socket: every ack sent has reached the emulator (but
// the first delivery of the one event never acked)
const settled = () => envelopesWhen((all) =>
    all.filter((e) => !e.acked).length <= 1);

// What the socket delivers, kept in order; waitFor takes the first one
// that matches (and has not been taken), or throws after ms.
const seen = [];
const waiters = [];
function deliver(kind, args) {
    const item = { kind, args, taken: false };
    seen.push(item);
    for (const w of waiters.splice(0)) w();
}
async function waitFor(what, match, ms = 8000) {
    const deadline = Date.now() + ms;
    for (;;) {
        const it = seen.find((s) => !s.taken && match(s));
        if (it) {
            it.taken = true;
            return it.args;
        }
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => {
            waiters.push(r);
            setTimeout(r, left);
        });
    }
}

// Acks are sent by the listeners below unless a test asks otherwise.
const noAck = new Set(); // texts whose first delivery is not acked

const socket = new SocketModeClient({
    appToken: world.app.token,
    logLevel: quiet,
    // a pong later than this (and the reconnect delay): 1 s pings
    clientPingTimeout: 3000,
    clientOptions: { slackApiUrl: apiUrl },
});
const urls = [];
socket.on('authenticated', (resp) => urls.push(resp.url));
socket.on('connected', () => deliver('connected', {}));
for (const type of ['message', 'reaction_added']) {
    socket.on(type, async (args) => {
        const text = args.event.text;
        if (noAck.has(text) && args.retry_num === 0) {
            deliver(type, args);
            return;
        }
        await args.ack();
        deliver(type, args);
    });
}
socket.on('interactive', async (args) => {
    const typed = args.body.type === 'view_submission'
        ? args.body.view.state.values.text?.v?.value : null;
    if (typed === 'Not yet') {
        await args.ack({
            response_action: 'errors',
            errors: { text: 'Still held: try again' },
        });
    } else if (args.body.type === 'view_submission') {
        await args.ack({ response_action: 'clear' });
    } else {
        await args.ack();
    }
    deliver('interactive', args);
});

const messageIs = (text) => (s) =>
    s.kind === 'message' && s.args.event.text === text;

await step('auth.test with the bot token', async () => {
    const r = await botWeb.auth.test();
    check(r.ok === true, 'auth.test ok');
    check(r.user_id === bot.id, `auth.test user_id ${r.user_id}`);
    check(r.bot_id === bot.bot_id, `auth.test bot_id ${r.bot_id}`);
    check(r.team_id === world.team.id, `auth.test team_id ${r.team_id}`);
});

await step('a bad token is invalid_auth, none is not_authed', async () => {
    for (const [token, code] of [
        ['xoxb-nobody', 'invalid_auth'],
        [undefined, 'not_authed'],
    ]) {
        try {
            await web(token).auth.test();
            check(false, `auth.test with ${token} succeeded`);
        } catch (e) {
            check(e.code === 'slack_webapi_platform_error',
                `error code ${e.code}`);
            check(e.data && e.data.error === code,
                `error ${e.data && e.data.error}, want ${code}`);
        }
    }
});

await step('users.info and conversations.info', async () => {
    const u = await botWeb.users.info({ user: carol.id });
    check(u.user.id === carol.id && u.user.name === 'carol', 'users.info');
    check(u.user.team_id === carol.team_id, 'an external user keeps her team');
    const c = await botWeb.conversations.info({ channel: SHARED });
    check(c.channel.id === SHARED && c.channel.is_ext_shared === true,
        'conversations.info of the shared channel');
    try {
        await botWeb.conversations.info({ channel: 'G0PRIVATE1' });
        check(false, 'a private channel the bot is not in was shown');
    } catch (e) {
        check(e.data.error === 'channel_not_found', `error ${e.data.error}`);
    }
});

await step('Socket Mode: apps.connections.open, the socket, hello',
    async () => {
        await socket.start(); // resolves on hello
        check(urls.length === 1 && /^ws:\/\/.*\/link\/\?ticket=/.test(urls[0]),
            `apps.connections.open url ${urls[0]}`);
        await waitFor('connected', (s) => s.kind === 'connected');
    });

await step('a user\'s message arrives, is acked and not retried',
    async () => {
        const text = 'Hello from Alice';
        const r = await aliceWeb.chat.postMessage({ channel: INTERNAL, text });
        check(r.ok && r.channel === INTERNAL && /^\d+\.\d{6}$/.test(r.ts),
            `chat.postMessage as a user: ts ${r.ts}`);
        const ev = await waitFor('the message event', messageIs(text));
        check(ev.event.user === alice.id, 'event user');
        check(ev.event.ts === r.ts, 'event ts is the posted ts');
        check(ev.event.channel === INTERNAL, 'event channel');
        check(ev.event.channel_type === 'channel', 'event channel_type');
        check(ev.body.type === 'event_callback', 'payload type');
        check(/^Ev/.test(ev.body.event_id), `event_id ${ev.body.event_id}`);
        check(ev.body.api_app_id === world.app.id, 'api_app_id');
        check(ev.body.team_id === world.team.id, 'team_id');
        check(Array.isArray(ev.body.authorizations) &&
            ev.body.authorizations[0].user_id === bot.id, 'authorizations');
        check(ev.retry_num === 0 && ev.retry_reason === '', 'first attempt');
        await sleep(ackTimeout + 500);
        const es = (await envelopes()).filter(
            (e) => e.event_id === ev.body.event_id);
        check(es.length === 1, `${es.length} envelopes for an acked event`);
        check(es[0] && es[0].acked, 'the emulator saw the ack');
    });

await step('an envelope not acked is retried with retry_attempt',
    async () => {
        const text = 'Nobody acks this one';
        noAck.add(text);
        await aliceWeb.chat.postMessage({ channel: INTERNAL, text });
        const first = await waitFor('the first delivery', messageIs(text));
        const again = await waitFor('the retry', messageIs(text),
            ackTimeout + 5000);
        check(first.retry_num === 0, 'first delivery attempt 0');
        check(again.retry_num === 1, `retry_attempt ${again.retry_num}`);
        check(again.retry_reason === 'timeout',
            `retry_reason ${again.retry_reason}`);
        check(again.body.event_id === first.body.event_id,
            'the retry keeps the event_id');
        check(again.envelope_id !== first.envelope_id,
            'the retry is a new envelope');
        const mine = (all) => all.filter(
            (e) => e.event_id === first.body.event_id);
        const es = mine(await envelopesWhen((all) =>
            mine(all).length === 2 && mine(all)[1].acked));
        check(es.length === 2 && !es[0].acked && es[1].acked,
            'the emulator saw no ack, then one');
    });

await step('a duplicate event_id is delivered twice', async () => {
    const text = 'Said once, delivered twice';
    await control('fault', { kind: 'duplicate' });
    await aliceWeb.chat.postMessage({ channel: INTERNAL, text });
    const a = await waitFor('the event', messageIs(text));
    const b = await waitFor('its duplicate', messageIs(text));
    check(a.body.event_id === b.body.event_id, 'one event_id');
    check(a.envelope_id !== b.envelope_id, 'two envelopes');
});

let metaTs;
const metadata = {
    event_type: 'pokerface_relay',
    event_payload: { hold: 'h-42', agent: alice.id },
};
await step('chat.postMessage with metadata, read back by history',
    async () => {
        const text = 'Your refund is on its way';
        const r = await botWeb.chat.postMessage({
            channel: INTERNAL,
            text,
            metadata,
        });
        metaTs = r.ts;
        check(r.message && r.message.bot_id === bot.bot_id,
            'the bot message has bot_id');
        check(r.message && r.message.metadata &&
            r.message.metadata.event_type === metadata.event_type,
            'the response carries the metadata');
        const ev = await waitFor('the bot\'s own message', messageIs(text));
        check(ev.event.bot_id === bot.bot_id, 'event bot_id');
        const h = await botWeb.conversations.history({
            channel: INTERNAL,
            include_all_metadata: true,
            limit: 10,
        });
        const m = h.messages.find((x) => x.ts === r.ts);
        check(m && m.metadata &&
            JSON.stringify(m.metadata) === JSON.stringify(metadata),
            `history metadata ${m && JSON.stringify(m.metadata)}`);
        check(h.messages.every((x, i, a) => i === 0 || x.ts < a[i - 1].ts),
            'history newest first');
        const plain = await botWeb.conversations.history({
            channel: INTERNAL,
            limit: 10,
        });
        const p = plain.messages.find((x) => x.ts === r.ts);
        check(p && p.metadata === undefined,
            'no metadata without include_all_metadata');
    });

await step('chat.update: message_changed arrives', async () => {
    const r = await botWeb.chat.update({
        channel: INTERNAL,
        ts: metaTs,
        text: 'Your refund went out today',
    });
    check(r.ok && r.ts === metaTs && r.text === 'Your refund went out today',
        'chat.update answer');
    const ev = await waitFor('message_changed', (s) =>
        s.kind === 'message' && s.args.event.subtype === 'message_changed');
    check(ev.event.message.text === 'Your refund went out today',
        'the new text');
    check(ev.event.previous_message.text === 'Your refund is on its way',
        'the previous text');
    check(ev.event.message.ts === metaTs, 'the same ts');
    try {
        await aliceWeb.chat.update({ channel: INTERNAL, ts: metaTs, text: 'x' });
        check(false, 'alice updated the bot\'s message');
    } catch (e) {
        check(e.data.error === 'cant_update_message', `error ${e.data.error}`);
    }
});

await step('reactions.add: reaction_added arrives', async () => {
    const r = await aliceWeb.reactions.add({
        channel: INTERNAL,
        timestamp: metaTs,
        name: 'white_check_mark',
    });
    check(r.ok, 'reactions.add');
    const ev = await waitFor('reaction_added', (s) =>
        s.kind === 'reaction_added');
    check(ev.event.reaction === 'white_check_mark', 'reaction name');
    check(ev.event.user === alice.id, 'reaction user');
    check(ev.event.item.type === 'message' && ev.event.item.ts === metaTs &&
        ev.event.item.channel === INTERNAL, 'reaction item');
    try {
        await aliceWeb.reactions.add({
            channel: INTERNAL, timestamp: metaTs, name: 'white_check_mark',
        });
        check(false, 'reacted twice');
    } catch (e) {
        check(e.data.error === 'already_reacted', `error ${e.data.error}`);
    }
});

await step('chat.delete: message_deleted arrives', async () => {
    const r = await botWeb.chat.delete({ channel: INTERNAL, ts: metaTs });
    check(r.ok && r.ts === metaTs, 'chat.delete');
    const ev = await waitFor('message_deleted', (s) =>
        s.kind === 'message' && s.args.event.subtype === 'message_deleted');
    check(ev.event.deleted_ts === metaTs, 'deleted_ts');
    const h = await botWeb.conversations.history({ channel: INTERNAL });
    check(!h.messages.some((m) => m.ts === metaTs), 'gone from history');
    try {
        await botWeb.chat.delete({ channel: INTERNAL, ts: metaTs });
        check(false, 'deleted twice');
    } catch (e) {
        check(e.data.error === 'message_not_found', `error ${e.data.error}`);
    }
});

await step('a thread: thread_ts events and conversations.replies',
    async () => {
        const root = await carolWeb.chat.postMessage({
            channel: SHARED,
            text: 'Where is my order?',
        });
        const ev0 = await waitFor('the root', messageIs('Where is my order?'));
        check(ev0.body.is_ext_shared_channel === true,
            'is_ext_shared_channel');
        check(ev0.event.team === carol.team_id, 'the external user\'s team');
        await botWeb.chat.postMessage({
            channel: SHARED,
            text: 'Looking into it',
            thread_ts: root.ts,
        });
        await carolWeb.chat.postMessage({
            channel: SHARED,
            text: 'Thanks',
            thread_ts: root.ts,
        });
        const ev = await waitFor('a thread reply', messageIs('Thanks'));
        check(ev.event.thread_ts === root.ts, 'event thread_ts');
        check(ev.event.parent_user_id === carol.id, 'event parent_user_id');
        const r = await botWeb.conversations.replies({
            channel: SHARED,
            ts: root.ts,
        });
        check(r.messages.length === 3, `${r.messages.length} in the thread`);
        check(r.messages[0].ts === root.ts &&
            r.messages[0].reply_count === 2 &&
            r.messages[0].thread_ts === root.ts, 'the root first, 2 replies');
        check(r.messages[2].text === 'Thanks', 'oldest first');
        const h = await botWeb.conversations.history({ channel: SHARED });
        check(!h.messages.some((m) => m.text === 'Thanks' ||
            m.text === 'Looking into it'), 'replies are not in history');
        const parent = h.messages.find((m) => m.ts === root.ts);
        check(parent && parent.reply_count === 2 &&
            parent.latest_reply === r.messages[2].ts &&
            parent.reply_users_count === 2 &&
            parent.reply_users.includes(carol.id) &&
            parent.reply_users.includes(bot.id),
            `the parent in history: ${JSON.stringify(parent)}`);
        const later = await botWeb.conversations.history({
            channel: SHARED, oldest: r.messages[1].ts,
        });
        check(!later.messages.some((m) => m.ts === root.ts),
            'history since a reply: not the older parent');
        const since = await botWeb.conversations.replies({
            channel: SHARED, ts: root.ts, oldest: r.messages[1].ts,
        });
        check(since.messages.length === 2 &&
            since.messages[0].ts === root.ts &&
            since.messages[1].text === 'Thanks',
            'replies since oldest: the root first, then the newer');
        const before = await botWeb.conversations.replies({
            channel: SHARED, ts: root.ts, latest: r.messages[2].ts,
        });
        check(before.messages.length === 2 &&
            before.messages[1].text === 'Looking into it',
            'replies until latest');
        const page = await botWeb.conversations.replies({
            channel: SHARED, ts: root.ts, limit: 2,
        });
        check(page.has_more === true &&
            page.response_metadata.next_cursor, 'replies paging');
        const next = await botWeb.conversations.replies({
            channel: SHARED, ts: root.ts, limit: 2,
            cursor: page.response_metadata.next_cursor,
        });
        check(next.has_more === false &&
            next.messages.some((m) => m.text === 'Thanks') &&
            !next.messages.some((m) => m.text === 'Looking into it'),
            'the next page of replies');
    });

await step('paging with cursor', async () => {
    const posted = [];
    for (let i = 0; i < 5; i++) {
        const r = await carolWeb.chat.postMessage({
            channel: SHARED, text: `page ${i}`,
        });
        posted.push(r.ts);
    }
    const first = await botWeb.conversations.history({
        channel: SHARED, limit: 2,
    });
    check(first.has_more === true, 'has_more');
    check(typeof first.response_metadata.next_cursor === 'string' &&
        first.response_metadata.next_cursor !== '', 'next_cursor');
    const all = [];
    for await (const page of botWeb.paginate('conversations.history', {
        channel: SHARED, limit: 2,
    })) {
        all.push(...page.messages.map((m) => m.ts));
    }
    check(new Set(all).size === all.length, 'no message twice');
    check(posted.every((ts) => all.includes(ts)), 'every message once');
    check(all.every((ts, i) => i === 0 || ts < all[i - 1]), 'newest first');
    const mid = await botWeb.conversations.history({
        channel: SHARED, oldest: posted[1], latest: posted[3],
    });
    check(mid.messages.length === 1 && mid.messages[0].ts === posted[2],
        'oldest/latest are exclusive');
    const inc = await botWeb.conversations.history({
        channel: SHARED, oldest: posted[1], latest: posted[3], inclusive: true,
    });
    check(inc.messages.length === 3, 'inclusive');
});

await step('429: the client waits out Retry-After, then succeeds',
    async () => {
        let limited = null;
        const c = web(bot.token);
        c.on(WebClientEvent.RATE_LIMITED, (secs) => { limited = secs; });
        await control('fault', {
            kind: 'ratelimit', method: 'chat.postMessage', count: 1,
            retry_after: 1,
        });
        const t0 = Date.now();
        const r = await c.chat.postMessage({
            channel: INTERNAL, text: 'after the rate limit',
        });
        check(r.ok, 'posted after the 429');
        check(limited === 1, `rate_limited event: ${limited}`);
        check(Date.now() - t0 >= 1000, 'waited at least Retry-After');
        try {
            await control('fault', {
                kind: 'ratelimit', method: 'chat.postMessage', count: 1,
                retry_after: 1,
            });
            await web(bot.token, { rejectRateLimitedCalls: true })
                .chat.postMessage({ channel: INTERNAL, text: 'x' });
            check(false, 'a rate-limited call was not rejected');
        } catch (e) {
            check(e.code === 'slack_webapi_rate_limited_error' &&
                e.retryAfter === 1, `rate limit error ${e.code}`);
        }
    });

await step('refresh_requested: the client reconnects with a new URL',
    async () => {
        await settled();
        await control('fault', { kind: 'refresh_requested' });
        await waitFor('connected again', (s) => s.kind === 'connected',
            15000);
        check(urls.length === 2 && urls[1] !== urls[0],
            `a new URL: ${urls.join(' ')}`);
        const text = 'After the refresh';
        await aliceWeb.chat.postMessage({ channel: INTERNAL, text });
        await waitFor('an event on the new socket', messageIs(text));
    });

await step('a dropped socket: reconnected, and what was said meanwhile '
    + 'arrives', async () => {
    await settled();
    await control('fault', { kind: 'drop' });
    await sleep(300);
    const text = 'Said while the socket was down';
    await aliceWeb.chat.postMessage({ channel: INTERNAL, text });
    await waitFor('connected again', (s) => s.kind === 'connected', 15000);
    check(urls.length === 3 && urls[2] !== urls[1], 'yet another URL');
    const ev = await waitFor('the message said meanwhile', messageIs(text));
    check(ev.retry_num === 0, 'delivered once the socket is back');
});

let viewId;
await step('block_actions from an ephemeral button, then views.open',
    async () => {
        const blocks = [{
            type: 'actions',
            block_id: 'hold_42',
            elements: [{
                type: 'button',
                action_id: 'hold_send',
                text: { type: 'plain_text', text: 'Send anyway' },
                value: 'hold-42',
            }],
        }];
        const r = await botWeb.chat.postEphemeral({
            channel: INTERNAL, user: alice.id, text: 'Held', blocks,
        });
        check(r.ok && r.message_ts, 'chat.postEphemeral');
        const shown = (await control(`ephemeral?user=${alice.id}`)).messages;
        check(shown.some((m) => m.ts === r.message_ts),
            'shown to its user');
        const h = await botWeb.conversations.history({ channel: INTERNAL });
        check(!h.messages.some((m) => m.ts === r.message_ts),
            'never in history');
        const click = await control('click', {
            user: alice.id, channel: INTERNAL, ts: r.message_ts,
            action_id: 'hold_send',
        });
        const ev = await waitFor('block_actions', (s) =>
            s.kind === 'interactive' && s.args.body.type === 'block_actions');
        const b = ev.body;
        check(b.trigger_id === click.trigger_id, 'trigger_id');
        check(b.user.id === alice.id, 'the clicking user');
        check(b.actions[0].action_id === 'hold_send' &&
            b.actions[0].value === 'hold-42' &&
            b.actions[0].block_id === 'hold_42', 'the action');
        check(b.container.is_ephemeral === true &&
            b.container.message_ts === r.message_ts, 'the container');
        const v = await botWeb.views.open({
            trigger_id: b.trigger_id,
            view: {
                type: 'modal',
                callback_id: 'edit_hold',
                private_metadata: 'h-42',
                title: { type: 'plain_text', text: 'Edit the reply' },
                submit: { type: 'plain_text', text: 'Send' },
                blocks: [{
                    type: 'input',
                    block_id: 'text',
                    label: { type: 'plain_text', text: 'Reply' },
                    element: { type: 'plain_text_input', action_id: 'v' },
                }],
            },
        });
        check(v.ok && /^V/.test(v.view.id), 'views.open');
        check(v.view.private_metadata === 'h-42' &&
            v.view.callback_id === 'edit_hold', 'the view echoed');
        viewId = v.view.id;
        try {
            await botWeb.views.open({
                trigger_id: b.trigger_id,
                view: { type: 'modal', title: { type: 'plain_text', text: 't' },
                    blocks: [] },
            });
            check(false, 'a trigger_id used twice');
        } catch (e) {
            check(e.data.error === 'exchanged_trigger_id',
                `error ${e.data.error}`);
        }
    });

await step('view_submission answered with errors keeps the view open',
    async () => {
        const values = {
            text: { v: { type: 'plain_text_input', value: 'Not yet' } },
        };
        const s = await control('submit', {
            user: alice.id, view_id: viewId, values,
        });
        await waitFor('the first view_submission', (x) =>
            x.kind === 'interactive' &&
            x.args.body.type === 'view_submission' &&
            x.args.body.view.state.values.text.v.value === 'Not yet');
        const e = (await envelopesWhen((all) => all.some((x) =>
            x.envelope_id === s.envelope_id && x.acked)))
            .find((x) => x.envelope_id === s.envelope_id);
        check(e.response && e.response.response_action === 'errors' &&
            e.response.errors.text === 'Still held: try again',
            'the errors in the ack');
        const open = (await control(`views?user=${alice.id}`)).views;
        check(open.some((v) => v.id === viewId), 'the view is still open');
    });

await step('view_submission delivered and acked', async () => {
    const values = { text: { v: { type: 'plain_text_input', value: 'Fixed' } } };
    const s = await control('submit', {
        user: alice.id, view_id: viewId, values,
    });
    const ev = await waitFor('view_submission', (x) =>
        x.kind === 'interactive' && x.args.body.type === 'view_submission');
    check(ev.envelope_id === s.envelope_id, 'envelope_id');
    check(ev.accepts_response_payload === true, 'accepts_response_payload');
    check(ev.body.view.id === viewId &&
        ev.body.view.state.values.text.v.value === 'Fixed', 'the values');
    check(ev.body.view.private_metadata === 'h-42', 'private_metadata');
    const e = (await envelopesWhen((all) => all.some((x) =>
        x.envelope_id === s.envelope_id && x.acked)))
        .find((x) => x.envelope_id === s.envelope_id);
    check(e && e.acked && e.response &&
        e.response.response_action === 'clear', 'the ack and its payload');
    const open = (await control(`views?user=${alice.id}`)).views;
    check(!open.some((v) => v.id === viewId), 'the view is closed');
});

await step('an IM and a channel_join reach the bot', async () => {
    await aliceWeb.chat.postMessage({ channel: 'D0ALICE001', text: 'psst' });
    const im = await waitFor('the IM', messageIs('psst'));
    check(im.event.channel_type === 'im', `channel_type ${im.event.channel_type}`);
    await control('join', { user: carol.id, channel: INTERNAL });
    const j = await waitFor('channel_join', (s) =>
        s.kind === 'message' && s.args.event.subtype === 'channel_join');
    check(j.event.user === carol.id && j.event.channel === INTERNAL,
        'the join');
    await control('leave', { user: carol.id, channel: INTERNAL });
    await waitFor('channel_leave', (s) =>
        s.kind === 'message' && s.args.event.subtype === 'channel_leave');
});

await step('every other envelope was acked at once, none retried',
    async () => {
        const es = await settled();
        const retried = new Set(es.filter((e) => e.retry_attempt > 0)
            .map((e) => e.event_id));
        const stray = es.filter((e) => !e.acked &&
            !(e.retry_attempt === 0 && retried.has(e.event_id)));
        check(retried.size === 1, `${retried.size} events retried`);
        check(stray.length === 0, `not acked: ${JSON.stringify(stray)}`);
    });
await socket.disconnect();

// Not the official clients: garbage, which the emulator must survive
// (the suite runs it under ASan too) and refuse the way Slack does.
const { default: WebSocket } = await import('ws');
async function raw(method, body, headers = {}) {
    const r = await fetch(`${apiUrl}${method}`, { method: 'POST', body,
        headers });
    return { status: r.status, json: await r.json().catch(() => null) };
}
await step('garbage over HTTP is refused, not fatal', async () => {
    const auth = { Authorization: `Bearer ${bot.token}` };
    const json = { ...auth, 'Content-Type': 'application/json' };
    let r = await raw('chat.postMessage', '{"channel": [1, {', json);
    check(r.json && r.json.error === 'invalid_json', 'malformed JSON');
    r = await raw('chat.postMessage', '[1, 2]', json);
    check(r.json && r.json.error === 'invalid_json', 'a JSON array');
    r = await raw('chat.postMessage',
        JSON.stringify({ token: bot.token, channel: INTERNAL, text: 'x' }),
        { 'Content-Type': 'application/json' });
    check(r.json && r.json.error === 'not_authed', 'a token in JSON');
    r = await raw('conversations.history',
        JSON.stringify({ channel: INTERNAL }), json);
    check(r.json && r.json.error === 'channel_not_found',
        'a read method does not read JSON');
    r = await raw('chat.postMessage', 'channel=%zz%&text=%00%ff&&=&',
        { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' });
    check(r.json && r.json.ok === false, 'a broken form');
    r = await raw('chat.postMessage', 'x'.repeat(10 << 20), auth);
    check(r.status === 413, `10 MB body: HTTP ${r.status}`);
    r = await raw('no.such.method', '', auth);
    check(r.status === 404 && r.json.error === 'unknown_method',
        'unknown method');
    r = await raw('apps.connections.open', `token=${world.app.token}`,
        { 'Content-Type': 'application/x-www-form-urlencoded' });
    check(r.json && r.json.error === 'not_authed',
        'apps.connections.open takes the header only');
    r = await raw('chat.postMessage', 'channel=C0INTERNAL&text=x',
        { Authorization: `Bearer ${world.app.token}` });
    check(r.json && r.json.error === 'not_allowed_token_type',
        'the app token posts nothing');
});

await step('garbage over the socket is ignored, a huge message refused',
    async () => {
        const open = await raw('apps.connections.open', '',
            { Authorization: `Bearer ${world.app.token}` });
        const ws = new WebSocket(open.json.url);
        const closed = new Promise((resolve) => ws.on('close', resolve));
        await new Promise((resolve, reject) => {
            ws.on('message', resolve);
            ws.on('error', reject);
        });
        ws.send('{"envelope_id": 42, "payload": [');
        ws.send('not json at all');
        ws.send(Buffer.from([0xff, 0x00, 0x01]), { binary: true });
        ws.send(JSON.stringify({ envelope_id: 'nope' }));
        ws.send('x'.repeat(2 << 20));
        const code = await closed;
        check(code === 1009, `close code ${code} for 2 MB`);
        const again = new WebSocket(open.json.url);
        const err = await new Promise((resolve) => {
            again.on('error', () => resolve(true));
            again.on('open', () => resolve(false));
        });
        check(err, 'a socket URL works once');
        const r = await botWeb.auth.test();
        check(r.ok, 'the emulator still answers');
    });
if (failures) {
    console.error(`slack.mjs: ${failures} failure(s)`);
    process.exit(1);
}
console.log('slack.mjs: the official Slack clients accept the emulator');
