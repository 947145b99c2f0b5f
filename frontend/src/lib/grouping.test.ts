import { describe, expect, it } from 'vitest';
import { groupByTag, groupKey } from './grouping';
import { makeUpdate } from './fixtures.test-util';

describe('groupByTag', () => {
  const zeta = { id: 9, name: 'zeta' };
  const alpha = { id: 5, name: 'Alpha' };
  const beta = { id: 3, name: 'beta' };
  const updates = [
    makeUpdate({ id: 1, tag: null }),
    makeUpdate({ id: 2, tag: zeta }),
    makeUpdate({ id: 3, tag: alpha, acknowledged_at: '2026-11-21T00:00:00Z' }),
    makeUpdate({ id: 4, tag: beta }),
    makeUpdate({ id: 5, tag: alpha }),
    makeUpdate({ id: 6, tag: null }),
  ];

  it('sorts tags by name ignoring case and puts Untagged last', () => {
    const groups = groupByTag(updates);
    expect(groups.map((g) => g.key)).toEqual(['tag:5', 'tag:3', 'tag:9', 'untagged']);
    expect(groups.map((g) => g.tag?.name ?? null)).toEqual(['Alpha', 'beta', 'zeta', null]);
  });

  it('counts members and pending members, keeping input order', () => {
    const groups = groupByTag(updates);
    expect(groups.map((g) => g.updates.length)).toEqual([2, 1, 1, 2]);
    expect(groups.map((g) => g.pendingCount)).toEqual([1, 1, 1, 2]);
    expect(groups[0].updates.map((u) => u.id)).toEqual([3, 5]);
    expect(groups[3].updates.map((u) => u.id)).toEqual([1, 6]);
  });

  it('has no groups for no updates, and only Untagged when nothing is tagged', () => {
    expect(groupByTag([])).toEqual([]);
    expect(groupByTag([makeUpdate({ tag: null })]).map((g) => g.key)).toEqual(['untagged']);
  });

  it('builds keys from tag ids', () => {
    expect(groupKey({ id: 12, name: 'x' })).toBe('tag:12');
    expect(groupKey(null)).toBe('untagged');
  });
});
