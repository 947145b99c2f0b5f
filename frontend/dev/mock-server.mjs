#!/usr/bin/env node
// THROWAWAY DEV TOOL — not used by the tests and not shipped.
//
// An in-memory imitation of the Diun Dashboard server's HTTP API, written from
// the API contract so the UI could be built before the Rust server existed.
// It serves ../dist like the real binary, honours the same environment
// variables (DIUN_DASHBOARD_LISTEN, DIUN_DASHBOARD_BASE_PATH), accepts
// webhooks, and streams Server-Sent Events.
//
//   npm run build && node dev/mock-server.mjs            # http://127.0.0.1:8787/
//   MOCK_SEED=5000 node dev/mock-server.mjs              # with 5,000 fake updates
//   npm run dev  (in another shell)                      # Vite dev server proxying /api here
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const dist = path.resolve(here, '../dist');
const listen = process.env.DIUN_DASHBOARD_LISTEN || '127.0.0.1:8787';
const [host, portText] = listen.split(/:(?=\d+$)/);
let basePath = process.env.DIUN_DASHBOARD_BASE_PATH || '/';
if (!basePath.startsWith('/')) basePath = `/${basePath}`;
if (!basePath.endsWith('/')) basePath = `${basePath}/`;
const secret = process.env.DIUN_DASHBOARD_WEBHOOK_SECRET || '';

const db = { updates: [], events: [], tags: [], assignments: new Map(), nextUpdate: 1, nextEvent: 1, nextTag: 1 };
const sse = new Set();

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function broadcast(type, data) {
  for (const res of sse) res.write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
}

function tagOf(image) {
  const id = db.assignments.get(image);
  const t = id && db.tags.find((x) => x.id === id);
  return t ? { id: t.id, name: t.name } : null;
}

function view(u) {
  return { ...u, tag: tagOf(u.image) };
}

function ingest(body, receivedAt = nowIso()) {
  let u = db.updates.find((x) => x.hostname === body.hostname && x.image === body.image);
  const fields = {
    status: body.status,
    provider: body.provider ?? '',
    hub_link: body.hub_link ?? '',
    mime_type: body.mime_type ?? '',
    digest: body.digest ?? '',
    created: body.created ?? null,
    platform: body.platform ?? '',
    diun_version: body.diun_version ?? '',
    metadata: body.metadata ?? {},
  };
  if (u) {
    const changed = u.digest !== fields.digest;
    Object.assign(u, fields, { last_seen_at: receivedAt, event_count: u.event_count + 1 });
    if (changed) u.acknowledged_at = null;
  } else {
    u = { id: db.nextUpdate++, hostname: body.hostname, image: body.image, ...fields, first_seen_at: receivedAt, last_seen_at: receivedAt, acknowledged_at: null, event_count: 1 };
    db.updates.push(u);
  }
  db.events.push({ id: db.nextEvent++, update_id: u.id, received_at: receivedAt, status: fields.status, digest: fields.digest, created: fields.created, diun_version: fields.diun_version, metadata: body.metadata ?? null });
  return u;
}

