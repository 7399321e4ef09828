// node-ws client for tests: node node_client.js [--deflate] URL
// [subprotocol ...]. --deflate: offer permessage-deflate with threshold 0
// (every message compressed); "open" then reports the extensions.
// Each stdin line is sent as one text message (lines read before the
// connection opens are queued); each received message is printed on stdout,
// one per line. stderr gets "open PROTOCOL" once connected and
// "close CODE REASON" at the end. End of stdin: Close 1000, then exit when
// the server's Close arrives. Exit status 0 after a close, 1 on error.
'use strict';
const readline = require('readline');
const WebSocket = require('ws');

const args = process.argv.slice(2);
const deflate = args[0] === '--deflate';
const [url, ...protocols] = deflate ? args.slice(1) : args;
const ws = new WebSocket(url, protocols,
  deflate ? { perMessageDeflate: { threshold: 0 } } : {});
const pending = [];
let open = false;
let inputDone = false;

ws.on('open', () => {
  open = true;
  process.stderr.write('open ' + (deflate ? ws.extensions :
    ws.protocol || '-') + '\n');
  for (const m of pending.splice(0)) ws.send(m);
  if (inputDone) ws.close(1000);
});
ws.on('message', (data, isBinary) => {
  process.stdout.write(isBinary ? data.toString('hex') : data.toString());
  process.stdout.write('\n');
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
