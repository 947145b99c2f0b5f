// The store's triage (issue 12): snoozes, mutes and images across hosts, merged in place.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeUpdate } from '../lib/fixtures.test-util';
import type { Update } from '../lib/types';
import { FakeServer } from './fakeServer.test-util';
import { listQueryOf } from './listQuery';
import { DashboardStore } from './store';
import { toastStore } from './toasts';

const pendingView = listQueryOf({ status: 'pending', q: '', tag: null, host: null });
const at = (i: number) => new Date(Date.UTC(2026, 10, 27, 0, 0, i)).toISOString();
const later = new Date(Date.now() + 7 * 86_400_000).toISOString();
const many = (n: number, over: (i: number) => Partial<Update> = () => ({})) => Array.from({ length: n }, (_, i) => makeUpdate({ id: i + 1, last_seen_at: at(i), image: `img-${i + 1}:1`, ...over(i + 1) }));
const loadedIds = (store: DashboardStore, key: string) => store.getSnapshot().pages.get(key)?.updates.map((u) => u.id);
const pagesAsked = (server: FakeServer, from = 0) => server.calls.slice(from).filter((c) => c.path === 'api/updates' && c.params.get('q') !== 'diun/testnotif');

beforeEach(() => {
  vi.stubGlobal('document', { baseURI: 'http://dash.local/sub/' });
  for (const t of toastStore.getSnapshot()) toastStore.dismiss(t.id);
});

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('DashboardStore: the new change kinds, merged in place', () => {
  for (const prefix of ['', 'update.']) {
    it(`${prefix}snoozed / ${prefix}unsnoozed / ${prefix}muted fetch the updates named, reload no page`, async () => {
      const server = new FakeServer(many(4));
      const store = new DashboardStore({ leavingMs: 0 });
      await store.show(pendingView);
      expect(loadedIds(store, 'untagged')).toEqual([4, 3, 2, 1]);
      // Elsewhere: 3 snoozed, 2 muted by rule 9.
      server.updates = server.updates.map((u) => (u.id === 3 ? { ...u, snoozed_until: later } : u.id === 2 ? { ...u, muted_by: 9 } : u));
      server.touch();
      const before = server.calls.length;
      await store.sync([
        { type: `${prefix}snoozed`, ids: [3] },
        { type: `${prefix}muted`, ids: [2] },
      ]);
      expect(loadedIds(store, 'untagged')).toEqual([4, 1]);
      expect(pagesAsked(server, before)).toEqual([]);
      expect(store.getSnapshot().summary?.snoozed).toBe(1);
      expect(store.getSnapshot().summary?.muted).toBe(1);

      // The waker (or a new digest) ends the snooze: it comes back at its place.
      server.updates = server.updates.map((u) => (u.id === 3 ? { ...u, snoozed_until: null } : u));
      server.touch();
      await store.sync([{ type: `${prefix}unsnoozed`, ids: [3] }]);
      expect(loadedIds(store, 'untagged')).toEqual([4, 3, 1]);
      expect(pagesAsked(server, before)).toEqual([]);
    });
  }

  it('mute_rules reloads the list of rules (when shown), not the updates', async () => {
    const server = new FakeServer(many(2));
    const store = new DashboardStore();
    await store.show(pendingView);
    await store.loadMuteRules();
    expect(store.getSnapshot().muteRules).toEqual([]);
    server.muteRules = [{ id: 1, pattern: 'img-*', hostname: null, status: null, comment: '', created_at: at(0), held: 0 }];
    const before = server.calls.length;
    await store.sync([{ type: 'mute_rules' }]);
    await vi.waitFor(() => expect(store.getSnapshot().muteRules).toHaveLength(1));
    expect(pagesAsked(server, before)).toEqual([]);
  });
});

describe('DashboardStore: snooze', () => {
  it('snoozes optimistically (the row leaves the pending view), and undo unsnoozes exactly those', async () => {
    const server = new FakeServer(many(3));
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    const done = store.snooze([2, 3], later);
    // At once, before the server answered.
    expect(loadedIds(store, 'untagged')).toEqual([1]);
    expect(await done).toBe(true);
    expect(server.of('POST', 'api/updates/snooze')[0].body).toEqual({ until: later, ids: [2, 3] });
    expect(store.getSnapshot().summary?.snoozed).toBe(2);
    expect(toastStore.getSnapshot().at(-1)?.title).toMatch(/^Snoozed 2 updates until /);

    expect(await store.undo()).toMatch(/^Snoozed/);
    expect((server.of('POST', 'api/updates/unsnooze')[0].body as { ids: number[] }).ids.sort()).toEqual([2, 3]);
    expect(server.updates.every((u) => !u.snoozed_until)).toBe(true);
    expect(loadedIds(store, 'untagged')).toEqual([3, 2, 1]);
  });

  it('unsnooze in the snoozed view takes the row out; its undo snoozes it again until the same end', async () => {
    const server = new FakeServer(many(2, (i) => (i === 1 ? { snoozed_until: later } : {})));
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show({ ...pendingView, status: 'snoozed' });
    expect(loadedIds(store, 'untagged')).toEqual([1]);
    await store.unsnooze([1]);
    expect(loadedIds(store, 'untagged')).toEqual([]);
    await store.undo();
    expect(server.of('POST', 'api/updates/snooze').at(-1)?.body).toEqual({ until: later, ids: [1] });
    expect(loadedIds(store, 'untagged')).toEqual([1]);
  });

  it('a failed snooze puts the rows back and says why', async () => {
    const server = new FakeServer(many(2));
    server.routes['POST api/updates/snooze'] = () => [400, { error: 'invalid', message: 'until must be in the future.', field: 'until' }];
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    expect(await store.snooze([1], later)).toBe(false);
    expect(loadedIds(store, 'untagged')).toEqual([2, 1]);
    expect(toastStore.getSnapshot().at(-1)).toMatchObject({ kind: 'error', description: 'until must be in the future.' });
  });
});

