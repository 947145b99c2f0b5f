/**
 * Keeps the data fresh without reloading: listens to the server's
 * Server-Sent Events stream (`api/events`) and hands each burst of events to
 * `refetch`. When the stream fails (or the server has none) it closes it,
 * polls every 30 s, and retries the stream with exponential backoff capped
 * at 60 s. When the stream opens, on each poll, and when the window regains
 * focus or becomes visible it calls `revalidate` (a cheap If-None-Match check).
 */
import { useEffect, useRef, useState } from 'react';
import { apiUrl } from './api';

export type LiveMode = 'connecting' | 'live' | 'polling';

export const POLL_INTERVAL_MS = 30_000;
export const BACKOFF_START_MS = 1_000;
export const BACKOFF_CAP_MS = 60_000;

/** Event types the server announces; named SSE events only reach listeners of their own name. */
export const LIVE_EVENT_TYPES = [
  'update.created',
  'update.changed',
  'update.acknowledged',
  'update.unacknowledged',
  'update.deleted',
  'tag.created',
  'tag.renamed',
  'tag.deleted',
  'assignment.changed',
  // Triage (issue 12): snoozes, mutes and mute rules; named with or without the `update.` prefix.
  'snoozed',
  'unsnoozed',
  'muted',
  'unmuted',
  'update.snoozed',
  'update.unsnoozed',
  'update.muted',
  'update.unmuted',
  'mute_rules',
  'mute_rules.changed',
  // Sent when events may have been missed (a database outage, a slow client).
  'resync',
] as const;

/** One change as the server sends it (the `data` of a named event). */
export interface LiveChange {
  type: string;
  id?: number;
  ids?: number[];
}

/** Next reconnection delay: doubles, capped. */
export function nextBackoff(current: number): number {
  return Math.min(BACKOFF_CAP_MS, Math.max(BACKOFF_START_MS, current * 2));
}

/** The part of EventSource used here, so tests can pass a fake. */
export interface EventSourceLike {
  onopen: ((ev: Event) => unknown) | null;
  onmessage: ((ev: MessageEvent) => unknown) | null;
  onerror: ((ev: Event) => unknown) | null;
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  close(): void;
}

export interface LiveRefreshOptions {
  url: string;
  /**
   * Called once per burst: with the changes the stream announced, or with
   * nothing when everything must be fetched again (stream opened, focus,
   * polling, or an event that could not be read).
   */
  refetch: (changes?: LiveChange[]) => void;
  /** "Has anything changed?" (stream opened, polling, focus, visibility); `refetch()` when omitted. */
  revalidate?: () => void;
  onMode: (mode: LiveMode) => void;
  /** Coalesces bursts of events into one refetch. */
  debounceMs?: number;
  createEventSource?: ((url: string) => EventSourceLike) | null;
  /** Where focus/visibility are watched; omitted in tests. */
  win?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  doc?: Pick<Document, 'addEventListener' | 'removeEventListener' | 'visibilityState'>;
}

/** Starts live refreshing; returns a function that stops everything. */
export function startLiveRefresh(o: LiveRefreshOptions): () => void {
  const debounceMs = o.debounceMs ?? 250;
  let source: EventSourceLike | null = null;
  let pollTimer: ReturnType<typeof setInterval> | null = null;
  let retryTimer: ReturnType<typeof setTimeout> | null = null;
  let debounceTimer: ReturnType<typeof setTimeout> | null = null;
  let backoff = BACKOFF_START_MS;
  let disposed = false;

  // What the current burst announced; `null` once any part of it needs a full refetch.
  let pending: LiveChange[] | null = [];
  const scheduleRefetch = (event?: { data?: unknown }) => {
    const change = parseChange(event?.data);
    if (pending && change) pending.push(change);
    else pending = null;
    if (debounceTimer) clearTimeout(debounceTimer);
    debounceTimer = setTimeout(() => {
      const changes = pending;
      pending = [];
      o.refetch(changes ?? undefined);
    }, debounceMs);
  };
  const scheduleFullRefetch = () => scheduleRefetch();
  const revalidate = () => (o.revalidate ? o.revalidate() : o.refetch());
  const startPolling = () => {
    if (!pollTimer) pollTimer = setInterval(revalidate, POLL_INTERVAL_MS);
  };
  const stopPolling = () => {
    if (pollTimer) clearInterval(pollTimer);
    pollTimer = null;
  };

  const fail = () => {
    source?.close();
    source = null;
    if (disposed) return;
    o.onMode('polling');
    startPolling();
    const delay = backoff;
    backoff = nextBackoff(backoff);
    retryTimer = setTimeout(connect, delay);
  };

  function connect() {
    retryTimer = null;
    if (disposed) return;
    if (!o.createEventSource) {
      o.onMode('polling');
      startPolling();
      return;
    }
    let es: EventSourceLike;
    try {
      es = o.createEventSource(o.url);
    } catch {
      fail();
      return;
    }
    source = es;
    es.onopen = () => {
      backoff = BACKOFF_START_MS;
      stopPolling();
      o.onMode('live');
      // Catch up on whatever happened while disconnected (the revision tells).
      revalidate();
    };
    es.onmessage = scheduleFullRefetch;
    for (const type of LIVE_EVENT_TYPES) es.addEventListener(type, scheduleRefetch);
    es.onerror = () => {
      if (source === es) fail();
    };
  }

  const onFocus = () => revalidate();
  const onVisible = () => {
    if (o.doc?.visibilityState === 'visible') revalidate();
  };
  o.win?.addEventListener('focus', onFocus);
  o.doc?.addEventListener('visibilitychange', onVisible);

  connect();

  return () => {
    disposed = true;
    source?.close();
    source = null;
    stopPolling();
    if (retryTimer) clearTimeout(retryTimer);
    if (debounceTimer) clearTimeout(debounceTimer);
    o.win?.removeEventListener('focus', onFocus);
    o.doc?.removeEventListener('visibilitychange', onVisible);
  };
}

/** Reads an event's JSON `data`; `null` when it is not a change this client understands. */
export function parseChange(data: unknown): LiveChange | null {
  if (typeof data !== 'string') return null;
  try {
    const value = JSON.parse(data) as LiveChange;
    return value && typeof value.type === 'string' && value.type !== 'resync' ? value : null;
  } catch {
    return null;
  }
}

export function useLiveRefresh(refetch: (changes?: LiveChange[]) => void, revalidate: () => void, opts: { debounceMs?: number } = {}): LiveMode {
  const [mode, setMode] = useState<LiveMode>('connecting');
  const refetchRef = useRef(refetch);
  refetchRef.current = refetch;
  const revalidateRef = useRef(revalidate);
  revalidateRef.current = revalidate;
  const debounceMs = opts.debounceMs ?? 250;

  useEffect(
    () =>
      startLiveRefresh({
        url: apiUrl('api/events'),
        refetch: (changes) => refetchRef.current(changes),
        revalidate: () => revalidateRef.current(),
        onMode: setMode,
        debounceMs,
        createEventSource: typeof EventSource === 'undefined' ? null : (url) => new EventSource(url),
        win: window,
        doc: document,
      }),
    [debounceMs],
  );

  return mode;
}
