import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { BACKOFF_CAP_MS, nextBackoff, startLiveRefresh, type EventSourceLike, type LiveMode } from './useLiveRefresh';

class FakeEventSource implements EventSourceLike {
  static all: FakeEventSource[] = [];
  onopen: ((ev: Event) => unknown) | null = null;
  onmessage: ((ev: MessageEvent) => unknown) | null = null;
  onerror: ((ev: Event) => unknown) | null = null;
  listeners = new Map<string, (event: { data?: unknown }) => void>();
  closed = false;
  constructor(public url: string) {
    FakeEventSource.all.push(this);
  }
  addEventListener(type: string, l: (event: { data?: unknown }) => void) {
    this.listeners.set(type, l);
  }
  close() {
    this.closed = true;
  }
  open() {
    this.onopen?.(new Event('open'));
  }
  fail() {
    this.onerror?.(new Event('error'));
  }
  emit(type: string, data?: object) {
    this.listeners.get(type)?.({ data: JSON.stringify({ type, ...data }) });
  }
}

function setup() {
  const refetch = vi.fn();
  const revalidate = vi.fn();
  const modes: LiveMode[] = [];
  const listeners = new Map<string, () => void>();
  const win = { addEventListener: (t: string, l: () => void) => listeners.set(t, l), removeEventListener: vi.fn() };
  const stop = startLiveRefresh({
    url: 'http://dash/sub/api/events',
    refetch,
    revalidate,
    onMode: (m) => modes.push(m),
    debounceMs: 100,
    createEventSource: (url) => new FakeEventSource(url),
    win: win as unknown as Window,
  });
  return { refetch, revalidate, modes, stop, focus: () => listeners.get('focus')?.() };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeEventSource.all = [];
});
afterEach(() => {
  vi.useRealTimers();
});

describe('stream reconnection backoff', () => {
  it('doubles from one second and stops at the cap', () => {
    const delays: number[] = [];
    let d = 1000;
    for (let i = 0; i < 9; i++) {
      delays.push(d);
      d = nextBackoff(d);
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000, 60000]);
    expect(nextBackoff(BACKOFF_CAP_MS)).toBe(60000);
  });
});

describe('startLiveRefresh', () => {
  it('revalidates on open and refetches once per burst of named events', () => {
    const { refetch, revalidate, modes, stop } = setup();
    const es = FakeEventSource.all[0];
    expect(es.url).toBe('http://dash/sub/api/events');
    es.open();
    expect(modes).toEqual(['live']);
    expect(revalidate).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(100);
    expect(refetch).toHaveBeenCalledTimes(0);
    es.emit('update.created');
    es.emit('tag.renamed');
    es.onmessage?.(new MessageEvent('message'));
    expect(refetch).toHaveBeenCalledTimes(0);
    vi.advanceTimersByTime(100);
    expect(refetch).toHaveBeenCalledTimes(1);
    stop();
    expect(es.closed).toBe(true);
  });

  it('hands a burst of events over as changes; resync and unreadable events ask for everything', () => {
    const { refetch, stop } = setup();
    const es = FakeEventSource.all[0];
    es.open();
    es.emit('update.created', { id: 7 });
    es.emit('update.acknowledged', { ids: [1, 2] });
    vi.advanceTimersByTime(100);
    expect(refetch).toHaveBeenLastCalledWith([
      { type: 'update.created', id: 7 },
      { type: 'update.acknowledged', ids: [1, 2] },
    ]);
    es.emit('update.deleted', { ids: [3] });
    es.listeners.get('resync')?.({ data: '{"type":"resync"}' });
    vi.advanceTimersByTime(100);
    expect(refetch).toHaveBeenLastCalledWith(undefined);
    es.listeners.get('update.changed')?.({ data: 'not json' });
    vi.advanceTimersByTime(100);
    expect(refetch).toHaveBeenLastCalledWith(undefined);
    expect(refetch).toHaveBeenCalledTimes(3);
    stop();
  });

  it('falls back to 30 s polling and retries the stream with backoff', () => {
    const { revalidate: refetch, modes, stop } = setup();
    FakeEventSource.all[0].fail();
    expect(FakeEventSource.all[0].closed).toBe(true);
    expect(modes).toEqual(['polling']);
    // Retries at 1 s, then 2 s, then 4 s after each failure.
    vi.advanceTimersByTime(999);
    expect(FakeEventSource.all).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.all).toHaveLength(2);
    FakeEventSource.all[1].fail();
    vi.advanceTimersByTime(1999);
    expect(FakeEventSource.all).toHaveLength(2);
    vi.advanceTimersByTime(1);
    expect(FakeEventSource.all).toHaveLength(3);
    FakeEventSource.all[2].fail();
    // Polling kept going meanwhile: one refetch per 30 s.
    refetch.mockClear();
    vi.advanceTimersByTime(30_000);
    expect(refetch.mock.calls.length).toBeGreaterThanOrEqual(1);
    // Once a stream opens, polling stops and backoff resets.
    const live = FakeEventSource.all[FakeEventSource.all.length - 1];
    refetch.mockClear();
    live.open();
    expect(modes.at(-1)).toBe('live');
    vi.advanceTimersByTime(90_000);
    expect(refetch).toHaveBeenCalledTimes(1); // only the catch-up check at open, no more polling
    live.fail();
    const count = FakeEventSource.all.length;
    vi.advanceTimersByTime(1000);
    expect(FakeEventSource.all).toHaveLength(count + 1);
    stop();
  });

  it('never waits more than 60 s between attempts', () => {
    const { stop } = setup();
    for (let i = 0; i < 10; i++) {
      const n = FakeEventSource.all.length;
      FakeEventSource.all[n - 1].fail();
      vi.advanceTimersByTime(60_000);
      expect(FakeEventSource.all).toHaveLength(n + 1);
    }
    stop();
  });

  it('revalidates on window focus', () => {
    const { refetch, revalidate, focus, stop } = setup();
    focus();
    expect(revalidate).toHaveBeenCalledTimes(1);
    expect(refetch).not.toHaveBeenCalled();
    stop();
  });
});
