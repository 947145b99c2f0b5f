import { describe, expect, it } from 'vitest';
import { makeUpdate } from './fixtures.test-util';
import { withoutTestNotifications } from './testNotifications';
import type { Summary } from './types';

const media = { id: 1, name: 'media' };
const summary: Summary = {
  pending: 3,
  acknowledged: 1,
  total: 4,
  oldest_pending: null,
  tags: [
    { tag: media, pending: 1, acknowledged: 1 },
    { tag: null, pending: 2, acknowledged: 0 },
  ],
  hosts: [
    { hostname: 'nas', pending: 2, acknowledged: 1 },
    { hostname: 'vm', pending: 1, acknowledged: 0 },
  ],
};
const test = makeUpdate({ id: 9, image: 'docker.io/diun/testnotif:latest', hostname: 'vm', tag: null, acknowledged_at: null });

describe('withoutTestNotifications', () => {
  it('takes a pending test notification out of the counts, its section and its host', () => {
    const s = withoutTestNotifications({ ...summary, oldest_pending: test }, [test], { q: '', tag: null, host: null });
    expect(s).toEqual({
      pending: 2,
      acknowledged: 1,
      snoozed: 0,
      muted: 0,
      total: 3,
      oldest_pending: null,
      tags: [
        { tag: media, pending: 1, acknowledged: 1 },
        { tag: null, pending: 1, acknowledged: 0 },
      ],
      hosts: [{ hostname: 'nas', pending: 2, acknowledged: 1 }],
    });
  });

  it('a snoozed or muted test notification comes out of its own count', () => {
    const snoozed = { ...test, snoozed_until: '2027-01-01T00:00:00Z' };
    const s = withoutTestNotifications({ ...summary, pending: 2, snoozed: 1, total: 4, tags: [summary.tags[0], { tag: null, pending: 1, acknowledged: 0, snoozed: 1 }] }, [snoozed], { q: '', tag: null, host: null });
    expect([s.pending, s.snoozed, s.total]).toEqual([2, 0, 3]);
    expect(s.tags.at(-1)).toEqual({ tag: null, pending: 1, acknowledged: 0, snoozed: 0 });
  });

  it('leaves a summary alone when the test notification is outside its filter', () => {
    expect(withoutTestNotifications(summary, [test], { q: '', tag: null, host: 'nas' })).toBe(summary);
    expect(withoutTestNotifications(summary, [test], { q: 'grafana', tag: null, host: null })).toBe(summary);
    expect(withoutTestNotifications(summary, [], { q: '', tag: null, host: null })).toBe(summary);
  });
});
