#!/usr/bin/env node
// Scenario interpreter for the interop suite: drives socket.io-client v4 against
// the server under test and prints one JSON object per line describing what
// happened. pytest asserts on those lines; this file asserts nothing itself.
//
//   node runner.js --scenario NAME --url http://127.0.0.1:PORT
//                  [--transport polling|websocket|upgrade] [--parser json|msgpack]
//                  [--tag TAG] [--timeout MS]
//
// Every wait is bounded: a step that times out prints {"event":"error",...}
// and the process exits 1. The last line of a successful run is {"event":"done"}.
'use strict';

const crypto = require('node:crypto');
const { io, Manager } = require('socket.io-client');

function parseArgs(argv) {
  const args = { transport: 'upgrade', parser: 'json', tag: 'untagged', timeout: '5000' };
  for (let i = 2; i < argv.length; i += 2) {
    if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
      throw new Error(`bad argument ${argv[i]}`);
    }
    args[argv[i].slice(2)] = argv[i + 1];
  }
  if (!args.scenario || !args.url) throw new Error('--scenario and --url are required');
  args.timeout = Number(args.timeout);
  return args;
}

const ARGS = parseArgs(process.argv);
const T = ARGS.timeout;

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

// Same view as `describe` in server_app.py and the Python runner.
function describe(value) {
  if (Buffer.isBuffer(value) || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) {
    const buf = Buffer.isBuffer(value)
      ? value
      : value instanceof ArrayBuffer
        ? Buffer.from(value)
        : Buffer.from(value.buffer, value.byteOffset, value.byteLength);
    if (buf.length <= 64) return { $bytes: buf.toString('hex') };
    return { $bytes_len: buf.length, $sha256: crypto.createHash('sha256').update(buf).digest('hex') };
  }
  if (Array.isArray(value)) return value.map(describe);
  if (value !== null && typeof value === 'object') {
    const o = {};
    for (const [k, v] of Object.entries(value)) o[k] = describe(v);
    return o;
  }
  return value === undefined ? null : value;
}

function withTimeout(promise, what, ms = T) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timeout after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function once(emitter, event, what) {
  return withTimeout(new Promise((resolve) => emitter.once(event, (...a) => resolve(a))), what || event);
}

function clientOptions(extra = {}) {
  const opts = { forceNew: true, reconnection: false, timeout: T };
  if (ARGS.transport === 'polling') opts.transports = ['polling'];
  else if (ARGS.transport === 'websocket') opts.transports = ['websocket'];
  else if (ARGS.transport !== 'upgrade') throw new Error(`unknown transport ${ARGS.transport}`);
  if (ARGS.parser === 'msgpack') opts.parser = require('socket.io-msgpack-parser');
  return Object.assign(opts, extra);
}

function auth(token = 'good') {
  return { token, tag: ARGS.tag };
}

function url(nsp = '/') {
  return ARGS.url + (nsp === '/' ? '' : nsp);
}

// Engine-level facts of a manager: the first transport, and the current one.
function watchEngine(manager) {
  const info = { initial: null };
  manager.on('open', () => {
    info.initial = manager.engine.transport.name;
  });
  return info;
}

// In upgrade mode, wait until the engine really runs on websocket.
async function settleTransport(manager) {
  if (ARGS.transport !== 'upgrade') return;
  const engine = manager.engine;
  if (engine.transport.name === 'websocket') return;
  await once(engine, 'upgrade', 'the transport upgrade');
  if (engine.transport.name !== 'websocket') {
    throw new Error(`upgraded to ${engine.transport.name}, not websocket`);
  }
}

function waitConnect(socket, what) {
  return withTimeout(
    new Promise((resolve, reject) => {
      if (socket.connected) return resolve(socket);
      socket.once('connect', () => resolve(socket));
      socket.once('connect_error', (err) =>
        reject(new Error(`connect_error on ${what}: ${err.message} ${JSON.stringify(err.data)}`)),
      );
    }),
    `connect of ${what}`,
  );
}

function waitConnectError(socket, what) {
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.once('connect', () => reject(new Error(`${what} connected, expected connect_error`)));
      socket.once('connect_error', (err) => resolve(err));
    }),
    `connect_error of ${what}`,
  );
}

// One connected socket on its own manager (own engine connection).
async function connect(nsp = '/', token = 'good') {
  const manager = new Manager(ARGS.url, clientOptions());
  const engineInfo = watchEngine(manager);
  const socket = manager.socket(nsp, { auth: auth(token) });
  await waitConnect(socket, nsp);
  await settleTransport(manager);
  return { manager, socket, engineInfo };
}

// Emit with an ack and resolve with ALL ack arguments (emitWithAck keeps only the first).
function ack(socket, event, ...args) {
  return withTimeout(
    new Promise((resolve, reject) => {
      socket.timeout(T).emit(event, ...args, (err, ...res) => (err ? reject(err) : resolve(res)));
    }),
    `ack of ${event}`,
    T + 1000,
  );
}

function collector(socket, event) {
  const got = [];
  socket.on(event, (...a) => got.push(a.length === 1 ? a[0] : a));
  return got;
}

