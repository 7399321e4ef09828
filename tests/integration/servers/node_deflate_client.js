// node-ws client offering permessage-deflate (node ws' own default offer,
// threshold 0 so every message is compressed): node node_deflate_client.js
// URL. As node_client.js, but "open" reports the negotiated extensions.
'use strict';
const readline = require('readline');
const WebSocket = require('ws');

const ws = new WebSocket(process.argv[2], {
  perMessageDeflate: { threshold: 0 },
});
const pending = [];
let open = false;
let inputDone = false;

ws.on('open', () => {
  open = true;
  process.stderr.write('open ' + ws.extensions + '\n');
  for (const m of pending.splice(0)) ws.send(m);
  if (inputDone) ws.close(1000);
});
ws.on('message', (data) => {
  process.stdout.write(data.toString() + '\n');
});
ws.on('close', (code, reason) => {
  process.stderr.write('close ' + code + ' ' + reason.toString() + '\n');
  process.stdout.end(() => process.exit(0));
});
ws.on('error', (err) => {
  process.stderr.write('error ' + err.message + '\n');
  process.exit(1);
});

const rl = readline.createInterface({ input: process.stdin });
rl.on('line', (line) => {
  if (open) ws.send(line);
  else pending.push(line);
});
rl.on('close', () => {
  inputDone = true;
  if (open) ws.close(1000);
});
