// The built-in chat page in a real browser: Debian's Chromium, driven by
// playwright-core, against `wsc --listen`, chatting with wsc clients by
// name (and, with --plain, without names).
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

// The page's log: every li's text.
async function logOf(page) {
  return page.locator('#log li').allTextContents();
}

// Until the page's log has a line whose text is exactly text.
async function pageShows(page, text) {
  await page.waitForFunction((m) => [...document.querySelectorAll('#log li')]
    .some((li) => li.textContent === m), text, { timeout: 10000 });
}

// A wsc client on pipes (-q -w inf): its stdout lines.
function terminal(t, port) {
  const client = spawn(WSC, ['-q', '-w', 'inf', `ws://127.0.0.1:${port}/`],
                       { stdio: ['pipe', 'pipe', 'inherit'] });
  t.after(() => client.kill('SIGKILL'));
  return { client, out: lines(client.stdout) };
}

// Until the server reports a join matching re.
async function joined(serverErr, re) {
  for (;;) {
    const l = await serverErr(10000, 'a client joining');
    if (re.test(l)) return l;
  }
}

test('chat page and two terminal clients talk through wsc --listen, by name', async (t) => {
  const { server, serverErr, port } = await listen(t);
  const page = await newPage(t);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() =>
    document.getElementById('state').textContent === 'OPEN (1)', null, { timeout: 10000 });
  // the room named the page; it learnt its name from the welcome
  await pageShows(page, '* you are guest-1; send /nick NAME to change your name');
  await page.waitForFunction(() => document.getElementById('name').value === 'guest-1',
    null, { timeout: 10000 });

  const one = terminal(t, port);
  await joined(serverErr, /^wsc: guest-2 joined /);
  assert.equal(await one.out(10000, 'the welcome'),
    '* you are guest-2; send /nick NAME to change your name');
  const two = terminal(t, port);
  await joined(serverErr, /^wsc: guest-3 joined /);
  assert.equal(await two.out(10000, 'the welcome'),
    '* you are guest-3; send /nick NAME to change your name');
  assert.equal(await one.out(10000, 'the join'), '* guest-3 joined');
  await pageShows(page, '* guest-3 joined');

  // the page takes a name with its name field: the terminals hear it
  await page.fill('#name', 'alice');
  await page.press('#name', 'Enter');
  assert.equal(await one.out(10000, 'the rename'), '* guest-1 is now alice');
  assert.equal(await two.out(10000, 'the rename'), '* guest-1 is now alice');
  await pageShows(page, '* you are now alice');

  // page -> terminals, under its name; the page shows its line the same way
  await page.fill('#text', 'hello from the browser');
  await page.press('#text', 'Enter');
  assert.equal(await one.out(10000, 'the browser message'), 'alice: hello from the browser');
  assert.equal(await two.out(10000, 'the browser message'), 'alice: hello from the browser');
  await pageShows(page, 'alice: hello from the browser');

  // terminal -> page, under the terminal's name, as text, never as HTML
  one.client.stdin.write('hi from the terminal <b>x</b>\n');
  await pageShows(page, 'guest-2: hi from the terminal <b>x</b>');
  assert.equal(await page.locator('#log b').count(), 0, 'markup was injected');
  assert.equal(await two.out(10000, 'the terminal message'),
    'guest-2: hi from the terminal <b>x</b>');

  // a name that is taken: the room says so to the page alone, and the
  // field shows the name the page still has
  await page.fill('#name', 'host');
  await page.press('#name', 'Enter');
  await pageShows(page, '* name "host" is taken');
  await page.waitForFunction(() => document.getElementById('name').value === 'alice',
    null, { timeout: 10000 });

  // the send button works too; the terminals heard nothing in between
  await page.fill('#text', 'clicked');
  await page.click('#send');
  assert.equal(await one.out(10000, 'the clicked message'), 'alice: clicked');
  assert.equal(await two.out(10000, 'the clicked message'), 'alice: clicked');

  // the server stops: the page shows CLOSED (3)
  server.kill('SIGTERM');
  const [code] = await once(server, 'exit');
  assert.equal(code, 0, 'wsc --listen exit status');
  await page.waitForFunction(() =>
    document.getElementById('state').textContent === 'CLOSED (3)', null, { timeout: 10000 });
  const log = await logOf(page);
  assert.ok(log.includes('closed (1001)'), 'page log: ' + JSON.stringify(log));
});

