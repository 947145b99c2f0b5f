import { describe, expect, it } from 'vitest';
import type { UpdateEvent } from '../lib/types';
import { timelineOf } from './HistoryDrawer';

const ev = (id: number, received_at: string): UpdateEvent => ({ id, update_id: 1, received_at, status: 'update', digest: 'sha256:x', created: null, diun_version: '4.33.0', metadata: null });

describe('timelineOf', () => {
  it('puts notifications, the current acknowledgment and this session’s changes in one list, newest first', () => {
    const t = timelineOf(
      [ev(2, '2026-11-20T10:00:00Z'), ev(1, '2026-11-19T10:00:00Z')],
      '2026-11-21T09:00:00.123Z',
      [
        { kind: 'acknowledged', at: '2026-11-21T08:00:00Z' },
        { kind: 'unacknowledged', at: '2026-11-21T08:30:00Z' },
        // The same acknowledgment as the update's acknowledged_at, written differently: shown once.
        { kind: 'acknowledged', at: '2026-11-21T09:00:00.123000Z' },
      ],
    );
    expect(t.map((e) => `${e.kind} ${e.at}`)).toEqual([
      'acknowledged 2026-11-21T09:00:00.123000Z',
      'unacknowledged 2026-11-21T08:30:00Z',
      'acknowledged 2026-11-21T08:00:00Z',
      'event 2026-11-20T10:00:00Z',
      'event 2026-11-19T10:00:00Z',
    ]);
  });

  it('shows a pending update’s notifications only', () => {
    expect(timelineOf([ev(1, '2026-11-19T10:00:00Z')], null, []).map((e) => e.kind)).toEqual(['event']);
  });
});
