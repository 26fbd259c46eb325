#!/usr/bin/env node
// Node `ws` echo client for hybi's broadcast interop test.
//
//   node echo_client.js URL   connect to URL offering permessage-deflate
//                             (with context takeover) and send every message
//                             back as it was decoded, until the server closes.
'use strict';

const { WebSocket } = require('ws');

// threshold 0: the echoes are compressed too, whatever their size.
const ws = new WebSocket(process.argv[2], { maxPayload: 4 << 20, perMessageDeflate: { threshold: 0 } });
ws.on('open', () => {
  process.stdout.write(JSON.stringify({ event: 'open', msg: ws.extensions }) + '\n');
});
ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
ws.on('close', (code) => {
  process.stdout.write(JSON.stringify({ event: 'closed', code }) + '\n');
});
ws.on('error', (err) => {
  process.stdout.write(JSON.stringify({ event: 'error', msg: String(err) }) + '\n');
  process.exit(1);
});
