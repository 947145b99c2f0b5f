/**
 * A small in-memory imitation of the paged API for the store's tests: pages
 * with opaque cursors, summaries, ETags (one revision for everything, moved by
 * `touch()`), and per-test overrides. Records every call.
 */
import { vi } from 'vitest';
import { matches, stateOf } from '../lib/filter';
import { groupKey } from '../lib/grouping';
import type { ImageGroup, MuteRule, Summary, Tag, Update } from '../lib/types';
import { compareUpdates } from './groupPages';

export interface Call {
  method: string;
  path: string;
  params: URLSearchParams;
  body: unknown;
  ifNoneMatch: string | null;
}

export type Route = (body: unknown, params: URLSearchParams) => [number, unknown];

export class FakeServer {
  updates: Update[];
  tags: Tag[];
  revision = 1;
  calls: Call[] = [];
  routes: Record<string, Route> = {};
  muteRules: MuteRule[] = [];

  constructor(updates: Update[], tags: Tag[] = []) {
    this.updates = updates;
    this.tags = tags;
    vi.stubGlobal('fetch', (input: string, init?: RequestInit) => this.handle(input, init));
  }

  /** A write happened: the revision (ETag) moves. */
  touch() {
    this.revision++;
  }

  /** Calls of one kind, e.g. `server.of('GET', 'api/updates')`. */
  of(method: string, path: string): Call[] {
    return this.calls.filter((c) => c.method === method && c.path === path);
  }

  private filtered(p: URLSearchParams): Update[] {
    const tag = p.get('tag');
    const state = p.get('state');
    const status = state ? state : p.get('acknowledged') === 'true' ? 'acknowledged' : p.get('acknowledged') === 'false' ? 'pending' : 'all';
    const view = { status, q: p.get('q') ?? '', tag: tag === 'none' ? 'none' : tag ? Number(tag) : null, host: p.get('host') } as Parameters<typeof matches>[1];
    const image = p.get('image');
    return [...this.updates].sort(compareUpdates).filter((u) => matches(u, view) && (!image || u.image === image));
  }

  private summary(list: Update[]): Summary {
    const groups = new Map<string, Summary['tags'][number]>();
    for (const u of list) {
      const g = groups.get(groupKey(u.tag)) ?? { tag: u.tag, pending: 0, acknowledged: 0, snoozed: 0, muted: 0 };
      g[stateOf(u)]! += 1;
      groups.set(groupKey(u.tag), g);
    }
    const tags = [...groups.values()].sort((a, b) => (!a.tag ? 1 : !b.tag ? -1 : a.tag.name.localeCompare(b.tag.name)));
    const count = (state: string) => list.filter((u) => stateOf(u) === state).length;
    const pending = list.filter((u) => stateOf(u) === 'pending');
    const hosts = [...new Set(list.map((u) => u.hostname))].sort().map((hostname) => ({ hostname, pending: 0, acknowledged: 0 }));
    return { pending: pending.length, acknowledged: count('acknowledged'), snoozed: count('snoozed'), muted: count('muted'), total: list.length, oldest_pending: pending.at(-1) ?? null, tags, hosts };
  }

  /** GET api/images: one row per image over the matching updates, newest first. */
  private images(list: Update[]): ImageGroup[] {
    const byImage = new Map<string, Update[]>();
    for (const u of list) byImage.set(u.image, [...(byImage.get(u.image) ?? []), u]);
    return [...byImage.entries()].map(([image, us]) => {
      const count = (state: string) => us.filter((u) => stateOf(u) === state).length;
      const hosts = [...new Set(us.map((u) => u.hostname))].sort();
      return {
        image,
        hosts,
        host_count: hosts.length,
        pending: count('pending'),
        snoozed: count('snoozed'),
        muted: count('muted'),
        acknowledged: count('acknowledged'),
        total: us.length,
        newest_digest: us[0].digest,
        first_seen_at: us.map((u) => u.first_seen_at).sort()[0],
        last_seen_at: us[0].last_seen_at,
        tag: us[0].tag,
      };
    });
  }

