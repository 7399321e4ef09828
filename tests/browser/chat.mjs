// The built-in chat page in a real browser: Debian's Chromium, driven by
// playwright-core, against `wsc --listen`, chatting with a wsc client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// playwright-core comes from `npm ci` in this directory (tools/run-tests
// runs it); without it the test fails, saying so.
const { chromium } = await import('playwright-core').catch((e) => {
  throw new Error('playwright-core is not installed in tests/browser ' +
    '(`npm ci` there installs it): ' + e.message);
});

const here = path.dirname(fileURLToPath(import.meta.url));
const WSC = process.env.WSC || path.join(here, '..', '..', 'build-test', 'src', 'wsc');
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

// Lines of a stream, awaitable one by one, with a deadline.
function lines(stream) {
  const queue = [], waiters = [];
  createInterface({ input: stream }).on('line', (l) => {
    const w = waiters.shift();
    if (w) w(l); else queue.push(l);
  });
  return (ms = 10000, what = 'a line') => new Promise((resolve, reject) => {
    if (queue.length) return resolve(queue.shift());
    const t = setTimeout(() => reject(new Error('timed out waiting for ' + what)), ms);
    waiters.push((l) => { clearTimeout(t); resolve(l); });
  });
}

// `wsc -l 127.0.0.1:0 ARGS`: the server, its stderr lines and its port.
async function listen(t, args = []) {
  const server = spawn(WSC, ['-l', '127.0.0.1:0', ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
  t.after(() => server.kill('SIGKILL'));
  const serverErr = lines(server.stderr);
  const first = await serverErr(10000, 'the listening line');
  const m = /^wsc: listening on 127\.0\.0\.1:(\d+)$/.exec(first);
  assert.ok(m, 'unexpected first line: ' + first);
  // then where the page is: the URL this test opens
  assert.equal(await serverErr(10000, 'the page line'),
    'wsc: the chat page: http://127.0.0.1:' + m[1] + '/');
  return { server, serverErr, port: m[1] };
}

async function newPage(t) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update',
           '--disable-sync'],
  });
  t.after(() => browser.close());
  return browser.newPage();
}

test('chat page and a terminal client talk through wsc --listen', async (t) => {
  const { server, serverErr, port } = await listen(t);
  const page = await newPage(t);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() =>
    document.getElementById('state').textContent === 'OPEN (1)', null, { timeout: 10000 });

  const client = spawn(WSC, ['-q', '-w', 'inf', `ws://127.0.0.1:${port}/`],
                       { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => client.kill('SIGKILL'));
  const clientOut = lines(client.stdout);
  // the server reports each join: wait for the client's before chatting
  for (;;) {
    const l = await serverErr(10000, 'the client joining');
    if (/client #2 joined/.test(l)) break;
  }

  // page -> terminal client
  await page.fill('#text', 'hello from the browser');
  await page.press('#text', 'Enter');
  assert.equal(await clientOut(10000, 'the browser message'), 'hello from the browser');

  // terminal client -> page, shown as text, never as HTML
  client.stdin.write('hi from the terminal <b>x</b>\n');
  await page.waitForFunction(() => [...document.querySelectorAll('#log li')]
    .some((li) => li.textContent === 'hi from the terminal <b>x</b>'),
    null, { timeout: 10000 });
  assert.equal(await page.locator('#log b').count(), 0, 'markup was injected');

  // the send button works too
  await page.fill('#text', 'clicked');
  await page.click('#send');
  assert.equal(await clientOut(10000, 'the clicked message'), 'clicked');

  // the server stops: the page shows CLOSED (3)
  server.kill('SIGTERM');
  const [code] = await once(server, 'exit');
  assert.equal(code, 0, 'wsc --listen exit status');
  await page.waitForFunction(() =>
    document.getElementById('state').textContent === 'CLOSED (3)', null, { timeout: 10000 });
  const log = await page.locator('#log li').allTextContents();
  assert.ok(log.includes('closed (1001)'), 'page log: ' + JSON.stringify(log));
});

test('chat page offers the room subprotocols (-s X --require-subprotocol)', async (t) => {
  const { server, serverErr, port } = await listen(t,
    ['-s', 'chat.v2', '-s', 'chat', '--require-subprotocol']);
  const page = await newPage(t);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() =>
    document.getElementById('state').textContent === 'OPEN (1)', null, { timeout: 10000 });
  // the first one it offers that the room has, as the server reports it
  const joined = await serverErr(10000, 'the page joining');
  assert.equal(joined, 'wsc: client #1 joined from 127.0.0.1, subprotocol chat.v2');
  const log = await page.locator('#log li').allTextContents();
  assert.ok(log.includes('connected (subprotocol chat.v2)'), 'page log: ' + JSON.stringify(log));

  // and it chats: the page's message reaches the server's stdout
  const serverOut = lines(server.stdout);
  await page.fill('#text', 'with a subprotocol');
  await page.press('#text', 'Enter');
  assert.equal(await serverOut(10000, 'the page message'), 'with a subprotocol');
  server.kill('SIGTERM');
  const [code] = await once(server, 'exit');
  assert.equal(code, 0, 'wsc --listen exit status');
});

