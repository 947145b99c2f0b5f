import { describe, expect, it } from 'vitest';
import { makeUpdate } from '../lib/fixtures.test-util';
import { MAX_SINGLE_FETCHES, mergeUpdates, planChanges } from './store';

describe('planChanges', () => {
  it('fetches the updates named and removes the deleted ones', () => {
    const plan = planChanges([
      { type: 'update.created', id: 1 },
      { type: 'update.acknowledged', ids: [2, 3] },
      { type: 'update.deleted', ids: [3] },
      { type: 'update.changed', id: 3 },
    ]);
    expect(plan && [...plan.fetch].sort()).toEqual([1, 2]);
    expect(plan && [...plan.remove]).toEqual([3]);
  });

  it('asks for a full load for tag changes and large bursts', () => {
    expect(planChanges([{ type: 'update.created', id: 1 }, { type: 'tag.renamed', id: 4 }])).toBeNull();
    expect(planChanges([{ type: 'assignment.changed' }])).toBeNull();
    const many = Array.from({ length: MAX_SINGLE_FETCHES + 1 }, (_, i) => i + 1);
    expect(planChanges([{ type: 'update.acknowledged', ids: many }])).toBeNull();
  });
});

describe('mergeUpdates', () => {
  it('replaces, adds and removes, keeping the server order as instants', () => {
    const a = makeUpdate({ id: 1, last_seen_at: '2026-11-27T08:00:00Z' });
    const b = makeUpdate({ id: 2, last_seen_at: '2026-11-27T08:00:00.5Z' });
    const c = makeUpdate({ id: 3, last_seen_at: '2026-11-27T07:00:00Z' });
    const freshA = { ...a, last_seen_at: '2026-11-27T09:00:00Z', event_count: 2 };
    const d = makeUpdate({ id: 4, last_seen_at: '2026-11-27T08:00:00.007Z' });
    const merged = mergeUpdates([b, a, c], [freshA, d], new Set([3]));
    expect(merged.map((u) => u.id)).toEqual([1, 2, 4]);
    expect(merged[0].event_count).toBe(2);
  });
});