describe('DashboardStore: grouped by image', () => {
  const fleet = () => [
    makeUpdate({ id: 1, image: 'nginx:1.27', hostname: 'nas', last_seen_at: at(1) }),
    makeUpdate({ id: 2, image: 'nginx:1.27', hostname: 'edge', last_seen_at: at(2) }),
    makeUpdate({ id: 3, image: 'nginx:1.27', hostname: 'pi', last_seen_at: at(3), acknowledged_at: at(3) }),
    makeUpdate({ id: 4, image: 'redis:7', hostname: 'nas', last_seen_at: at(4) }),
  ];
  const byImage = { ...pendingView, by: 'image' as const };

  it('pages images (not updates); expanding one asks for that image only', async () => {
    const server = new FakeServer(fleet());
    const store = new DashboardStore({ leavingMs: 0 });
    store.setExpanded(() => false);
    await store.show(byImage);
    const images = store.getSnapshot().images?.images;
    expect(images?.map((i) => [i.image, i.pending, i.host_count])).toEqual([
      ['redis:7', 1, 1],
      ['nginx:1.27', 2, 2],
    ]);
    expect(server.of('GET', 'api/images')[0].params.get('state')).toBe('pending');
    expect(pagesAsked(server)).toEqual([]);
    await store.loadMore('image:nginx:1.27');
    expect(Object.fromEntries(pagesAsked(server)[0].params)).toMatchObject({ image: 'nginx:1.27', acknowledged: 'false' });
    expect(loadedIds(store, 'image:nginx:1.27')).toEqual([2, 1]);
  });

  it('acknowledges an image on every host in one request; undo puts back exactly those', async () => {
    const server = new FakeServer(fleet());
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(byImage);
    await store.loadMore('image:nginx:1.27');
    await store.acknowledgeImage('nginx:1.27', 2);
    expect(server.of('POST', 'api/updates/acknowledge')[0].body).toEqual({ image: 'nginx:1.27' });
    expect(loadedIds(store, 'image:nginx:1.27')).toEqual([]);
    expect(store.getSnapshot().images?.images.map((i) => i.image)).toEqual(['redis:7']);
    expect(await store.undo()).toBe('Acknowledged nginx:1.27 on 2 hosts');
    const unack = server.of('POST', 'api/updates/unacknowledge')[0].body as { acknowledged_at: string };
    expect(Object.keys(unack)).toEqual(['acknowledged_at']);
    expect(server.updates.filter((u) => u.acknowledged_at !== null).map((u) => u.id)).toEqual([3]);
    expect(store.getSnapshot().images?.images.map((i) => i.image)).toEqual(['redis:7', 'nginx:1.27']);
  });
});

describe('DashboardStore: mute rules', () => {
  it('a new rule hides the rows it catches at once; undo deletes the rule', async () => {
    const server = new FakeServer([makeUpdate({ id: 1, image: 'docker.io/library/nginx:1.27' }), makeUpdate({ id: 2, image: 'docker.io/library/redis:7', last_seen_at: at(9) })]);
    let created = false;
    server.routes['POST api/mute-rules'] = (body) => {
      created = true;
      server.updates = server.updates.map((u) => (u.id === 1 ? { ...u, muted_by: 5 } : u));
      server.touch();
      return [201, { id: 5, hostname: null, status: null, comment: '', created_at: at(0), held: 1, ...(body as object) }];
    };
    server.routes['DELETE api/mute-rules/5'] = () => {
      server.updates = server.updates.map((u) => ({ ...u, muted_by: null }));
      server.touch();
      return [204, null];
    };
    const store = new DashboardStore({ leavingMs: 0 });
    await store.show(pendingView);
    const done = store.createMuteRule({ pattern: 'docker.io/library/nginx:*' });
    expect(loadedIds(store, 'untagged')).toEqual([2]);
    expect((await done)?.id).toBe(5);
    expect(created).toBe(true);
    expect(store.getSnapshot().summary?.muted).toBe(1);
    expect(toastStore.getSnapshot().at(-1)?.title).toBe('Muted 1 update with docker.io/library/nginx:*');
    await store.undo();
    expect(server.of('DELETE', 'api/mute-rules/5')).toHaveLength(1);
    expect(loadedIds(store, 'untagged')).toEqual([2, 1]);
  });
});
