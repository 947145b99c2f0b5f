import { describe, expect, it } from 'vitest';
import { filterUpdates, stateOf, statsOf } from './filter';
import { makeUpdate } from './fixtures.test-util';
import { DEFAULT_VIEW } from './viewState';

const media = { id: 1, name: 'media' };
const infra = { id: 2, name: 'infra' };
const updates = [
  makeUpdate({ id: 1, image: 'docker.io/library/nginx:1.27', hostname: 'nas', metadata: { ctn_names: 'web,web-proxy' }, tag: infra }),
  makeUpdate({ id: 2, image: 'ghcr.io/home-assistant/home-assistant:2026.11', hostname: 'swarm-manager-1', provider: 'swarm', metadata: { ctn_name: 'homeassistant_app' }, tag: media }),
  makeUpdate({ id: 3, image: 'quay.io/prometheus/prometheus:v3.1.0', hostname: 'k8s', provider: 'kubernetes', metadata: { pod_name: 'prometheus-0', pod_namespace: 'monitoring' }, acknowledged_at: '2026-11-21T00:00:00Z' }),
  makeUpdate({ id: 4, image: 'docker.io/library/redis:7.4', hostname: 'nas', metadata: { ctn_name: 'cache' }, tag: null, last_seen_at: '2026-11-10T00:00:00Z' }),
];
const ids = (list: { id: number }[]) => list.map((u) => u.id);

describe('filterUpdates', () => {
  it('filters by status', () => {
    expect(ids(filterUpdates(updates, DEFAULT_VIEW))).toEqual([1, 2, 4]);
    expect(ids(filterUpdates(updates, { ...DEFAULT_VIEW, status: 'acknowledged' }))).toEqual([3]);
    expect(ids(filterUpdates(updates, { ...DEFAULT_VIEW, status: 'all' }))).toEqual([1, 2, 3, 4]);
  });

  it('searches image, container names and host, case-insensitively', () => {
    const all = { ...DEFAULT_VIEW, status: 'all' as const };
    expect(ids(filterUpdates(updates, { ...all, q: 'NGINX' }))).toEqual([1]);
    expect(ids(filterUpdates(updates, { ...all, q: 'web-proxy' }))).toEqual([1]);
    expect(ids(filterUpdates(updates, { ...all, q: 'homeassistant_app' }))).toEqual([2]);
    expect(ids(filterUpdates(updates, { ...all, q: 'monitoring/prom' }))).toEqual([3]);
    expect(ids(filterUpdates(updates, { ...all, q: 'nas' }))).toEqual([1, 4]);
    expect(ids(filterUpdates(updates, { ...all, q: 'nas cache' }))).toEqual([4]);
    expect(ids(filterUpdates(updates, { ...all, q: 'nothing-like-this' }))).toEqual([]);
  });

  it('filters by tag, untagged and host', () => {
    const all = { ...DEFAULT_VIEW, status: 'all' as const };
    expect(ids(filterUpdates(updates, { ...all, tag: 1 }))).toEqual([2]);
    expect(ids(filterUpdates(updates, { ...all, tag: 'none' }))).toEqual([3, 4]);
    expect(ids(filterUpdates(updates, { ...all, host: 'nas' }))).toEqual([1, 4]);
    expect(ids(filterUpdates(updates, { ...DEFAULT_VIEW, host: 'k8s' }))).toEqual([]);
  });
});

describe('stateOf', () => {
  const at = '2026-12-01T00:00:00Z';
  it('reads one state by precedence: acknowledged > muted > snoozed > pending', () => {
    expect(stateOf(makeUpdate({ id: 1 }))).toBe('pending');
    expect(stateOf(makeUpdate({ id: 1, snoozed_until: at }))).toBe('snoozed');
    expect(stateOf(makeUpdate({ id: 1, snoozed_until: at, muted_by: 3 }))).toBe('muted');
    expect(stateOf(makeUpdate({ id: 1, snoozed_until: at, muted_by: 3, acknowledged_at: at }))).toBe('acknowledged');
    // A server without issue 12 sends neither field.
    expect(stateOf(makeUpdate({ id: 1, snoozed_until: undefined, muted_by: undefined }))).toBe('pending');
  });

  it('filters the list by state', () => {
    const list = [makeUpdate({ id: 1 }), makeUpdate({ id: 2, snoozed_until: at }), makeUpdate({ id: 3, muted_by: 1 }), makeUpdate({ id: 4, acknowledged_at: at })];
    expect(ids(filterUpdates(list, DEFAULT_VIEW))).toEqual([1]);
    expect(ids(filterUpdates(list, { ...DEFAULT_VIEW, status: 'snoozed' }))).toEqual([2]);
    expect(ids(filterUpdates(list, { ...DEFAULT_VIEW, status: 'muted' }))).toEqual([3]);
    expect(ids(filterUpdates(list, { ...DEFAULT_VIEW, status: 'acknowledged' }))).toEqual([4]);
    expect(ids(filterUpdates(list, { ...DEFAULT_VIEW, status: 'all' }))).toEqual([1, 2, 3, 4]);
  });
});

describe('statsOf', () => {
  it('takes the tiles from the unfiltered summary', () => {
    const oldest = updates[3];
    const summary = {
      pending: 3,
      acknowledged: 1,
      total: 4,
      oldest_pending: oldest,
      tags: [],
      hosts: [
        { hostname: 'k8s', pending: 0, acknowledged: 1 },
        { hostname: 'nas', pending: 2, acknowledged: 0 },
        { hostname: 'swarm-manager-1', pending: 1, acknowledged: 0 },
      ],
    };
    expect(statsOf(summary)).toEqual({ pending: 3, acknowledged: 1, snoozed: 0, muted: 0, hosts: 3, oldestPendingAt: '2026-11-10T00:00:00Z' });
    expect(statsOf({ ...summary, snoozed: 2, muted: 5 })).toMatchObject({ pending: 3, snoozed: 2, muted: 5 });
    expect(statsOf(null)).toEqual({ pending: 0, acknowledged: 0, snoozed: 0, muted: 0, hosts: 0, oldestPendingAt: null });
  });
});