function seed(n) {
  const hosts = ['nas', 'edge-01', 'k8s-diun', 'swarm-manager-1', 'nomad-client-3', 'pi', 'media-box', 'build-01'];
  const repos = ['library/nginx', 'library/redis', 'library/postgres', 'grafana/grafana', 'linuxserver/jellyfin', 'home-assistant/home-assistant', 'prometheus/prometheus', 'traefik', 'portainer/portainer-ce', 'vaultwarden/server'];
  const registries = ['docker.io', 'ghcr.io', 'quay.io', 'registry.example.com:5000'];
  const start = Date.now();
  for (let i = 0; i < n; i++) {
    const repo = repos[i % repos.length];
    const image = `${registries[i % registries.length]}/${repo}-${Math.floor(i / 40)}:${1 + (i % 7)}.${i % 13}`;
    const t = new Date(start - i * 97_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    ingest(
      {
        diun_version: '4.33.0',
        hostname: hosts[i % hosts.length],
        status: i % 3 ? 'update' : 'new',
        provider: 'docker',
        image,
        hub_link: '',
        mime_type: 'application/vnd.oci.image.index.v1+json',
        digest: `sha256:${(i * 2654435761).toString(16).padStart(12, '0')}${'ab'.repeat(26)}`,
        created: t,
        platform: 'linux/amd64',
        metadata: { ctn_names: `app-${i},sidecar-${i % 17}` },
      },
      t,
    );
  }
  db.updates.sort((a, b) => b.last_seen_at.localeCompare(a.last_seen_at));
}
if (process.env.MOCK_SEED) seed(Number(process.env.MOCK_SEED));

function send(res, status, body) {
  if (status === 204) {
    res.writeHead(204).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(text);
}
const fail = (res, status, error, message) => send(res, status, { error, message });

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return undefined;
  return JSON.parse(text);
}

function sortedUpdates() {
  return [...db.updates].sort((a, b) => b.last_seen_at.localeCompare(a.last_seen_at) || b.id - a.id);
}

function validName(name) {
  if (typeof name !== 'string') return null;
  const t = name.trim();
  return t.length >= 1 && t.length <= 64 ? t : null;
}

async function api(req, res, route, url) {
  const m = req.method;
  let match;
  if (route === 'info' && m === 'GET') return send(res, 200, { version: '0.1.0-mock', webhook_path: 'webhook', webhook_secret_set: !!secret });
  if (route === 'events' && m === 'GET') {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': connected\n\n');
    sse.add(res);
    req.on('close', () => sse.delete(res));
    return;
  }
  if (route === 'updates' && m === 'GET') {
    const p = url.searchParams;
    let list = sortedUpdates().map(view);
    if (p.get('acknowledged') === 'true') list = list.filter((u) => u.acknowledged_at);
    if (p.get('acknowledged') === 'false') list = list.filter((u) => !u.acknowledged_at);
    if (p.get('tag') === 'none') list = list.filter((u) => !u.tag);
    else if (p.get('tag')) list = list.filter((u) => u.tag?.id === Number(p.get('tag')));
    if (p.get('host')) list = list.filter((u) => u.hostname === p.get('host'));
    if (p.get('q')) list = list.filter((u) => u.image.toLowerCase().includes(p.get('q').toLowerCase()));
    return send(res, 200, list);
  }
  if (route === 'updates/acknowledge' && m === 'POST') {
    const body = await readJson(req);
    const keys = Object.keys(body ?? {});
    if (keys.length !== 1) return fail(res, 400, 'invalid', 'Give exactly one of ids, tag_id or all.');
    let targets = [];
    if (Array.isArray(body.ids)) targets = db.updates.filter((u) => body.ids.includes(u.id));
    else if (typeof body.tag_id === 'number') targets = db.updates.filter((u) => tagOf(u.image)?.id === body.tag_id);
    else if (body.all === true) targets = db.updates;
    else return fail(res, 400, 'invalid', 'Give exactly one of ids, tag_id or all.');
    let n = 0;
    const at = nowIso();
    for (const u of targets) if (!u.acknowledged_at) (u.acknowledged_at = at), n++;
    broadcast('update.acknowledged', { ids: targets.map((u) => u.id) });
    return send(res, 200, { acknowledged: n });
  }
  if ((match = route.match(/^updates\/(\d+)$/))) {
    const u = db.updates.find((x) => x.id === Number(match[1]));
    if (!u) return fail(res, 404, 'not_found', `No update with id ${match[1]}.`);
    if (m === 'GET') return send(res, 200, view(u));
    if (m === 'PATCH') {
      const body = await readJson(req);
      if (typeof body?.acknowledged !== 'boolean') return fail(res, 400, 'invalid', 'acknowledged must be true or false.');
      u.acknowledged_at = body.acknowledged ? u.acknowledged_at ?? nowIso() : null;
      broadcast('update.acknowledged', { id: u.id });
      return send(res, 200, view(u));
    }
    if (m === 'DELETE') {
      db.updates = db.updates.filter((x) => x !== u);
      db.events = db.events.filter((e) => e.update_id !== u.id);
      broadcast('update.deleted', { id: u.id });
      return send(res, 204);
    }
  }
  if ((match = route.match(/^updates\/(\d+)\/events$/)) && m === 'GET') {
    const id = Number(match[1]);
    if (!db.updates.some((x) => x.id === id)) return fail(res, 404, 'not_found', `No update with id ${id}.`);
    return send(res, 200, db.events.filter((e) => e.update_id === id).sort((a, b) => b.received_at.localeCompare(a.received_at) || b.id - a.id));
  }
  if (route === 'tags' && m === 'GET') {
    return send(res, 200, db.tags.map((t) => ({ ...t, image_count: [...db.assignments.values()].filter((x) => x === t.id).length })));
  }
  if (route === 'tags' && m === 'POST') {
    const body = await readJson(req);
    const name = validName(body?.name);
    if (!name) return fail(res, 400, 'invalid', 'A tag name has 1 to 64 characters.');
    if (db.tags.some((t) => t.name.toLowerCase() === name.toLowerCase())) return fail(res, 409, 'conflict', `A tag named “${name}” already exists.`);
    const tag = { id: db.nextTag++, name, created_at: nowIso() };
    db.tags.push(tag);
    broadcast('tag.created', { id: tag.id });
    return send(res, 201, { ...tag, image_count: 0 });
  }
  if ((match = route.match(/^tags\/(\d+)$/))) {
    const tag = db.tags.find((t) => t.id === Number(match[1]));
    if (!tag) return fail(res, 404, 'not_found', `No tag with id ${match[1]}.`);
    if (m === 'PATCH') {
      const body = await readJson(req);
      const name = validName(body?.name);
      if (!name) return fail(res, 400, 'invalid', 'A tag name has 1 to 64 characters.');
      if (db.tags.some((t) => t !== tag && t.name.toLowerCase() === name.toLowerCase())) return fail(res, 409, 'conflict', `A tag named “${name}” already exists.`);
      tag.name = name;
      broadcast('tag.renamed', { id: tag.id });
      return send(res, 200, { ...tag, image_count: [...db.assignments.values()].filter((x) => x === tag.id).length });
    }
    if (m === 'DELETE') {
      db.tags = db.tags.filter((t) => t !== tag);
      for (const [img, id] of db.assignments) if (id === tag.id) db.assignments.delete(img);
      broadcast('tag.deleted', { id: tag.id });
      return send(res, 204);
    }
  }
  if (route === 'tag-assignments') {
    const body = await readJson(req);
    if (typeof body?.image !== 'string' || !body.image) return fail(res, 400, 'invalid', 'image is required.');
    if (m === 'PUT') {
      if (!db.tags.some((t) => t.id === body.tag_id)) return fail(res, 404, 'not_found', `No tag with id ${body.tag_id}.`);
      db.assignments.set(body.image, body.tag_id);
      broadcast('assignment.changed', { image: body.image });
      return send(res, 200, { image: body.image, tag_id: body.tag_id });
    }
    if (m === 'DELETE') {
      db.assignments.delete(body.image);
      broadcast('assignment.changed', { image: body.image });
      return send(res, 204);
    }
  }
  return fail(res, 404, 'not_found', `No route ${m} ${route}.`);
}

