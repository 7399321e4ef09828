// node-ws echo server on 127.0.0.1:0; prints its port as its first line.
// argv: [subprotocol ...] subprotocols it accepts (the first offered one
// that is in the list); none: no subprotocol is chosen.
'use strict';
const { WebSocketServer } = require('ws');

// --deflate: permessage-deflate allowed (ws's server default is off)
const accepted = process.argv.slice(2).filter((a) => a !== '--deflate');
const opts = { host: '127.0.0.1', port: 0, maxPayload: 0,
  perMessageDeflate: process.argv.includes('--deflate') };
if (accepted.length) {
  opts.handleProtocols = (offered) => {
    for (const p of offered) {
      if (accepted.includes(p)) return p;
    }
    return false;
  };
}
const wss = new WebSocketServer(opts);
wss.on('listening', () => {
  process.stdout.write(wss.address().port + '\n');
});
wss.on('connection', (ws) => {
  // a peer's protocol error closes its connection (1002), not the server
  ws.on('error', () => {});
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
});
process.on('SIGTERM', () => process.exit(0));
