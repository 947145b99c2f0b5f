import { describe, expect, it } from 'vitest';
import { countFor, groupKey, groupsOf, type LoadedGroup } from './grouping';
import { makeUpdate } from './fixtures.test-util';
import type { Summary } from './types';

const alpha = { id: 5, name: 'Alpha' };
const beta = { id: 3, name: 'beta' };
const summary: Summary = {
  pending: 5,
  acknowledged: 3,
  total: 8,
  oldest_pending: null,
  tags: [
    { tag: alpha, pending: 2, acknowledged: 0 },
    { tag: beta, pending: 0, acknowledged: 3 },
    { tag: null, pending: 3, acknowledged: 0 },
  ],
  hosts: [],
};

describe('groupsOf', () => {
  it("keeps the summary's order and shows only sections with something under the status", () => {
    const none = new Map<string, LoadedGroup>();
    expect(groupsOf(summary, 'pending', none).map((g) => [g.key, g.count])).toEqual([
      ['tag:5', 2],
      ['untagged', 3],
    ]);
    expect(groupsOf(summary, 'acknowledged', none).map((g) => [g.key, g.count])).toEqual([['tag:3', 3]]);
    expect(groupsOf(summary, 'all', none).map((g) => g.key)).toEqual(['tag:5', 'tag:3', 'untagged']);
  });

  it('carries the loaded updates and whether more pages remain', () => {
    const u = makeUpdate({ id: 1, tag: alpha });
    const loaded = new Map<string, LoadedGroup>([
      ['tag:5', { updates: [u], cursor: 'c2', started: true, loading: false, error: null }],
      ['untagged', { updates: [], cursor: null, started: true, loading: false, error: null }],
    ]);
    const [a, untagged] = groupsOf(summary, 'pending', loaded);
    expect(a.updates).toEqual([u]);
    expect(a.hasMore).toBe(true);
    expect(a.pendingCount).toBe(2);
    expect(untagged.hasMore).toBe(false);
  });

  it('counts per status and names the sections', () => {
    expect(countFor({ pending: 2, acknowledged: 3 }, 'all')).toBe(5);
    expect(groupKey(null)).toBe('untagged');
    expect(groupKey(beta)).toBe('tag:3');
  });
});