test('with --deflate the page negotiates permessage-deflate and chats compressed', async (t) => {
  const { server, serverErr, port } = await listen(t, ['--deflate']);
  const serverOut = lines(server.stdout);
  const page = await newPage(t);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() =>
    document.getElementById('state').textContent === 'OPEN (1)', null, { timeout: 10000 });
  // Chromium always offers it; the room takes it only with --deflate
  assert.equal(await serverErr(10000, 'the page joining'),
    'wsc: client #1 joined from 127.0.0.1, permessage-deflate');

  // a second socket in the page: what Chromium agreed, and a relayed
  // message that wsc compressed for it
  const long = 'compress me '.repeat(200);
  const seen = page.evaluate(([url, text]) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onerror = () => reject(new Error('page socket failed'));
    ws.onopen = () => { window.__ext = ws.extensions; window.__ready = true; };
    ws.onmessage = (e) => resolve({ ext: ws.extensions, data: e.data, text });
  }), [`ws://127.0.0.1:${port}/`, long]);
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 10000 });
  assert.equal(await serverErr(10000, 'the second socket joining'),
    'wsc: client #2 joined from 127.0.0.1, permessage-deflate');
  assert.equal(await page.evaluate(() => window.__ext),
    'permessage-deflate; server_no_context_takeover');

  // the chat page sends compressed; the room inflates, prints and relays
  await page.fill('#text', long);
  await page.press('#text', 'Enter');
  assert.equal(await serverOut(10000, 'the page message'), long);
  const got = await seen;
  assert.equal(got.data, long);
  // and what the room sends the page arrives inflated
  server.stdin.write('from the room '.repeat(100) + '\n');
  await page.waitForFunction((m) => [...document.querySelectorAll('#log li')]
    .some((li) => li.textContent.includes(m)), 'from the room from the room',
    { timeout: 10000 });
  server.kill('SIGTERM');
  const [code] = await once(server, 'exit');
  assert.equal(code, 0, 'wsc --listen exit status');
});

test('a page of another site cannot join the room; the page by localhost can', async (t) => {
  const { serverErr, port } = await listen(t);
  // another site: a page served from another port of this machine
  const other = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end('<!doctype html><title>other</title>');
  });
  other.listen(0, '127.0.0.1');
  await once(other, 'listening');
  t.after(() => other.close());
  const otherPort = other.address().port;
  const page = await newPage(t);
  await page.goto(`http://127.0.0.1:${otherPort}/`);
  const outcome = await page.evaluate((url) => new Promise((resolve) => {
    const ws = new WebSocket(url);
    ws.onopen = () => resolve('open');
    ws.onclose = (e) => resolve('closed ' + e.code);
  }), `ws://127.0.0.1:${port}/`);
  assert.equal(outcome, 'closed 1006', 'the other site\'s socket');
  assert.equal(await serverErr(10000, 'the refusal'),
    `wsc: refused a client from 127.0.0.1: Origin http://127.0.0.1:${otherPort} ` +
    'is not the room\'s own page (HTTP 403)');

  // the room's page under the name localhost: its own origin, let in
  await page.goto(`http://localhost:${port}/`);
  await page.waitForFunction(() =>
    document.getElementById('state').textContent === 'OPEN (1)', null, { timeout: 10000 });
  assert.match(await serverErr(10000, 'the page joining'), /^wsc: client #1 joined from 127\.0\.0\.1$/);
});
