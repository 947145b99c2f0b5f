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
