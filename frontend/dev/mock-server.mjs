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

const db = { updates: [], events: [], tags: [], assignments: new Map(), rules: [], nextUpdate: 1, nextEvent: 1, nextTag: 1, nextRule: 1, revision: 1 };
// The ETag of every list answer: any write advances it (see bump()).
const etag = () => `"${db.revision}"`;
const bump = () => db.revision++;
const sse = new Set();

const nowIso = () => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

function broadcast(type, data) {
  bump();
  for (const res of sse) res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
}

function tagOf(image) {
  const id = db.assignments.get(image);
  const t = id && db.tags.find((x) => x.id === id);
  return t ? { id: t.id, name: t.name } : null;
}

// Triage (issue 12): one state per update, by precedence.
const stateOf = (u) => (u.acknowledged_at ? 'acknowledged' : u.muted_by ? 'muted' : u.snoozed_until ? 'snoozed' : 'pending');

function view(u) {
  return { ...u, tag: tagOf(u.image), state: stateOf(u) };
}

/** Glob of a mute rule (see diun-core MutePattern): * within a segment, ** across, ? one character. */
function globRegex(pattern) {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '*' && pattern[i + 1] === '*') {
      while (pattern[i + 1] === '*') i++;
      out += '.*';
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[\\^$.+()[\]{}|/-]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}
const ruleCatches = (r, u) => (!r.hostname || r.hostname === u.hostname) && (!r.status || r.status === u.status) && globRegex(r.pattern).test(u.image);

/** Mutes the updates a rule catches (not acknowledged, not muted yet); returns their ids. */
function applyRule(r, list = db.updates) {
  const ids = [];
  for (const u of list) if (!u.acknowledged_at && !u.muted_by && ruleCatches(r, u)) (u.muted_by = r.id), ids.push(u.id);
  return ids;
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
    if (changed) {
      if (u.acknowledged_at) u.pending_since = receivedAt;
      u.acknowledged_at = null;
      // A new digest ends a snooze at once, and rules look at it again.
      if (u.snoozed_until) (u.snoozed_until = null), setTimeout(() => broadcast('unsnoozed', { ids: [u.id] }), 0);
      u.muted_by = null;
      for (const r of db.rules) if (applyRule(r, [u]).length) break;
    }
  } else {
    u = { id: db.nextUpdate++, hostname: body.hostname, image: body.image, ...fields, first_seen_at: receivedAt, last_seen_at: receivedAt, acknowledged_at: null, event_count: 1, snoozed_until: null, muted_by: null, pending_since: receivedAt };
    db.updates.push(u);
    for (const r of db.rules) if (applyRule(r, [u]).length) break;
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

function send(res, status, body, headers = {}) {
  if (status === 204) {
    res.writeHead(204).end();
    return;
  }
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers }).end(text);
}

/** 304 when the client already has the current revision; otherwise the body with its ETag. */
function sendFresh(req, res, makeBody) {
  if (req.headers['if-none-match'] === etag()) return res.writeHead(304, { etag: etag() }).end();
  return send(res, 200, makeBody(), { etag: etag() });
}
const fail = (res, status, error, message, field) => send(res, status, { error, message, ...(field ? { field } : {}) });

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