function closeAll(...sockets) {
  for (const s of sockets) s.disconnect();
}

const scenarios = {
  async connect_ok() {
    const { manager, socket, engineInfo } = await connect('/');
    out({
      event: 'connected',
      sid: socket.id,
      initial_transport: engineInfo.initial,
      transport: manager.engine.transport.name,
    });
    const [who] = await ack(socket, 'whoami');
    out({ event: 'whoami', ...who });
    closeAll(socket);
  },

  async connect_rejected() {
    for (const token of ['bad', 'false']) {
      const socket = io(ARGS.url, clientOptions({ auth: auth(token) }));
      const err = await waitConnectError(socket, `token ${token}`);
      out({ event: 'connect_error', token, message: err.message, data: describe(err.data ?? null) });
      socket.disconnect();
    }
  },

  async namespaces() {
    const manager = new Manager(ARGS.url, clientOptions());
    const root = manager.socket('/', { auth: auth() });
    const chat = manager.socket('/chat', { auth: auth() });
    await Promise.all([waitConnect(root, '/'), waitConnect(chat, '/chat')]);
    await settleTransport(manager);
    out({ event: 'connected', root: root.id, chat: chat.id });
    const said = once(chat, 'said', "the 'said' event");
    const [reply] = await ack(chat, 'say', 'hello');
    const [saidArgs] = await said;
    out({ event: 'say_ack', reply, said: saidArgs });
    const [who] = await ack(chat, 'whoami');
    out({ event: 'whoami', namespace: '/chat', ...who });
    const bad = manager.socket('/nope', { auth: auth() });
    const err = await waitConnectError(bad, '/nope');
    out({ event: 'connect_error', namespace: '/nope', message: err.message, data: describe(err.data ?? null) });
    // the other namespaces on the same connection survive the rejection
    const [again] = await ack(root, 'sync');
    out({ event: 'still_connected', ack: again });
    closeAll(bad, chat, root);
  },

  async acks() {
    const { socket } = await connect('/');
    out({ event: 'ack', name: 'echo', args: describe(await ack(socket, 'echo', 'a', 1, { x: [1, 2, null] }, [true, false])) });
    out({ event: 'ack', name: 'echo_empty', args: describe(await ack(socket, 'echo')) });
    out({ event: 'ack', name: 'multi', args: describe(await ack(socket, 'multi')) });

    // server call() answered by this client
    socket.on('question', (a, b, cb) => cb(a + b));
    out({ event: 'ack', name: 'please_call', args: await ack(socket, 'please_call', 2, 3) });

    // server call() that times out: the answer comes only after the server gave up
    let lateCb = null;
    socket.on('question_ignored', (_q, cb) => {
      lateCb = cb;
    });
    out({ event: 'ack', name: 'please_call_timeout', args: await ack(socket, 'please_call_timeout') });
    if (lateCb) lateCb('too late'); // the server must ignore an ack it no longer waits for
    out({ event: 'ack', name: 'sync_after_late_ack', args: await ack(socket, 'sync') });

    // server emit with a callback
    socket.on('ping_me', (payload, cb) => cb('pong', payload));
    const done = once(socket, 'cb_done', "the 'cb_done' event");
    const sent = await ack(socket, 'please_emit_cb', { n: 7 });
    const [cbArgs] = await done;
    out({ event: 'ack', name: 'please_emit_cb', args: sent, callback_args: describe(cbArgs) });
    closeAll(socket);
  },

  async binary() {
    const big = Buffer.alloc(100 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
    const payload = {
      raw: Buffer.from([0, 1, 2, 255]),
      // socket.io-parser sends any typed array as an attachment; notepack.io (msgpack)
      // encodes a bare Uint8Array as an ext type, so only Buffers are bytes there
      list: [Buffer.from('abc'), { deep: ARGS.parser === 'msgpack' ? Buffer.from([9, 8, 7]) : Uint8Array.from([9, 8, 7]) }, 'text', 5],
      big,
    };
    const { socket } = await connect('/');
    const back = once(socket, 'bin_back', "the 'bin_back' event");
    const [reply] = await ack(socket, 'bin_echo', payload);
    const backArgs = await back;
    out({
      event: 'binary',
      sent: describe(payload),
      echo: describe(reply.echo),
      seen: reply.seen,
      made: describe(reply.made),
      nested: describe(reply.nested),
      bin_back: describe(backArgs),
    });
    closeAll(socket);
  },

  async rooms() {
    const clients = {};
    for (const name of ['a', 'b', 'c']) {
      const { socket } = await connect('/');
      clients[name] = { socket, got: collector(socket, 'room_msg') };
    }
    const { a, b, c } = clients;
    const sids = { a: a.socket.id, b: b.socket.id, c: c.socket.id };
    out({ event: 'sids', ...sids });

    async function step(name, action) {
      const result = await action();
      // each client syncs after the action: anything the server sent it before the
      // action's ack precedes the sync ack on that client's ordered connection
      await Promise.all(Object.values(clients).map((cl) => ack(cl.socket, 'sync')));
      const received = {};
      for (const [k, cl] of Object.entries(clients)) received[k] = cl.got.splice(0);
      out({ event: 'step', name, result: describe(result), received });
    }

    await step('join', async () => ({
      a: (await ack(a.socket, 'join', 'r1'))[0],
      b: (await ack(b.socket, 'join', 'r1'))[0],
      c: (await ack(c.socket, 'join', 'r2'))[0],
    }));
    await step('to_r1', () => ack(a.socket, 'to_room', 'r1', 'm1', false));
    await step('to_r1_skip_self', () => ack(a.socket, 'to_room', 'r1', 'm2', true));
    await step('to_r1_r2', () => ack(a.socket, 'to_room', ['r1', 'r2'], 'm3', false));
    await step('b_leaves', () => ack(b.socket, 'leave', 'r1'));
    await step('to_r1_after_leave', () => ack(a.socket, 'to_room', 'r1', 'm4', false));
    await step('to_sid_b', () => ack(c.socket, 'to_room', sids.b, 'm5', false));
    await step('rooms_a', async () => (await ack(a.socket, 'whoami'))[0].rooms);
    await step('close_r1', () => ack(c.socket, 'close', 'r1'));
    await step('to_r1_after_close', () => ack(a.socket, 'to_room', 'r1', 'm6', false));
    await step('rooms_a_after_close', async () => (await ack(a.socket, 'whoami'))[0].rooms);
    closeAll(a.socket, b.socket, c.socket);
  },

  async catch_all() {
    const manager = new Manager(ARGS.url, clientOptions());
    const root = manager.socket('/', { auth: auth() });
    const other = manager.socket('/other', { auth: auth() });
    await Promise.all([waitConnect(root, '/'), waitConnect(other, '/other')]);
    await settleTransport(manager);
    out({ event: 'connected', root: root.id, other: other.id });
    out({ event: 'ack', name: 'catch_all', args: await ack(root, 'not_declared', 1, 'two', { three: 3 }) });
    out({ event: 'ack', name: 'any_namespace', args: await ack(other, 'whatever', 'x') });
    closeAll(other, root);
  },

  async sessions() {
    const manager = new Manager(ARGS.url, clientOptions());
    const root = manager.socket('/', { auth: auth() });
    const chat = manager.socket('/chat', { auth: auth() });
    await Promise.all([waitConnect(root, '/'), waitConnect(chat, '/chat')]);
    await settleTransport(manager);
    await ack(root, 'sess_set', 'color', 'red');
    await ack(root, 'sess_ctx', 'size', 3);
    out({ event: 'session', namespace: '/', value: (await ack(root, 'sess_get'))[0] });
    out({ event: 'session', namespace: '/chat', value: (await ack(chat, 'sess_get'))[0] });
    await ack(chat, 'sess_ctx', 'n', 1);
    out({ event: 'session', namespace: '/chat', value: (await ack(chat, 'sess_get'))[0] });
    out({ event: 'session', namespace: '/', value: (await ack(root, 'sess_get'))[0] });
    closeAll(chat, root);
  },

  async disconnect_client() {
    const { socket } = await connect('/');
    out({ event: 'connected', sid: socket.id });
    const gone = once(socket, 'disconnect', "the 'disconnect' event");
    socket.disconnect();
    const [reason] = await gone;
    out({ event: 'disconnect', reason });
  },

  async disconnect_server() {
    const { socket } = await connect('/');
    out({ event: 'connected', sid: socket.id });
    const gone = once(socket, 'disconnect', "the 'disconnect' event");
    socket.emit('kick_me');
    const [reason] = await gone;
    out({ event: 'disconnect', reason });
  },

  async hold() {
    // connect, report, then stay until killed (the abrupt-close scenario)
    const { manager, socket } = await connect('/');
    out({ event: 'connected', sid: socket.id, transport: manager.engine.transport.name });
    await new Promise(() => setInterval(() => {}, 1000));
  },

  async burst() {
    const N = Number(ARGS.count || 200);
    const { socket } = await connect('/');
    // server -> client first: N events, then an ack; all must arrive in order
    const got = collector(socket, 'burst');
    const [count] = await ack(socket, 'burst_back', N);
    await ack(socket, 'sync');
    out({ event: 'burst_result', count, received: got });
    // client -> server: N events emitted at once (on polling they share a POST)
    for (let i = 0; i < N; i++) socket.emit('seq', i);
    try {
      const [received] = await ack(socket, 'seq_done');
      out({ event: 'seq_result', received });
    } catch (err) {
      out({ event: 'seq_result', error: err.message });
    }
    closeAll(socket);
  },
};

async function main() {
  const scenario = scenarios[ARGS.scenario];
  if (!scenario) throw new Error(`unknown scenario ${ARGS.scenario}`);
  out({ event: 'start', scenario: ARGS.scenario, transport: ARGS.transport, parser: ARGS.parser });
  await scenario();
  out({ event: 'done' });
  // let pending writes (a DISCONNECT or CLOSE on polling) drain, but never hang
  setTimeout(() => process.exit(0), 1000).unref();
}

main().catch((err) => {
  out({ event: 'error', message: String(err && err.stack ? err.stack : err) });
  process.exit(1);
});