const MIME = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.css': 'text/css', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.png': 'image/png' };

function serveStatic(res, rel) {
  let file = path.join(dist, rel);
  if (!file.startsWith(dist) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(dist, 'index.html');
  if (!fs.existsSync(file)) return fail(res, 503, 'no_ui', 'Run npm run build first.');
  let body = fs.readFileSync(file);
  if (file.endsWith('index.html')) body = Buffer.from(body.toString('utf8').replace('<base href="/">', `<base href="${basePath}">`));
  res.writeHead(200, { 'content-type': MIME[path.extname(file)] ?? 'application/octet-stream' }).end(body);
}

const server = http.createServer(async (req, res) => {
  try {
    const url = new URL(req.url, 'http://x');
    if (url.pathname === '/healthz' || url.pathname === `${basePath}healthz`) return send(res, 200, { status: 'ok' });
    if (!url.pathname.startsWith(basePath)) {
      if (url.pathname === basePath.slice(0, -1)) return res.writeHead(308, { location: basePath }).end();
      return fail(res, 404, 'not_found', 'Outside the base path.');
    }
    const rel = url.pathname.slice(basePath.length);
    if (rel === 'webhook' && (req.method === 'POST' || req.method === 'GET')) {
      if (secret && req.headers.authorization !== secret) return fail(res, 401, 'unauthorized', 'Wrong or missing webhook secret.');
      const body = await readJson(req);
      if (!body?.hostname || !body?.image || !['new', 'update'].includes(body.status)) return fail(res, 400, 'invalid', 'Not a Diun notification.');
      const existed = db.updates.some((x) => x.hostname === body.hostname && x.image === body.image);
      const u = ingest(body);
      broadcast(existed ? 'update.changed' : 'update.created', { id: u.id });
      return send(res, 200, view(u));
    }
    if (rel.startsWith('api/')) return await api(req, res, rel.slice(4).replace(/\/$/, ''), url);
    return serveStatic(res, rel || 'index.html');
  } catch (err) {
    fail(res, 400, 'invalid', `Bad request: ${err.message}`);
  }
});

server.listen(Number(portText), host, () => console.log(`mock Diun Dashboard API on http://${listen}${basePath}`));