/** The same fields as frontend/src/lib/filter.ts searchText. */
function searchText(u) {
  const md = u.metadata ?? {};
  const names = [];
  if (typeof md.ctn_names === 'string') names.push(...md.ctn_names.split(',').map((x) => x.trim().replace(/^\//, '')));
  if (md.pod_name) names.push(md.pod_namespace ? `${md.pod_namespace}/${md.pod_name}` : md.pod_name);
  for (const k of ['job_name', 'task_name', 'ctn_name']) if (typeof md[k] === 'string') names.push(md[k]);
  return [u.image, u.hostname, ...names].join('\n').toLowerCase();
}

/** The updates (with their tag) matching tag, host and q, in the list's order. */
function filtered(p) {
  let list = sortedUpdates().map(view);
  if (p.get('tag') === 'none') list = list.filter((u) => !u.tag);
  else if (p.get('tag')) list = list.filter((u) => u.tag?.id === Number(p.get('tag')));
  if (p.get('host')) list = list.filter((u) => u.hostname === p.get('host'));
  if (p.get('image')) list = list.filter((u) => u.image === p.get('image'));
  const state = p.get('state') ?? (p.get('acknowledged') === 'true' ? 'acknowledged' : p.get('acknowledged') === 'false' ? 'pending' : null);
  if (state && state !== 'all') list = list.filter((u) => stateOf(u) === state);
  const terms = (p.get('q') ?? '').toLowerCase().split(/\s+/).filter(Boolean);
  if (terms.length) list = list.filter((u) => terms.every((t) => searchText(u).includes(t)));
  return list;
}

function summary(list) {
  const groups = new Map();
  const hosts = new Map();
  let pending = 0;
  let oldest = null;
  const byState = { pending: 0, snoozed: 0, muted: 0, acknowledged: 0 };
  for (const u of list) {
    const state = stateOf(u);
    byState[state]++;
    if (state === 'pending') {
      pending++;
      if (!oldest || Date.parse(u.last_seen_at) < Date.parse(oldest.last_seen_at)) oldest = u;
    }
    const key = u.tag ? u.tag.id : 0;
    const g = groups.get(key) ?? { tag: u.tag, pending: 0, acknowledged: 0, snoozed: 0, muted: 0 };
    g[state]++;
    groups.set(key, g);
    const h = hosts.get(u.hostname) ?? { hostname: u.hostname, pending: 0, acknowledged: 0, snoozed: 0, muted: 0 };
    h[state]++;
    hosts.set(u.hostname, h);
  }
  const tags = [...groups.values()].sort((a, b) => (!a.tag ? 1 : !b.tag ? -1 : a.tag.name.toLowerCase().localeCompare(b.tag.name.toLowerCase())));
  return {
    pending,
    acknowledged: byState.acknowledged,
    snoozed: byState.snoozed,
    muted: byState.muted,
    total: list.length,
    oldest_pending: oldest,
    tags,
    hosts: [...hosts.values()].sort((a, b) => a.hostname.localeCompare(b.hostname)),
  };
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
    const limitText = p.get('limit') ?? '100';
    const limit = Number(limitText);
    if (!/^\d+$/.test(limitText) || limit < 1 || limit > 1000) return fail(res, 400, 'invalid_query', 'limit is 1 to 1000.', 'limit');
    const filterKey = JSON.stringify([p.get('acknowledged'), p.get('state'), p.get('image'), p.get('tag'), p.get('host'), p.get('q')]);
    const list = filtered(p);
    let start = 0;
    if (p.get('cursor')) {
      let c;
      try {
        c = JSON.parse(Buffer.from(p.get('cursor'), 'base64url').toString('utf8'));
      } catch {
        return fail(res, 400, 'invalid_query', 'Malformed cursor.', 'cursor');
      }
      if (c?.f !== filterKey) return fail(res, 400, 'invalid_query', 'The cursor belongs to other filters.', 'cursor');
      // First item after the last one of the previous page, in the list's order.
      start = list.findIndex((u) => Date.parse(u.last_seen_at) < Date.parse(c.s) || (Date.parse(u.last_seen_at) === Date.parse(c.s) && u.id < c.i));
      if (start < 0) start = list.length;
    }
    const page = list.slice(start, start + limit);
    const last = page[page.length - 1];
    const next = start + limit < list.length && last ? Buffer.from(JSON.stringify({ f: filterKey, s: last.last_seen_at, i: last.id })).toString('base64url') : null;
    return sendFresh(req, res, () => ({ updates: page, next_cursor: next }));
  }
  if (route === 'updates/summary' && m === 'GET') {
    return sendFresh(req, res, () => summary(filtered(url.searchParams)));
  }
  if (route === 'updates/acknowledge' && m === 'POST') {
    const body = await readJson(req);
    const keys = Object.keys(body ?? {});
    if (keys.length !== 1) return fail(res, 400, 'invalid', 'Give exactly one of ids, tag_id, all or filter.');
    let targets = [];
    if (Array.isArray(body.ids)) targets = db.updates.filter((u) => body.ids.includes(u.id));
    else if (typeof body.tag_id === 'number') targets = db.updates.filter((u) => tagOf(u.image)?.id === body.tag_id);
    else if (body.all === true) targets = db.updates;
    else if (typeof body.image === 'string') targets = db.updates.filter((u) => u.image === body.image);
    else if (body.filter && typeof body.filter === 'object') {
      const f = body.filter;
      const p = new URLSearchParams();
      for (const k of ['tag', 'host', 'q']) if (f[k] !== undefined) p.set(k, String(f[k]));
      const ids = new Set(filtered(p).map((u) => u.id));
      targets = db.updates.filter((u) => ids.has(u.id));
    } else return fail(res, 400, 'invalid', 'Give exactly one of ids, tag_id, all or filter.');
    const at = new Date().toISOString();
    const changed = targets.filter((u) => !u.acknowledged_at);
    for (const u of changed) u.acknowledged_at = at;
    broadcast('update.acknowledged', { ids: changed.map((u) => u.id) });
    return send(res, 200, { acknowledged: changed.length, acknowledged_at: at });
  }
  if (route === 'updates/unacknowledge' && m === 'POST') {
    const body = await readJson(req);
    let targets;
    if (Array.isArray(body?.ids) && Object.keys(body).length === 1) targets = db.updates.filter((u) => body.ids.includes(u.id) && u.acknowledged_at);
    else if (typeof body?.acknowledged_at === 'string' && Object.keys(body).length === 1) targets = db.updates.filter((u) => u.acknowledged_at && Date.parse(u.acknowledged_at) === Date.parse(body.acknowledged_at));
    else return fail(res, 400, 'invalid', 'Give exactly one of ids or acknowledged_at.');
    for (const u of targets) u.acknowledged_at = null;
    broadcast('update.unacknowledged', { ids: targets.map((u) => u.id) });
    return send(res, 200, { unacknowledged: targets.length });
  }
  if ((match = route.match(/^updates\/(\d+)$/))) {
    const u = db.updates.find((x) => x.id === Number(match[1]));
    if (!u) return fail(res, 404, 'not_found', `No update with id ${match[1]}.`);
    if (m === 'GET') return send(res, 200, view(u));
    if (m === 'PATCH') {
      const body = await readJson(req);
      if (typeof body?.acknowledged !== 'boolean') return fail(res, 400, 'invalid', 'acknowledged must be true or false.');
      u.acknowledged_at = body.acknowledged ? u.acknowledged_at ?? nowIso() : null;
      broadcast(body.acknowledged ? 'update.acknowledged' : 'update.unacknowledged', { id: u.id });
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
    // Bulk form: {"images": [...]} (at most 1000), or the single form {"image"}.
    const bulk = Array.isArray(body?.images);
    const images = bulk ? body.images : [body?.image];
    if (!images.length || images.length > 1000 || images.some((x) => typeof x !== 'string' || !x)) return fail(res, 400, 'invalid', 'image(s) required, at most 1000.');
    if (m === 'PUT') {
      const tag = db.tags.find((t) => t.id === body.tag_id);
      if (!tag) return fail(res, 404, 'not_found', `No tag with id ${body.tag_id}.`);
      let changed = 0;
      for (const image of images) if (db.assignments.get(image) !== tag.id) (db.assignments.set(image, tag.id), changed++);
      for (const image of images) broadcast('assignment.changed', { image, tag_id: tag.id });
      return send(res, 200, bulk ? { images: changed, tag: { id: tag.id, name: tag.name } } : { image: images[0], tag: { id: tag.id, name: tag.name } });
    }
    if (m === 'DELETE') {
      for (const image of images) {
        db.assignments.delete(image);
        broadcast('assignment.changed', { image, tag_id: null });
      }
      return send(res, 204);
    }
  }
  if (route === 'images' && m === 'GET') {
    const p = url.searchParams;
    const byImage = new Map();
    for (const u of filtered(p)) byImage.set(u.image, [...(byImage.get(u.image) ?? []), u]);
    const all = [...byImage.entries()].map(([image, us]) => {
      const count = (s) => us.filter((u) => stateOf(u) === s).length;
      const hosts = [...new Set(us.map((u) => u.hostname))].sort();
      return { image, hosts: hosts.slice(0, 50), host_count: hosts.length, pending: count('pending'), snoozed: count('snoozed'), muted: count('muted'), acknowledged: count('acknowledged'), total: us.length, newest_digest: us[0].digest, first_seen_at: us.map((u) => u.first_seen_at).sort()[0], last_seen_at: us[0].last_seen_at, tag: us[0].tag };
    });
    const limit = Number(p.get('limit') ?? 100);
    const start = p.get('cursor') ? Number(p.get('cursor')) : 0;
    return sendFresh(req, res, () => ({ images: all.slice(start, start + limit), next_cursor: start + limit < all.length ? String(start + limit) : null }));
  }
  if (route === 'updates/snooze' && m === 'POST') {
    const body = await readJson(req);
    const until = Date.parse(body?.until);
    if (!(until > Date.now())) return fail(res, 400, 'invalid', 'until must be in the future.', 'until');
    const targets = Array.isArray(body.ids) ? db.updates.filter((u) => body.ids.includes(u.id)) : db.updates.filter((u) => u.image === body.image);
    const changed = targets.filter((u) => !u.acknowledged_at);
    for (const u of changed) u.snoozed_until = new Date(until).toISOString();
    if (changed.length) broadcast('snoozed', { ids: changed.map((u) => u.id), until: body.until });
    return send(res, 200, { snoozed: changed.length, until: new Date(until).toISOString() });
  }
  if (route === 'updates/unsnooze' && m === 'POST') {
    const body = await readJson(req);
    const changed = db.updates.filter((u) => body?.ids?.includes(u.id) && u.snoozed_until);
    for (const u of changed) u.snoozed_until = null;
    if (changed.length) broadcast('unsnoozed', { ids: changed.map((u) => u.id) });
    return send(res, 200, { unsnoozed: changed.length });
  }
  if (route === 'mute-rules' && m === 'GET') return send(res, 200, db.rules.map((r) => ({ ...r, held: db.updates.filter((u) => u.muted_by === r.id).length })));
  if (route === 'mute-rules' && m === 'POST') {
    const body = await readJson(req);
    const pattern = typeof body?.pattern === 'string' ? body.pattern.trim() : '';
    if (!pattern || pattern.length > 255) return fail(res, 400, 'invalid', 'pattern must not be blank.', 'pattern');
    const rule = { id: db.nextRule++, pattern, hostname: body.hostname ?? null, status: body.status ?? null, comment: body.comment ?? '', created_at: nowIso() };
    db.rules.push(rule);
    const ids = applyRule(rule);
    broadcast('mute_rules', {});
    if (ids.length) broadcast('muted', { ids, rule: rule.id });
    return send(res, 201, { ...rule, held: ids.length });
  }
  if ((match = route.match(/^mute-rules\/(\d+)$/)) && m === 'DELETE') {
    const rule = db.rules.find((r) => r.id === Number(match[1]));
    if (!rule) return fail(res, 404, 'not_found', `No mute rule ${match[1]}.`);
    db.rules = db.rules.filter((r) => r !== rule);
    const freed = db.updates.filter((u) => u.muted_by === rule.id);
    for (const u of freed) u.muted_by = null;
    for (const r of db.rules) applyRule(r, freed);
    broadcast('mute_rules', {});
    if (freed.length) broadcast('unmuted', { ids: freed.map((u) => u.id) });
    return send(res, 204);
  }
  if (route === 'tags' && m === 'GET') {
    return sendFresh(req, res, () => db.tags.map((t) => ({ ...t, image_count: [...db.assignments.values()].filter((x) => x === t.id).length })));
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

// The snooze waker: ends snoozes whose time came (the real server runs it every 15 s).
setInterval(() => {
  const now = Date.now();
  const woken = db.updates.filter((u) => u.snoozed_until && Date.parse(u.snoozed_until) <= now);
  for (const u of woken) u.snoozed_until = null;
  if (woken.length) broadcast('unsnoozed', { ids: woken.map((u) => u.id) });
}, 15_000).unref();

server.listen(Number(portText), host, () => console.log(`mock Diun Dashboard API on http://${listen}${basePath}`));