  private async handle(input: string, init?: RequestInit): Promise<Response> {
    const url = new URL(input);
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    const path = url.pathname.replace(/^\/sub\//, '');
    const headers = new Headers(init?.headers);
    this.calls.push({ method, path, params: url.searchParams, body, ifNoneMatch: headers.get('if-none-match') });
    const etag = `"${this.revision}"`;
    const key = `${method} ${path}`;
    const json = (status: number, payload: unknown, extra: Record<string, string> = {}) =>
      new Response(status === 204 ? null : JSON.stringify(payload), { status, headers: { 'content-type': 'application/json', ...extra } });
    if (this.routes[key]) return json(...this.routes[key](body, url.searchParams));
    const fresh = (payload: () => unknown) => (headers.get('if-none-match') === etag ? new Response(null, { status: 304, headers: { etag } }) : json(200, payload(), { etag }));
    if (key === 'GET api/updates') {
      const p = url.searchParams;
      const limit = Number(p.get('limit'));
      if (!(limit >= 1 && limit <= 1000)) return json(400, { error: 'invalid_query', message: 'limit', field: 'limit' });
      const list = this.filtered(p);
      const start = p.get('cursor') ? Number(p.get('cursor')!.slice(1)) : 0;
      const end = start + limit;
      return fresh(() => ({ updates: list.slice(start, end), next_cursor: end < list.length ? `c${end}` : null }));
    }
    if (key === 'GET api/updates/summary') return fresh(() => this.summary(this.filtered(url.searchParams)));
    if (key === 'GET api/images') {
      const p = url.searchParams;
      const list = this.images(this.filtered(p));
      const start = p.get('cursor') ? Number(p.get('cursor')!.slice(1)) : 0;
      const end = start + Number(p.get('limit'));
      return fresh(() => ({ images: list.slice(start, end), next_cursor: end < list.length ? `c${end}` : null }));
    }
    if (key === 'POST api/updates/acknowledge') {
      const b = body as { ids?: number[]; image?: string };
      const at = new Date().toISOString();
      let n = 0;
      this.updates = this.updates.map((u) => ((b.ids?.includes(u.id) || u.image === b.image) && u.acknowledged_at === null ? (n++, { ...u, acknowledged_at: at }) : u));
      this.touch();
      return json(200, { acknowledged: n, acknowledged_at: at });
    }
    if (key === 'POST api/updates/unacknowledge') {
      const b = body as { ids?: number[]; acknowledged_at?: string };
      let n = 0;
      this.updates = this.updates.map((u) => (u.acknowledged_at !== null && (b.ids?.includes(u.id) || u.acknowledged_at === b.acknowledged_at) ? (n++, { ...u, acknowledged_at: null }) : u));
      this.touch();
      return json(200, { unacknowledged: n });
    }
    if (key === 'POST api/updates/snooze') {
      const b = body as { until: string; ids?: number[]; image?: string };
      let n = 0;
      this.updates = this.updates.map((u) => ((b.ids?.includes(u.id) || u.image === b.image) && u.acknowledged_at === null ? (n++, { ...u, snoozed_until: b.until }) : u));
      this.touch();
      return json(200, { snoozed: n, until: b.until });
    }
    if (key === 'POST api/updates/unsnooze') {
      const b = body as { ids: number[] };
      let n = 0;
      this.updates = this.updates.map((u) => (b.ids.includes(u.id) && u.snoozed_until ? (n++, { ...u, snoozed_until: null }) : u));
      this.touch();
      return json(200, { unsnoozed: n });
    }
    if (key === 'GET api/mute-rules') return json(200, this.muteRules);
    const one = path.match(/^api\/updates\/(\d+)$/);
    if (one && method === 'GET') {
      const u = this.updates.find((x) => x.id === Number(one[1]));
      return u ? json(200, u) : json(404, { error: 'not_found', message: 'No such update.' });
    }
    if (one && method === 'PATCH') {
      const i = this.updates.findIndex((x) => x.id === Number(one[1]));
      if (i < 0) return json(404, { error: 'not_found', message: 'No such update.' });
      const acknowledged = (body as { acknowledged: boolean }).acknowledged;
      this.updates[i] = { ...this.updates[i], acknowledged_at: acknowledged ? new Date().toISOString() : null };
      this.touch();
      return json(200, this.updates[i]);
    }
    if (path === 'api/tag-assignments' && (method === 'PUT' || method === 'DELETE')) {
      const b = body as { image?: string; images?: string[]; tag_id?: number };
      const images = new Set(b.images ?? [b.image!]);
      const tag = method === 'PUT' ? this.tags.find((t) => t.id === b.tag_id) : undefined;
      this.updates = this.updates.map((u) => (images.has(u.image) ? { ...u, tag: tag ? { id: tag.id, name: tag.name } : null } : u));
      this.touch();
      return json(204, null);
    }
    if (key === 'GET api/tags') return fresh(() => this.tags);
    if (key === 'GET api/info') return json(200, { version: '0.1.0', webhook_path: 'webhook', webhook_secret_set: false });
    return json(404, { error: 'not_found', message: `No route ${key}` });
  }
}
