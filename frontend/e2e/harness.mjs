// Shared e2e harness: starts the real server binary on a free port with a
// fresh SQLite database, feeds it Diun's sample webhooks, and drives a real
// headless Chromium through playwright-core (never a downloaded browser).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
export const FRONTEND = path.resolve(here, '..');
export const ARTIFACTS = path.join(FRONTEND, 'e2e-artifacts');
export const SAMPLES = process.env.DIUN_WEBHOOK_SAMPLES ? path.resolve(process.env.DIUN_WEBHOOK_SAMPLES) : path.resolve(here, '../../../shared/diun-webhooks');

export function serverBinary() {
  const p = process.env.DIUN_DASHBOARD_BIN || '../target/debug/diun-dashboard';
  return path.resolve(FRONTEND, p);
}

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts the server. Returns { origin, baseUrl, stop, logs }.
 * baseUrl ends with "/" and includes the base path.
 */
export async function startServer({ basePath = '', env = {}, requireUi = true } = {}) {
  const bin = serverBinary();
  if (!fs.existsSync(bin)) throw new Error(`Server binary not found at ${bin}. Build it (cargo build -p diun-server) or set DIUN_DASHBOARD_BIN.`);
  const port = await freePort();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'diun-e2e-'));
  const childEnv = {
    ...process.env,
    DIUN_DASHBOARD_LISTEN: `127.0.0.1:${port}`,
    DIUN_DASHBOARD_DATABASE_URL: path.join(dir, 'test.db'),
    RUST_LOG: process.env.RUST_LOG || 'warn',
    ...env,
  };
  if (basePath) childEnv.DIUN_DASHBOARD_BASE_PATH = basePath;
  else delete childEnv.DIUN_DASHBOARD_BASE_PATH;
  const [cmd, args] = bin.endsWith('.mjs') || bin.endsWith('.js') ? [process.execPath, [bin]] : [bin, []];
  const child = spawn(cmd, args, { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  const logs = [];
  child.stdout.on('data', (d) => logs.push(d.toString()));
  child.stderr.on('data', (d) => logs.push(d.toString()));
  let exited = null;
  child.on('exit', (code, signal) => (exited = { code, signal }));

  const origin = `http://127.0.0.1:${port}`;
  const prefix = basePath ? `/${basePath.replace(/^\/+|\/+$/g, '')}/` : '/';
  const baseUrl = `${origin}${prefix}`;

  // Health check: /healthz, or under the base path when there is one.
  const health = [...new Set([`${baseUrl}healthz`, `${origin}/healthz`])];
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (exited) throw new Error(`Server exited early (${JSON.stringify(exited)}):\n${logs.join('')}`);
    const codes = await Promise.all(health.map((u) => fetch(u).then((r) => r.status, () => 0)));
    if (codes.includes(200)) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`Server did not answer GET /healthz with 200 within 30 s:\n${logs.join('')}`);
    }
    await sleep(100);
  }

  const stop = async () => {
    if (!exited) {
      child.kill('SIGTERM');
      for (let i = 0; i < 50 && !exited; i++) await sleep(100);
      if (!exited) child.kill('SIGKILL');
    }
    fs.rmSync(dir, { recursive: true, force: true });
  };

  if (requireUi) {
    // Fail fast, with the reason, when the binary was built without the embedded dashboard.
    const res = await fetch(baseUrl).catch((e) => ({ status: 0, text: async () => String(e) }));
    const body = await res.text();
    if (res.status !== 200 || !body.includes('<div id="root">')) {
      await stop();
      throw new Error(`${bin} does not serve the dashboard at ${baseUrl} (HTTP ${res.status}: ${body.slice(0, 200)}). Build it with the UI (the diun-server \`ui\` feature) after \`npm run build\`.`);
    }
  }
  return { origin, baseUrl, stop, logs, port };
}

export function sampleFiles() {
  return fs
    .readdirSync(SAMPLES)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ name: f, body: JSON.parse(fs.readFileSync(path.join(SAMPLES, f), 'utf8')) }));
}

export async function postWebhook(baseUrl, body) {
  const res = await fetch(new URL('webhook', baseUrl), {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'user-agent': 'diun/4.33.0 go/1.24 Linux' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST webhook answered ${res.status}: ${await res.text()}`);
  return res;
}

export async function postSamples(baseUrl) {
  const samples = sampleFiles();
  for (const s of samples) await postWebhook(baseUrl, s.body);
  return samples;
}

export async function apiGet(baseUrl, p) {
  const res = await fetch(new URL(p, baseUrl));
  if (!res.ok) throw new Error(`GET ${p} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

/**
 * Every update matching `params`, walked page by page (GET api/updates answers
 * at most 1,000 at a time), in the server's order.
 */
export async function allUpdates(baseUrl, params = {}, headers = {}) {
  const out = [];
  let cursor = null;
  do {
    const q = new URLSearchParams({ ...params, limit: '1000', ...(cursor ? { cursor } : {}) });
    const res = await fetch(new URL(`api/updates?${q}`, baseUrl), { headers });
    if (!res.ok) throw new Error(`GET api/updates answered ${res.status}: ${await res.text()}`);
    const page = await res.json();
    out.push(...page.updates);
    cursor = page.next_cursor;
  } while (cursor);
  return out;
}

export async function apiSend(baseUrl, method, p, body) {
  return fetch(new URL(p, baseUrl), {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

export async function launchBrowser() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** A page that records console errors, failed requests and the URLs the app fetched. */
export async function newPage(browser, opts = {}) {
  const context = await browser.newContext({ viewport: { width: 1440, height: 900 }, colorScheme: 'light', ...opts });
  const page = await context.newPage();
  const problems = [];
  const requests = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  // Failed requests are reported with their URL by the response listener instead of the console's bare sentence.
  page.on('console', (m) => m.type() === 'error' && !m.text().startsWith('Failed to load resource') && problems.push(`console: ${m.text()}`));
  page.on('response', (r) => r.status() >= 400 && problems.push(`http ${r.status()} ${r.url()}`));
  page.on('request', (r) => requests.push(r.url()));
  page.on('dialog', (d) => {
    problems.push(`js dialog: ${d.type()} ${d.message()}`);
    void d.dismiss();
  });
  return { context, page, problems, requests };
}

export async function screenshot(page, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: false });
}

/** Polls fn until it returns a truthy value. */
export async function eventually(fn, { timeout = 10_000, interval = 100, message = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await fn();
      if (last) return last;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${message}; last: ${last instanceof Error ? last.message : JSON.stringify(last)}`);
    await sleep(interval);
  }
}
