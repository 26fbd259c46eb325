#!/usr/bin/env node
// Node `ws` peer for hybi's interop tests (see ../doc.go).
//
//   node peer.js server MODE        listen on 127.0.0.1, print {"event":"listening","port":N}
//   node peer.js client URL MODE    run the client script against a hybi server at URL
//
// MODE is "plain", or "deflate" to negotiate permessage-deflate.
// Every line on stdout is one JSON event; the Go test reads them.
'use strict';

const crypto = require('node:crypto');
const { WebSocket, WebSocketServer } = require('ws');

const SUBPROTOCOL = 'interop.v1';
const SIZES = [0, 125, 126, 65535, 65536, 1 << 20];
const TIMEOUT = 10000;
let deflate = false; // set from MODE

function emit(event) {
  process.stdout.write(JSON.stringify(event) + '\n');
}

// onClosed reports the close as the browser API does: code, reason, wasClean.
function onClosed(ws, path, done) {
  ws.addEventListener('close', (ev) => {
    emit({ event: 'closed', path, code: ev.code, reason: ev.reason, clean: ev.wasClean });
    if (done) done();
  });
}

function pingPeer(ws) {
  return withTimeout('pong', new Promise((resolve) => {
    ws.once('pong', (data) => resolve(data));
    ws.ping('peer-ping');
  }));
}

function withTimeout(what, promise) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), TIMEOUT);
    }),
  ]);
}

// ---- server: echo, plus commands -------------------------------------------

function server() {
  const wss = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    maxPayload: 2 << 20,
    perMessageDeflate: deflate,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  wss.on('listening', () => emit({ event: 'listening', port: wss.address().port }));
  wss.on('connection', (ws, req) => {
    onClosed(ws, req.url);
    ws.on('message', async (data, isBinary) => {
      const text = isBinary ? null : data.toString();
      if (text === 'cmd:ping') {
        await pingPeer(ws);
        ws.send('pong-received');
      } else if (text !== null && text.startsWith('cmd:close ')) {
        const [, code, ...reason] = text.split(' ');
        ws.close(Number(code), reason.join(' '));
      } else {
        ws.send(data, { binary: isBinary });
      }
    });
  });
  // Serve until the test closes stdin.
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}

// ---- client: the scripted conversation --------------------------------------

function payload(kind, size) {
  if (kind === 'text') {
    return 'abcdefghijklmnopqrstuvwxyz0123456789'.repeat(Math.ceil(size / 36) + 1).slice(0, size);
  }
  return crypto.randomBytes(size);
}

// open connects and returns the socket with a queue of incoming messages.
function open(url) {
  return withTimeout('open', new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['nope.v0', SUBPROTOCOL], { maxPayload: 2 << 20, perMessageDeflate: deflate });
    const queue = [];
    const waiting = [];
    ws.on('message', (data, isBinary) => {
      const msg = { data, isBinary };
      if (waiting.length) waiting.shift()(msg);
      else queue.push(msg);
    });
    ws.next = () => withTimeout('a message', queue.length
      ? Promise.resolve(queue.shift())
      : new Promise((res) => waiting.push(res)));
    ws.once('open', () => {
      if (ws.protocol !== SUBPROTOCOL) reject(new Error(`subprotocol ${JSON.stringify(ws.protocol)}, want ${SUBPROTOCOL}`));
      else resolve(ws);
    });
    ws.once('error', reject);
  }));
}

function closed(ws, path) {
  return withTimeout('the close', new Promise((resolve) => onClosed(ws, path, resolve)));
}

async function client(base) {
  // 1. echoes, pings both ways, then we close.
  let ws = await open(base + '/echo');
  let end = closed(ws, '/echo');
  for (const size of SIZES) {
    for (const kind of ['text', 'binary']) {
      const sent = payload(kind, size);
      ws.send(sent, { binary: kind === 'binary' });
      const got = await ws.next();
      const ok = got.isBinary === (kind === 'binary') &&
        Buffer.compare(got.data, Buffer.from(sent)) === 0;
      if (!ok) throw new Error(`echo of ${kind} ${size}: got ${got.isBinary ? 'binary' : 'text'} of ${got.data.length}`);
      emit({ event: 'echo', kind, size });
    }
  }
  await pingPeer(ws);
  emit({ event: 'pong' });
  ws.send('cmd:ping');
  const got = await ws.next();
  if (got.isBinary || got.data.toString() !== 'pong-received') throw new Error(`after cmd:ping got ${got.data}`);
  emit({ event: 'pinged' });
  ws.close(4001, 'bye from peer');
  await end;

  // 2. the server closes.
  ws = await open(base + '/server-closes');
  end = closed(ws, '/server-closes');
  ws.send('cmd:close 4002 bye from hybi');
  await end;
}

const args = process.argv.slice(2);
if (['plain', 'deflate'].includes(args[args.length - 1])) deflate = args.pop() === 'deflate';
const [mode, url] = args;
if (mode === 'server' && args.length === 1) {
  server();
} else if (mode === 'client' && args.length === 2) {
  client(url.replace(/\/$/, '')).then(
    () => { emit({ event: 'done' }); process.exit(0); },
    (err) => { emit({ event: 'error', msg: String(err && err.stack || err) }); process.exit(1); },
  );
} else {
  console.error('usage: peer.js server [MODE] | peer.js client URL [MODE]');
  process.exit(2);
}
