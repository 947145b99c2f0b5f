import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeUpdate } from '../lib/fixtures.test-util';
import type { Tag, Update } from '../lib/types';
import { DashboardStore } from './store';
import { toastStore } from './toasts';

interface Call {
  method: string;
  url: string;
  body: unknown;
}

/** A fake server: answers from `routes`, records every call. */
function fakeServer(state: { updates: Update[]; tags: Tag[] }, routes: Record<string, (body: unknown) => [number, unknown]> = {}) {
  const calls: Call[] = [];
  const fetchMock = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input);
    const method = init?.method ?? 'GET';
    const body = init?.body ? JSON.parse(String(init.body)) : undefined;
    calls.push({ method, url: url.pathname, body });
    const key = `${method} ${url.pathname}`;
    let status = 200;
    let payload: unknown;
    if (routes[key]) [status, payload] = routes[key](body);
    else if (key === 'GET /sub/api/updates') payload = state.updates;
    else if (key === 'GET /sub/api/tags') payload = state.tags;
    else if (key === 'GET /sub/api/info') payload = { version: '0.1.0', webhook_path: 'webhook', webhook_secret_set: false };
    else [status, payload] = [404, { error: 'not_found', message: `No route ${key}` }];
    return new Response(status === 204 ? null : JSON.stringify(payload), { status, headers: { 'content-type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetchMock);
  return calls;
}

beforeEach(() => {
  vi.stubGlobal('document', { baseURI: 'http://dash.local/sub/' });
  for (const t of toastStore.getSnapshot()) toastStore.dismiss(t.id);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('DashboardStore', () => {
  it('loads updates, tags and info relative to the base URI', async () => {
    const calls = fakeServer({ updates: [makeUpdate({ id: 1 })], tags: [] });
    const store = new DashboardStore();
    await store.refresh();
    const s = store.getSnapshot();
    expect(s.phase).toBe('ready');
    expect(s.updates.map((u) => u.id)).toEqual([1]);
    expect(s.info?.version).toBe('0.1.0');
    expect(calls.map((c) => c.url).sort()).toEqual(['/sub/api/info', '/sub/api/tags', '/sub/api/updates']);
  });

  it('acknowledges optimistically, then refetches', async () => {
    const server = { updates: [makeUpdate({ id: 1 }), makeUpdate({ id: 2 })], tags: [] as Tag[] };
    const calls = fakeServer(server, {
      'PATCH /sub/api/updates/1': () => {
        server.updates = server.updates.map((u) => (u.id === 1 ? { ...u, acknowledged_at: '2026-11-27T10:00:00Z' } : u));
        return [200, server.updates[0]];
      },
    });
    const store = new DashboardStore();
    await store.refresh();
    const pending = store.acknowledge([1]);
    // Changed at once, before the server answered.
    expect(store.getSnapshot().updates.find((u) => u.id === 1)?.acknowledged_at).not.toBeNull();
    expect(await pending).toBe(true);
    await store.refresh();
    expect(calls.find((c) => c.method === 'PATCH')?.body).toEqual({ acknowledged: true });
    expect(store.getSnapshot().updates.find((u) => u.id === 1)?.acknowledged_at).toBe('2026-11-27T10:00:00Z');
    const toast = toastStore.getSnapshot().at(-1);
    expect(toast?.kind).toBe('success');
    expect(toast?.action?.label).toBe('Undo');
  });

  it('uses one POST for several ids and PATCH false to undo', async () => {
    const server = { updates: [makeUpdate({ id: 1 }), makeUpdate({ id: 2 })], tags: [] as Tag[] };
    const calls = fakeServer(server, {
      'POST /sub/api/updates/acknowledge': () => [200, { acknowledged: 2 }],
      'PATCH /sub/api/updates/1': () => [200, server.updates[0]],
      'PATCH /sub/api/updates/2': () => [200, server.updates[1]],
    });
    const store = new DashboardStore();
    await store.refresh();
    await store.acknowledge([1, 2]);
    expect(calls.find((c) => c.method === 'POST')?.body).toEqual({ ids: [1, 2] });
    toastStore.getSnapshot().at(-1)?.action?.run();
    await vi.waitFor(() => expect(calls.filter((c) => c.method === 'PATCH').map((c) => c.body)).toEqual([{ acknowledged: false }, { acknowledged: false }]));
  });

  it("rolls back a failed change and shows the server's message", async () => {
    const server = { updates: [makeUpdate({ id: 1, image: 'nginx:1', tag: null })], tags: [{ id: 3, name: 'media', created_at: '', image_count: 0 }] };
    fakeServer(server, {
      'PUT /sub/api/tag-assignments': () => [404, { error: 'not_found', message: 'No tag with id 3.' }],
    });
    const store = new DashboardStore();
    await store.refresh();
    const done = store.setImageTag(['nginx:1'], { id: 3, name: 'media' });
    expect(store.getSnapshot().updates[0].tag).toEqual({ id: 3, name: 'media' });
    expect(await done).toBe(false);
    expect(store.getSnapshot().updates[0].tag).toBeNull();
    const toast = toastStore.getSnapshot().at(-1);
    expect(toast?.kind).toBe('error');
    expect(toast?.description).toBe('No tag with id 3.');
  });

  it('ignores a load that started before a mutation', async () => {
    const server = { updates: [makeUpdate({ id: 1 })], tags: [] as Tag[] };
    let releaseLoad!: () => void;
    const gate = new Promise<void>((r) => (releaseLoad = r));
    const stale = [{ ...server.updates[0] }];
    fakeServer(server, {});
    const store = new DashboardStore();
    await store.refresh();
    // Next GET api/updates is slow and returns the pre-mutation state.
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => {
      if (String(input).endsWith('api/updates') && (init?.method ?? 'GET') === 'GET' && stale.length) {
        const body = stale.splice(0);
        await gate;
        return new Response(JSON.stringify(body), { status: 200 });
      }
      if ((init?.method ?? 'GET') === 'PATCH') {
        server.updates = [{ ...server.updates[0], acknowledged_at: '2026-11-27T10:00:00Z' }];
        return new Response(JSON.stringify(server.updates[0]), { status: 200 });
      }
      return realFetch(input, init);
    });
    const slowLoad = store.refresh();
    await store.acknowledge([1]);
    releaseLoad();
    await slowLoad;
    await store.refresh();
    expect(store.getSnapshot().updates[0].acknowledged_at).toBe('2026-11-27T10:00:00Z');
  });
});
