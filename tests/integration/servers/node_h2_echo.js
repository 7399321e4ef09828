// WebSocket over HTTP/2 (RFC 8441) echo server on Node's own http2 module,
// with its own small frame decoder: node-ws cannot attach to an HTTP/2
// stream. Prints its port as its first line, and each request's header
// block as one JSON line on stderr.
// argv: MODE [CERT KEY]   (with CERT and KEY: TLS, ALPN h2; else h2c)
//   echo       enableConnectProtocol; 200, then every text or binary
//              message echoed, a Ping answered, the Close echoed and the
//              stream ended
//   noconnect  the SETTINGS do not enable the extended CONNECT
//   refuse     403 with a text body
//   (any mode) a request for /old is answered 301 with Location /new
//   reset      answers the first message with RST_STREAM INTERNAL_ERROR
//              (what Node sends for a stream destroyed with an error)
//   goaway     answers the first message with GOAWAY INTERNAL_ERROR
//   sink       echoes nothing but the Close; then prints on stderr
//              "received N messages, B bytes"
// A client frame that is not masked resets the stream (PROTOCOL_ERROR):
// RFC 6455 5.1 holds over HTTP/2 too.
'use strict';
const http2 = require('http2');
const fs = require('fs');

const [mode, certFile, keyFile] = process.argv.slice(2);
const settings = { enableConnectProtocol: mode !== 'noconnect' };
const server = certFile
  ? http2.createSecureServer({ settings, allowHTTP1: false,
    cert: fs.readFileSync(certFile), key: fs.readFileSync(keyFile) })
  : http2.createServer({ settings });

function frame(op, payload) {
  const n = payload.length;
  let head;
  if (n < 126) {
    head = Buffer.from([0x80 | op, n]);
  } else if (n < 65536) {
    head = Buffer.alloc(4);
    head[1] = 126;
    head.writeUInt16BE(n, 2);
  } else {
    head = Buffer.alloc(10);
    head[1] = 127;
    head.writeBigUInt64BE(BigInt(n), 2);
  }
  head[0] = 0x80 | op;
  return Buffer.concat([head, payload]);
}

// Whole frames off the front of buf, unmasked: [{op, payload}], the rest.
function decode(buf) {
  const frames = [];
  for (;;) {
    if (buf.length < 2) break;
    if (!(buf[1] & 0x80)) return { frames, rest: buf, unmasked: true };
    let n = buf[1] & 0x7f;
    let off = 2;
    if (n === 126) {
      if (buf.length < 4) break;
      n = buf.readUInt16BE(2);
      off = 4;
    } else if (n === 127) {
      if (buf.length < 10) break;
      n = Number(buf.readBigUInt64BE(2));
      off = 10;
    }
    if (buf.length < off + 4 + n) break;
    const key = buf.subarray(off, off + 4);
    const payload = Buffer.from(buf.subarray(off + 4, off + 4 + n));
    for (let i = 0; i < n; i++) payload[i] ^= key[i & 3];
    frames.push({ op: buf[0] & 0x0f, payload });
    buf = buf.subarray(off + 4 + n);
  }
  return { frames, rest: buf, unmasked: false };
}

server.on('stream', (stream, headers) => {
  stream.on('error', () => {});
  process.stderr.write(JSON.stringify(headers) + '\n');
  if (headers[':method'] !== 'CONNECT' ||
      headers[':protocol'] !== 'websocket' ||
      headers['sec-websocket-version'] !== '13') {
    stream.respond({ ':status': 400 });
    stream.end('not a WebSocket request\n');
    return;
  }
  if (headers[':path'] === '/old') {
    stream.respond({ ':status': 301, location: '/new' });
    stream.end();
    return;
  }
  if (mode === 'refuse') {
    stream.respond({ ':status': 403, 'content-type': 'text/plain' });
    stream.end('no entry here\n');
    return;
  }
  stream.respond({ ':status': 200 });
  let buf = Buffer.alloc(0);
  let closed = false;
  let messages = 0;
  let bytes = 0;
  stream.on('data', (chunk) => {
    if (closed) return;
    const d = decode(Buffer.concat([buf, chunk]));
    buf = d.rest;
    for (const f of d.frames) {
      if (f.op === 8) {
        if (mode === 'sink') {
          process.stderr.write(`received ${messages} messages, ${bytes} bytes\n`);
        }
        closed = true;
        stream.end(frame(8, f.payload));
        return;
      }
      if (f.op === 9) {
        stream.write(frame(10, f.payload));
      } else if (mode === 'reset') {
        closed = true;
        stream.destroy(new Error('reset on purpose'));
        return;
      } else if (mode === 'goaway') {
        closed = true;
        stream.session.goaway(http2.constants.NGHTTP2_INTERNAL_ERROR);
        return;
      } else if (mode === 'sink') {
        messages += f.op !== 0 ? 1 : 0;
        bytes += f.payload.length;
      } else if (f.op === 1 || f.op === 2) {
        stream.write(frame(f.op, f.payload));
      }
    }
    if (d.unmasked) {
      closed = true;
      stream.close(http2.constants.NGHTTP2_PROTOCOL_ERROR);
    }
  });
});
// H2_UNIX_SOCKET=PATH: listen on that Unix socket instead (prints 0)
if (process.env.H2_UNIX_SOCKET) {
  server.listen(process.env.H2_UNIX_SOCKET, () => process.stdout.write('0\n'));
} else {
  server.listen(0, '127.0.0.1', () => {
    process.stdout.write(server.address().port + '\n');
  });
}
process.on('SIGTERM', () => process.exit(0));