test('with --plain the page has no name field and shows messages as sent', async (t) => {
  const { server, serverErr, port } = await listen(t, ['--plain']);
  const page = await newPage(t);
  await page.goto(`http://127.0.0.1:${port}/`);
  await page.waitForFunction(() =>
    document.getElementById('state').textContent === 'OPEN (1)', null, { timeout: 10000 });
  assert.equal(await page.locator('#name').isHidden(), true, 'the name field is shown');
  const one = terminal(t, port);
  await joined(serverErr, /^wsc: client #2 joined /);
  await page.fill('#text', '/nick alice');
  await page.press('#text', 'Enter');
  assert.equal(await one.out(10000, 'the page message'), '/nick alice');
  await pageShows(page, '/nick alice');
  one.client.stdin.write('* you are now bob\n');
  await pageShows(page, '* you are now bob');
  server.kill('SIGTERM');
  const [code] = await once(server, 'exit');
  assert.equal(code, 0, 'wsc --listen exit status');
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
  assert.equal(joined, 'wsc: guest-1 joined (client #1 from 127.0.0.1, subprotocol chat.v2)');
  const log = await page.locator('#log li').allTextContents();
  assert.ok(log.includes('connected (subprotocol chat.v2)'), 'page log: ' + JSON.stringify(log));

  // and it chats: the page's message reaches the server's stdout
  const serverOut = lines(server.stdout);
  await page.fill('#text', 'with a subprotocol');
  await page.press('#text', 'Enter');
  assert.equal(await serverOut(10000, 'the page message'), 'guest-1: with a subprotocol');
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
    'wsc: guest-1 joined (client #1 from 127.0.0.1, permessage-deflate)');

  // a second socket in the page: what Chromium agreed, and a relayed
  // message that wsc compressed for it
  const long = 'compress me '.repeat(200);
  const seen = page.evaluate(([url, text]) => new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.onerror = () => reject(new Error('page socket failed'));
    ws.onopen = () => { window.__ext = ws.extensions; window.__ready = true; };
    ws.onmessage = (e) => {     // past what the room says ("* ...")
      if (!e.data.startsWith('* ')) resolve({ ext: ws.extensions, data: e.data, text });
    };
  }), [`ws://127.0.0.1:${port}/`, long]);
  await page.waitForFunction(() => window.__ready === true, null, { timeout: 10000 });
  assert.equal(await serverErr(10000, 'the second socket joining'),
    'wsc: guest-2 joined (client #2 from 127.0.0.1, permessage-deflate)');
  assert.equal(await page.evaluate(() => window.__ext),
    'permessage-deflate; server_no_context_takeover');

  // the chat page sends compressed; the room inflates, prints and relays
  await page.fill('#text', long);
  await page.press('#text', 'Enter');
  assert.equal(await serverOut(10000, 'the page message'), 'guest-1: ' + long);
  const got = await seen;
  assert.equal(got.data, 'guest-1: ' + long);
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
  assert.match(await serverErr(10000, 'the page joining'),
    /^wsc: guest-1 joined \(client #1 from 127\.0\.0\.1\)$/);
});

// The classic chat page a room must still serve unchanged: it appends each
// evt.data to a div as text and sends what is typed, nothing more. What
// the room says (names, joins, leaves, renames) is plain text it shows.
const SEED_PAGE = `<!doctype html><title>seed</title>
<div id="chat"></div>
<script>
  const chat = document.getElementById('chat');
  const ws = new WebSocket(new URLSearchParams(location.search).get('ws'));
  ws.onmessage = (evt) => {
    const line = document.createElement('div');
    line.textContent = evt.data;
    chat.appendChild(line);
  };
  window.say = (text) => ws.send(text);
  window.ready = new Promise((resolve) => { ws.onopen = resolve; });
</script>`;

test('the classic seed page chats by name with a terminal, unchanged', async (t) => {
  const seed = http.createServer((req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html' });
    res.end(SEED_PAGE);
  });
  seed.listen(0, '127.0.0.1');
  await once(seed, 'listening');
  t.after(() => seed.close());
  const origin = `http://127.0.0.1:${seed.address().port}`;
  const { serverErr, port } = await listen(t, ['--allow-origin', origin]);
  const page = await newPage(t);
  await page.goto(`${origin}/?ws=ws://127.0.0.1:${port}/`);
  await page.evaluate(() => window.ready);
  const shows = (text) => page.waitForFunction((m) =>
    [...document.querySelectorAll('#chat div')].some((d) => d.textContent === m),
    text, { timeout: 10000 });
  await shows('* you are guest-1; send /nick NAME to change your name');

  const one = terminal(t, port);
  await joined(serverErr, /^wsc: guest-2 joined /);
  assert.equal(await one.out(10000, 'the welcome'),
    '* you are guest-2; send /nick NAME to change your name');
  await shows('* guest-2 joined');
  one.client.stdin.write('hello seed\n');
  await shows('guest-2: hello seed');

  await page.evaluate(() => window.say('/nick carol'));
  await shows('* you are now carol');
  assert.equal(await one.out(10000, 'the rename'), '* guest-1 is now carol');
  await page.evaluate(() => window.say('hi terminal'));
  assert.equal(await one.out(10000, 'the page message'), 'carol: hi terminal');

  one.client.kill('SIGTERM');   // the terminal leaves (it closes with 1001)
  await shows('* guest-2 left');
});
