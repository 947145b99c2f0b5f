import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { leadingDebounce } from './debounce';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('leadingDebounce', () => {
  it('sends the first change at once and the last of a burst after the pause', () => {
    const sent: string[] = [];
    const d = leadingDebounce((v: string) => sent.push(v), 180, () => Date.now());
    d.push('n');
    expect(sent).toEqual(['n']);
    vi.advanceTimersByTime(50);
    d.push('ng');
    vi.advanceTimersByTime(50);
    d.push('ngi');
    vi.advanceTimersByTime(179);
    expect(sent).toEqual(['n']);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual(['n', 'ngi']);
    // After a pause, the next change goes at once again.
    vi.advanceTimersByTime(200);
    d.push('nginx');
    expect(sent).toEqual(['n', 'ngi', 'nginx']);
  });

  it('flushes the pending value, and cancel drops it', () => {
    const sent: string[] = [];
    const d = leadingDebounce((v: string) => sent.push(v), 180, () => Date.now());
    d.push('a');
    d.push('ab');
    d.flush();
    expect(sent).toEqual(['a', 'ab']);
    d.push('abc');
    d.cancel();
    vi.advanceTimersByTime(500);
    expect(sent).toEqual(['a', 'ab']);
  });
});
