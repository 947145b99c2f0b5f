import { describe, expect, it } from 'vitest';
import { defaultCustomSnooze, parseCustomSnooze, presetUntil, toLocalInput } from './snooze';

const now = new Date(2026, 0, 31, 14, 30).getTime(); // 31 Jan, local time

describe('snooze presets and dates', () => {
  it('1 day, 1 week, 1 month from now (the month clamps to its last day)', () => {
    expect(Date.parse(presetUntil('day', now)) - now).toBe(86_400_000);
    expect(Date.parse(presetUntil('week', now)) - now).toBe(7 * 86_400_000);
    const month = new Date(presetUntil('month', now));
    expect([month.getMonth(), month.getDate(), month.getHours(), month.getMinutes()]).toEqual([1, 28, 14, 30]);
  });

  it('the date field: tomorrow 09:00 by default, refuses the past and beyond a year', () => {
    expect(defaultCustomSnooze(now)).toBe('2026-02-01T09:00');
    const ok = parseCustomSnooze('2026-02-01T09:00', now);
    expect('until' in ok && new Date(ok.until).getTime()).toBe(new Date(2026, 1, 1, 9, 0).getTime());
    expect(parseCustomSnooze('2026-01-31T14:00', now)).toEqual({ error: 'Choose a time in the future.' });
    expect(parseCustomSnooze('2027-03-01T09:00', now)).toEqual({ error: 'Snooze for at most a year.' });
    expect(parseCustomSnooze('', now)).toEqual({ error: 'Choose a date and time.' });
    expect(toLocalInput(now)).toBe('2026-01-31T14:30');
  });
});
