import { describe, expect, it } from 'vitest';
import { formatDuration, formatExact, formatRelative } from './time';

const now = Date.parse('2026-11-27T12:00:00Z');

describe('formatRelative', () => {
  it.each([
    ['2026-11-27T12:00:00Z', 'just now'],
    ['2026-11-27T11:59:30Z', 'just now'],
    ['2026-11-27T11:59:00Z', '1 min ago'],
    ['2026-11-27T11:35:00Z', '25 min ago'],
    ['2026-11-27T09:00:00Z', '3 h ago'],
    ['2026-11-27T08:59:59Z', '3 h ago'],
    ['2026-11-26T12:00:00Z', '1 d ago'],
    ['2026-11-20T08:15:00Z', '7 d ago'],
    ['2026-08-27T12:00:00Z', '3 mo ago'],
    ['2024-11-27T12:00:00Z', '2 y ago'],
    ['2026-11-27T12:05:00Z', 'just now'],
  ])('%s → %s', (iso, want) => {
    expect(formatRelative(iso, now)).toBe(want);
  });

  it('is empty for missing or invalid times', () => {
    expect(formatRelative(null, now)).toBe('');
    expect(formatRelative('not a date', now)).toBe('');
  });
});

describe('formatDuration', () => {
  it('uses the largest whole unit', () => {
    expect(formatDuration(0)).toBe('0 s');
    expect(formatDuration(59_999)).toBe('59 s');
    expect(formatDuration(3 * 3600_000 + 59 * 60_000)).toBe('3 h');
    expect(formatDuration(2 * 86400_000)).toBe('2 d');
    expect(formatDuration(-5)).toBe('0 s');
  });
});

describe('formatExact', () => {
  it('keeps the RFC 3339 value visible', () => {
    expect(formatExact('2026-11-20T08:15:00Z')).toContain('(2026-11-20T08:15:00Z)');
    expect(formatExact('2026-11-20T08:15:00Z')).toMatch(/2026/);
  });
});
