import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeUpdate } from '../lib/fixtures.test-util';
import type { Update } from '../lib/types';
import { FakeServer } from './fakeServer.test-util';
import { listQueryOf } from './listQuery';
import { DashboardStore, PAGE_SIZE } from './store';
import { toastStore } from './toasts';

const media = { id: 3, name: 'media' };
const pendingView = listQueryOf({ status: 'pending', q: '', tag: null, host: null });
const at = (i: number) => new Date(Date.UTC(2026, 10, 27, 0, 0, i)).toISOString();
/** `n` updates, the newest (highest id) first in the server's order. */
const many = (n: number, over: (i: number) => Partial<Update> = () => ({})) => Array.from({ length: n }, (_, i) => makeUpdate({ id: i + 1, last_seen_at: at(i), image: `img-${i + 1}:1`, ...over(i + 1) }));
const loadedIds = (store: DashboardStore, key: string) => store.getSnapshot().pages.get(key)?.updates.map((u) => u.id);

beforeEach(() => {
  vi.stubGlobal('document', { baseURI: 'http://dash.local/sub/' });
  for (const t of toastStore.getSnapshot()) toastStore.dismiss(t.id);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('DashboardStore: loading', () => {
  it('shows the summary and the first page of the first section, never the whole table', async () => {
    const server = new FakeServer(many(250, (i) => ({ tag: i % 2 ? media : null })), [{ id: 3, name: 'media', created_at: '', image_count: 1 }]);
    const store = new DashboardStore();
    await store.show(pendingView);
    const s = store.getSnapshot();
    expect(s.phase).toBe('ready');
    expect(s.totals?.pending).toBe(250);
    expect(s.summary).toBe(s.totals); // no filter: one summary
    expect(s.info?.version).toBe('0.1.0');
    // The media section fills the first screen: only its first page is asked for.
    // Besides one small search for Diun's test notifications (shown apart as "connection works").
    const lookups = server.of('GET', 'api/updates').filter((c) => c.params.get('q') === 'diun/testnotif');
    expect(lookups.map((c) => c.params.get('limit'))).toEqual(['50']);
    const pages = server.of('GET', 'api/updates').filter((c) => !lookups.includes(c));
    expect(pages).toHaveLength(1);
    expect(Object.fromEntries(pages[0].params)).toEqual({ limit: String(PAGE_SIZE), acknowledged: 'false', tag: '3' });
    expect(loadedIds(store, 'tag:3')).toHaveLength(PAGE_SIZE);
    expect(loadedIds(store, 'tag:3')?.[0]).toBe(249);
    expect(s.pages.has('untagged')).toBe(false);
  });

  it('loads the next pages with the cursor, then the other sections', async () => {
    const server = new FakeServer(many(250, (i) => ({ tag: i % 2 ? media : null })));
    const store = new DashboardStore();
    await store.show(pendingView);
    await store.loadMore('tag:3');
    expect(server.of('GET', 'api/updates').at(-1)?.params.get('cursor')).toBe(`c${PAGE_SIZE}`);
    await store.loadMore('tag:3');
    expect(loadedIds(store, 'tag:3')).toHaveLength(125);
    // The last page came: nothing more is asked for.
    const before = server.calls.length;
    await store.loadMore('tag:3');
    expect(server.calls.length).toBe(before);
    await store.loadMore('untagged');
    expect(server.of('GET', 'api/updates').at(-1)?.params.get('tag')).toBe('none');
    expect(loadedIds(store, 'untagged')).toHaveLength(PAGE_SIZE);
  });

  it('asks the server for a search: filtered summary and pages, totals kept for the tiles', async () => {
    const server = new FakeServer([makeUpdate({ id: 1, image: 'nginx:1' }), makeUpdate({ id: 2, image: 'redis:7' })]);
    const store = new DashboardStore();
    await store.show(pendingView);
    await store.show({ ...pendingView, q: 'redis' });
    const s = store.getSnapshot();
    expect(server.of('GET', 'api/updates/summary').at(-1)?.params.get('q')).toBe('redis');
    expect(server.of('GET', 'api/updates').at(-1)?.params.get('q')).toBe('redis');
    expect(s.summary?.total).toBe(1);
    expect(s.totals?.total).toBe(2);
    expect(loadedIds(store, 'untagged')).toEqual([2]);
    expect(server.calls.every((c) => c.path !== 'api/updates' || c.params.has('limit'))).toBe(true);
  });

  it("asks for the top section's first page of a search at once, and shows it before the summary", async () => {
    const server = new FakeServer([makeUpdate({ id: 1, image: 'nginx:1' }), makeUpdate({ id: 2, image: 'redis:7' })]);
    const store = new DashboardStore();
    await store.show(pendingView);
    const before = server.calls.length;
    const searching = store.show({ ...pendingView, q: 'redis' });
    expect(server.calls.slice(before).map((c) => c.path)).toEqual(['api/updates']);
    // The page is on screen (with stand-in counts) before the summary is even asked for.
    await vi.waitFor(() => expect(loadedIds(store, 'untagged')).toEqual([2]));
    expect(store.getSnapshot().summary?.pending).toBe(1);
    await searching;
    expect(server.calls.slice(before).map((c) => c.path)).toEqual(['api/updates', 'api/updates/summary']);
    expect(server.calls.length).toBe(before + 2);
    expect(loadedIds(store, 'untagged')).toEqual([2]);
  });

  it('drops the answer of a query that was replaced while it loaded', async () => {
    new FakeServer([makeUpdate({ id: 1, image: 'nginx:1' }), makeUpdate({ id: 2, image: 'redis:7' })]);
    const store = new DashboardStore();
    await store.show(pendingView);
    const slow = store.show({ ...pendingView, q: 'nginx' });
    const fast = store.show({ ...pendingView, q: 'redis' });
    await Promise.all([slow, fast]);
    expect(store.getSnapshot().query?.q).toBe('redis');
    expect(loadedIds(store, 'untagged')).toEqual([2]);
  });
});

describe('DashboardStore: live changes and revalidation', () => {
  it('merges the updates an event names in place and revalidates the summary with its ETag', async () => {
    const server = new FakeServer(many(3));
    const store = new DashboardStore();
    await store.show(pendingView);
    expect(loadedIds(store, 'untagged')).toEqual([3, 2, 1]);
    // Update 1 is seen again (newest now), update 2 acknowledged elsewhere, update 4 created.
    server.updates = [
      { ...server.updates[0], last_seen_at: at(10), event_count: 2 },
      { ...server.updates[1], acknowledged_at: at(11) },
      server.updates[2],
      makeUpdate({ id: 4, last_seen_at: at(5), image: 'img-4:1' }),
    ];
    server.touch();
    const before = server.calls.length;
    await store.sync([
      { type: 'update.changed', id: 1 },
      { type: 'update.acknowledged', ids: [2] },
      { type: 'update.created', id: 4 },
    ]);
    expect(loadedIds(store, 'untagged')).toEqual([1, 4, 3]);
    const asked = server.calls.slice(before);
    expect(asked.filter((c) => c.path === 'api/updates')).toEqual([]);
    expect(asked.filter((c) => c.path.startsWith('api/updates/')).map((c) => c.path).sort()).toEqual(['api/updates/1', 'api/updates/2', 'api/updates/4', 'api/updates/summary']);
    expect(asked.find((c) => c.path === 'api/updates/summary')?.ifNoneMatch).toBe('"1"');
    expect(store.getSnapshot().totals?.pending).toBe(3);
  });

  it('on focus, a 304 means nothing to do; a moved revision reloads only the loaded pages', async () => {
    const server = new FakeServer(many(250));
    const store = new DashboardStore();
    await store.show(pendingView);
    await store.loadMore('untagged');
    let before = server.calls.length;
    await store.refresh('revalidate');
    expect(server.calls.slice(before).map((c) => [c.path, c.ifNoneMatch])).toEqual([['api/updates/summary', '"1"']]);
    // Tag events: the revision moved, the 200 loaded pages come again in one request of 200.
    server.updates = server.updates.map((u) => (u.id === 250 ? { ...u, tag: media } : u));
    server.touch();
    before = server.calls.length;
    await store.sync([{ type: 'assignment.changed' }]);
    const pages = server.calls.slice(before).filter((c) => c.path === 'api/updates');
    expect(pages.map((c) => [c.params.get('tag'), c.params.get('limit'), c.params.get('cursor')])).toEqual([['none', '200', null]]);
    expect(loadedIds(store, 'untagged')).toHaveLength(200);
    expect(loadedIds(store, 'untagged')?.[0]).toBe(249);
    expect(store.getSnapshot().summary?.tags.map((g) => g.tag?.name ?? null)).toEqual(['media', null]);
  });
});

describe('DashboardStore: mutations', () => {
  it('acknowledges optimistically and merges the answer in place', async () => {
    const server = new FakeServer(many(2));
    server.routes['PATCH api/updates/1'] = () => {
      server.updates = server.updates.map((u) => (u.id === 1 ? { ...u, acknowledged_at: '2026-11-27T10:00:00Z' } : u));
      server.touch();
      return [200, server.updates[0]];
    };
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    const done = store.acknowledge([1]);
    // Gone from the pending view at once, before the server answered.
    expect(loadedIds(store, 'untagged')).toEqual([2]);
    expect(await done).toBe(true);
    expect(server.of('PATCH', 'api/updates/1')[0].body).toEqual({ acknowledged: true });
    expect(store.getSnapshot().totals?.pending).toBe(1);
    expect(server.of('GET', 'api/updates').filter((c) => c.params.get('q') !== 'diun/testnotif')).toHaveLength(1); // no reload
    expect(toastStore.getSnapshot().at(-1)?.action?.label).toBe('Undo');
  });

  it('acknowledges several ids in one request and undoes them in one request', async () => {
    const server = new FakeServer(many(3));
    server.routes['POST api/updates/acknowledge'] = () => [200, { acknowledged: 2, acknowledged_at: '2026-11-27T10:00:00.123456Z' }];
    server.routes['POST api/updates/unacknowledge'] = () => [200, { unacknowledged: 2 }];
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    await store.acknowledge([1, 2]);
    expect(server.of('POST', 'api/updates/acknowledge')[0].body).toEqual({ ids: [1, 2] });
    expect(loadedIds(store, 'untagged')).toEqual([3]);
    toastStore.getSnapshot().at(-1)?.action?.run();
    await vi.waitFor(() => expect(loadedIds(store, 'untagged')).toEqual([3, 2, 1]));
    expect(server.of('POST', 'api/updates/unacknowledge').map((c) => c.body)).toEqual([{ ids: [1, 2] }]);
    expect(server.of('PATCH', 'api/updates/1')).toEqual([]);
  });

  it('acknowledges a whole section by filter, loaded or not, and undoes it by its instant', async () => {
    const server = new FakeServer(many(300, () => ({ tag: media })));
    const instant = '2026-11-27T10:00:00.5Z';
    server.routes['POST api/updates/acknowledge'] = () => {
      server.updates = server.updates.map((u) => ({ ...u, acknowledged_at: instant }));
      server.touch();
      return [200, { acknowledged: 300, acknowledged_at: instant }];
    };
    server.routes['POST api/updates/unacknowledge'] = () => {
      server.updates = server.updates.map((u) => ({ ...u, acknowledged_at: null }));
      server.touch();
      return [200, { unacknowledged: 300 }];
    };
    const store = new DashboardStore();
    await store.show({ ...pendingView, q: 'img' });
    await store.acknowledgeGroup('tag:3', media, 300);
    expect(server.of('POST', 'api/updates/acknowledge')[0].body).toEqual({ filter: { tag: 3, q: 'img' } });
    expect(loadedIds(store, 'tag:3')).toEqual([]);
    expect(store.getSnapshot().summary?.pending).toBe(0);
    const toast = toastStore.getSnapshot().at(-1);
    expect(toast?.title).toBe('Acknowledged 300 updates in media');
    toast?.action?.run();
    await vi.waitFor(() => expect(loadedIds(store, 'tag:3')).toHaveLength(PAGE_SIZE));
    expect(server.of('POST', 'api/updates/unacknowledge').map((c) => c.body)).toEqual([{ acknowledged_at: instant }]);
  });

  it('moves many images to a tag in one request', async () => {
    const server = new FakeServer(many(3));
    server.routes['PUT api/tag-assignments'] = () => [200, { images: 2, tag: media }];
    const store = new DashboardStore();
    await store.show(pendingView);
    expect(await store.setImageTag(['img-1:1', 'img-2:1'], media)).toBe(true);
    expect(server.of('PUT', 'api/tag-assignments').map((c) => c.body)).toEqual([{ images: ['img-1:1', 'img-2:1'], tag_id: 3 }]);
  });

  it("rolls back a failed change, shows the server's message and catches up", async () => {
    const server = new FakeServer([makeUpdate({ id: 1, image: 'nginx:1', tag: null })]);
    server.routes['PUT api/tag-assignments'] = () => [404, { error: 'not_found', message: 'No tag with id 3.' }];
    const store = new DashboardStore();
    await store.show(pendingView);
    const done = store.setImageTag(['nginx:1'], media);
    // Moved at once (media has no loaded section, so it just leaves Untagged).
    expect(loadedIds(store, 'untagged')).toEqual([]);
    expect(await done).toBe(false);
    expect(loadedIds(store, 'untagged')).toEqual([1]);
    const toast = toastStore.getSnapshot().at(-1);
    expect(toast?.kind).toBe('error');
    expect(toast?.description).toBe('No tag with id 3.');
  });

  it('keeps an optimistic change over a page that arrives while the request is in flight', async () => {
    const server = new FakeServer(many(150));
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    server.routes['POST api/updates/acknowledge'] = () => [200, { acknowledged: 1, acknowledged_at: at(99) }];
    // The acknowledge hangs until the next page has arrived with the old state of update 1.
    const realFetch = globalThis.fetch;
    vi.stubGlobal('fetch', async (input: string, init?: RequestInit) => {
      if ((init?.method ?? 'GET') === 'POST') await gate;
      return realFetch(input, init);
    });
    const ack = store.acknowledge([1, 2]);
    await store.loadMore('untagged');
    expect(loadedIds(store, 'untagged')).not.toContain(1);
    release();
    await ack;
    expect(loadedIds(store, 'untagged')).not.toContain(1);
    expect(loadedIds(store, 'untagged')).toHaveLength(148);
  });

  it('keeps an acknowledged row in place a moment (inert), then lets it go', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      new FakeServer(many(3));
      const store = new DashboardStore({ leavingMs: 1000 });
      await store.show(pendingView);
      await store.acknowledge([2]);
      // Still at its place, marked as leaving: the row below does not slide up under the pointer.
      expect(loadedIds(store, 'untagged')).toEqual([3, 2, 1]);
      expect([...store.getSnapshot().leaving]).toEqual([2]);
      vi.advanceTimersByTime(1000);
      expect(loadedIds(store, 'untagged')).toEqual([3, 1]);
      expect(store.getSnapshot().leaving.size).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });

  it('undo() takes back the last change first, then the one before', async () => {
    const server = new FakeServer(many(3));
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    await store.acknowledge([3]);
    await store.acknowledge([1]);
    expect(store.getSnapshot().undo?.label).toMatch(/^Acknowledged img-1:1/);
    expect(await store.undo()).toMatch(/^Acknowledged img-1:1/);
    expect(server.updates.find((u) => u.id === 1)?.acknowledged_at).toBeNull();
    expect(server.updates.find((u) => u.id === 3)?.acknowledged_at).not.toBeNull();
    expect(await store.undo()).toMatch(/^Acknowledged img-3:1/);
    expect(server.updates.find((u) => u.id === 3)?.acknowledged_at).toBeNull();
    expect(await store.undo()).toBeNull();
  });

  it('undoes a tag move by putting each image back in its previous tag', async () => {
    const server = new FakeServer(many(2, (i) => ({ tag: i === 1 ? media : null })), [{ id: 3, name: 'media', created_at: '', image_count: 1 }]);
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    await store.loadMore('untagged');
    await store.setImageTag(['img-1:1', 'img-2:1'], { id: 3, name: 'media' });
    expect(server.of('PUT', 'api/tag-assignments').at(-1)?.body).toEqual({ images: ['img-1:1', 'img-2:1'], tag_id: 3 });
    expect(await store.undo()).toBe('Moved 2 images to media');
    // img-1 was already in media: only img-2 goes back to no tag.
    expect(server.of('PUT', 'api/tag-assignments').at(-1)?.body).toEqual({ image: 'img-1:1', tag_id: 3 });
    expect(server.of('DELETE', 'api/tag-assignments').at(-1)?.body).toEqual({ image: 'img-2:1' });
  });

  it('marks live arrivals as new, not updates changed by an acknowledge', async () => {
    const server = new FakeServer(many(2));
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    server.updates.push(makeUpdate({ id: 9, image: 'img-9:1', last_seen_at: at(50) }));
    await store.sync([{ type: 'update.created', id: 9 }, { type: 'update.acknowledged', ids: [1] }]);
    expect([...store.getSnapshot().arrivals.keys()]).toEqual([9]);
    expect(loadedIds(store, 'untagged')?.[0]).toBe(9);
  });

  it('marks an arrival that comes with a change needing a reload (a tag assignment in the same burst)', async () => {
    const server = new FakeServer(many(2));
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    server.updates.push(makeUpdate({ id: 9, image: 'img-9:1', last_seen_at: at(50) }));
    server.touch();
    const before = server.calls.length;
    await store.sync([{ type: 'assignment.changed' }, { type: 'update.created', id: 9 }, { type: 'update.changed', id: 1 }]);
    // The burst was reloaded (pages asked again), not fetched one by one.
    expect(server.calls.slice(before).some((c) => c.path === 'api/updates')).toBe(true);
    expect(loadedIds(store, 'untagged')?.[0]).toBe(9);
    expect([...store.getSnapshot().arrivals.keys()].sort()).toEqual([1, 9]);

    // In the "all" view an acknowledged update sent again is no news.
    server.updates = server.updates.map((u) => (u.id === 2 ? { ...u, acknowledged_at: at(60) } : u));
    server.touch();
    await store.show({ ...pendingView, status: 'all' });
    await store.sync([{ type: 'assignment.changed' }, { type: 'update.changed', id: 2 }]);
    expect(store.getSnapshot().arrivals.has(2)).toBe(false);
  });

  it('undo() during a change waits for it and takes back that change, not the one before', async () => {
    const server = new FakeServer(many(3));
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    await store.acknowledge([3]);
    const second = store.acknowledge([1]); // in flight
    expect(await store.undo()).toMatch(/^Acknowledged img-1:1/);
    await second;
    expect(server.updates.find((u) => u.id === 1)?.acknowledged_at).toBeNull();
    expect(server.updates.find((u) => u.id === 3)?.acknowledged_at).not.toBeNull();
  });

  it('an undo during the moment a row stays in place makes it an ordinary row again at once', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    try {
      new FakeServer(many(3));
      const store = new DashboardStore({ leavingMs: 1000 });
      await store.show(pendingView);
      await store.acknowledge([2]);
      expect([...store.getSnapshot().leaving]).toEqual([2]);
      await store.undo();
      expect(store.getSnapshot().leaving.size).toBe(0);
      vi.advanceTimersByTime(1000);
      expect(loadedIds(store, 'untagged')).toEqual([3, 2, 1]);
    } finally {
      vi.useRealTimers();
    }
  });
});
