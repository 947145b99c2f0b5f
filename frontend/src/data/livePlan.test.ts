import { describe, expect, it } from 'vitest';
import { MAX_SINGLE_FETCHES, planChanges } from './livePlan';

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

  it('asks for a reload of what is loaded for tag changes and large bursts', () => {
    expect(planChanges([{ type: 'update.created', id: 1 }, { type: 'tag.renamed', id: 4 }])).toBeNull();
    expect(planChanges([{ type: 'assignment.changed' }])).toBeNull();
    const many = Array.from({ length: MAX_SINGLE_FETCHES + 1 }, (_, i) => i + 1);
    expect(planChanges([{ type: 'update.acknowledged', ids: many }])).toBeNull();
    expect(planChanges([{ type: 'update.acknowledged', ids: many.slice(1) }])?.fetch.size).toBe(MAX_SINGLE_FETCHES);
  });
});

describe('planChanges: triage kinds (issue 12)', () => {
  it('fetches snoozed, unsnoozed, muted and unmuted updates, with or without the update. prefix', () => {
    const plan = planChanges([
      { type: 'snoozed', ids: [1, 2] },
      { type: 'update.unsnoozed', ids: [3] },
      { type: 'muted', ids: [4] },
      { type: 'update.unmuted', ids: [5] },
    ]);
    expect(plan && [...plan.fetch].sort()).toEqual([1, 2, 3, 4, 5]);
    expect(plan?.mutedChanged).toBe(true);
    expect(plan?.rules).toBe(false);
  });

  it('mute_rules asks for the rules only, never a reload; a deletion still wins over a fetch', () => {
    const plan = planChanges([{ type: 'mute_rules' }, { type: 'update.deleted', ids: [7] }, { type: 'snoozed', ids: [7] }]);
    expect(plan).not.toBeNull();
    expect(plan?.rules).toBe(true);
    expect(plan && [...plan.fetch]).toEqual([]);
    expect(plan && [...plan.remove]).toEqual([7]);
    expect(planChanges([{ type: 'snoozed', ids: [1] }])?.mutedChanged).toBe(false);
  });

  it('a large mute becomes a reload of what is loaded', () => {
    const ids = Array.from({ length: MAX_SINGLE_FETCHES + 1 }, (_, i) => i + 1);
    expect(planChanges([{ type: 'muted', ids }])).toBeNull();
  });
});
