import { useEffect, useState } from 'react';
import { Check, CheckCheck, ExternalLink, LoaderCircle, Tag as TagIcon, Trash2, Undo2 } from 'lucide-react';
import type { SessionChange } from '../data/store';
import { api, errorMessage } from '../data/api';
import { derive } from '../data/derive';
import { registryLabel, shortDigest } from '../lib/imageRef';
import { formatUntil } from '../lib/snooze';
import { formatExact, formatRelative, formatShort } from '../lib/time';
import type { Tag, Update, UpdateEvent } from '../lib/types';
import { sourceOf, type Actions } from './context';
import { Menu } from './Menu';
import { CopyButton } from './CopyButton';
import { Dialog } from './Dialog';
import { safeHttpUrl, tagMenuEntries } from './UpdateRow';

type Load = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; events: UpdateEvent[] };

/** One line of the timeline: a notification from Diun, or an acknowledgment or un-acknowledgment. */
export type TimelineEntry = { kind: 'event'; at: string; event: UpdateEvent } | { kind: SessionChange['kind']; at: string };

/**
 * The timeline, newest first: the server's notifications, the update's current
 * acknowledgment, and what was (un)acknowledged in this session (the server
 * does not keep that history).
 */
export function timelineOf(events: readonly UpdateEvent[], acknowledgedAt: string | null, session: readonly SessionChange[]): TimelineEntry[] {
  const entries: TimelineEntry[] = events.map((event) => ({ kind: 'event', at: event.received_at, event }));
  const seen = new Set<string>();
  const add = (kind: SessionChange['kind'], at: string) => {
    const key = `${kind}@${Date.parse(at)}`;
    if (seen.has(key)) return;
    seen.add(key);
    entries.push({ kind, at });
  };
  for (const c of session) add(c.kind, c.at);
  if (acknowledgedAt) add('acknowledged', acknowledgedAt);
  return entries.sort((a, b) => Date.parse(b.at) - Date.parse(a.at));
}

export function HistoryDrawer({
  id,
  update,
  onClose,
  now,
  actions,
  tags,
  session,
}: {
  id: number;
  update: Update | undefined;
  onClose: () => void;
  now: number;
  actions: Actions;
  tags: Tag[];
  /** Acknowledgments and un-acknowledgments of this update made in this session. */
  session: readonly SessionChange[];
}) {
  const [load, setLoad] = useState<Load>({ state: 'loading' });
  const [fetched, setFetched] = useState<Update | null>(null);
  const u = update ?? fetched ?? undefined;
  const lastSeen = update?.last_seen_at;

  useEffect(() => {
    let cancelled = false;
    setLoad((l) => (l.state === 'ready' ? l : { state: 'loading' }));
    api
      .events(id)
      .then((events) => !cancelled && setLoad({ state: 'ready', events }))
      .catch((err) => !cancelled && setLoad({ state: 'error', message: errorMessage(err) }));
    return () => {
      cancelled = true;
    };
    // Reload when the update receives a new event.
  }, [id, lastSeen]);

  useEffect(() => {
    if (update) return;
    let cancelled = false;
    api
      .update(id)
      .then((x) => !cancelled && setFetched(x))
      .catch(() => undefined);
    return () => {
      cancelled = true;
    };
  }, [id, update]);

  const d = u ? derive(u) : null;
  const hub = u ? safeHttpUrl(u.hub_link) : null;
  const metadata = u ? Object.entries(u.metadata ?? {}) : [];

  return (
    <Dialog
      open
      variant="drawer"
      testId="history-drawer"
      onClose={onClose}
      title={
        d ? (
          <span className="drawer-title">
            <span className="repo">{d.ref.displayRepository}</span>
            {d.ref.tag && <span className="image-tag">{d.ref.tag}</span>}
          </span>
        ) : (
          'History'
        )
      }
      description={u ? `${registryLabel(d!.ref)} · ${u.hostname}` : undefined}
    >
      {u && (
        <div className="drawer-actions" role="group" aria-label="Actions" data-testid="drawer-actions">
          {u.acknowledged_at === null ? (
            <button type="button" className="btn btn-primary btn-sm" data-testid="drawer-ack" onClick={(e) => actions.acknowledge([u.id], sourceOf(e))}>
              <Check size={14} aria-hidden /> Acknowledge
            </button>
          ) : (
            <button type="button" className="btn btn-secondary btn-sm" data-testid="drawer-unack" onClick={(e) => actions.unacknowledge([u.id], sourceOf(e))}>
              <Undo2 size={14} aria-hidden /> Mark pending
            </button>
          )}
          <Menu label={u.tag ? `${u.tag.name}: move to another tag` : 'Move to tag'} title="Move to tag…" triggerClassName="btn btn-secondary btn-sm" triggerTestId="drawer-tag-menu" align="start" entries={() => tagMenuEntries([u.image], u.tag?.id ?? null, tags, actions)}>
            <TagIcon size={14} aria-hidden /> {u.tag ? u.tag.name : 'Move to tag'}
          </Menu>
          <button type="button" className="btn btn-ghost btn-sm" data-testid="drawer-delete" onClick={() => actions.remove(u)}>
            <Trash2 size={14} aria-hidden /> Delete…
          </button>
        </div>
      )}
      {u && (
        <dl className="facts">
          <div>
            <dt>Image</dt>
            <dd className="mono break">{u.image}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd data-testid="drawer-state">
              {u.acknowledged_at ? (
                <>Acknowledged {formatRelative(u.acknowledged_at, now)}</>
              ) : u.muted_by ? (
                'Muted by a rule'
              ) : u.snoozed_until ? (
                <>Snoozed until {formatUntil(u.snoozed_until, now)}</>
              ) : (
                'Pending'
              )}
            </dd>
          </div>
          <div>
            <dt>First seen</dt>
            <dd title={formatExact(u.first_seen_at)}>{formatShort(u.first_seen_at)}</dd>
          </div>
          <div>
            <dt>Last seen</dt>
            <dd title={formatExact(u.last_seen_at)}>{formatShort(u.last_seen_at)}</dd>
          </div>
          <div>
            <dt>Provider</dt>
            <dd>{u.provider || '—'}</dd>
          </div>
          <div>
            <dt>Platform</dt>
            <dd>{u.platform || '—'}</dd>
          </div>
          {u.created && (
            <div>
              <dt>Image built</dt>
              <dd title={formatExact(u.created)}>{formatShort(u.created)}</dd>
            </div>
          )}
          <div>
            <dt>Notifications</dt>
            <dd>{u.event_count.toLocaleString()}</dd>
          </div>
          {hub && (
            <div className="facts-wide">
              <dt>Registry page</dt>
              <dd>
                <a href={hub} target="_blank" rel="noopener noreferrer" className="link break">
                  {u.hub_link} <ExternalLink size={12} aria-hidden />
                </a>
              </dd>
            </div>
          )}
        </dl>
      )}

      <section className="drawer-section">
        <h3 className="section-title">Timeline</h3>
        {load.state === 'loading' && (
          <p className="muted loading-line">
            <LoaderCircle size={14} className="spin" aria-hidden /> Loading history…
          </p>
        )}
        {load.state === 'error' && (
          <p className="field-error" role="alert">
            {load.message}
          </p>
        )}
        {load.state === 'ready' && (
          <ol className="timeline" data-testid="history-timeline" aria-label="History, newest first">
            {timelineOf(load.events, u?.acknowledged_at ?? null, session).map((entry) =>
              entry.kind === 'event' ? (
                <EventItem key={`e${entry.event.id}`} ev={entry.event} now={now} />
              ) : (
                <li key={`${entry.kind}${entry.at}`} className="timeline-item" data-testid={`history-${entry.kind}`}>
                  <span className={`timeline-dot dot-${entry.kind}`} aria-hidden />
                  <div className="timeline-body">
                    <div className="timeline-head">
                      <span className="timeline-change">
                        {entry.kind === 'acknowledged' ? <CheckCheck size={13} aria-hidden /> : <Undo2 size={13} aria-hidden />}
                        {entry.kind === 'acknowledged' ? 'Acknowledged' : 'Marked pending'}
                      </span>
                      <time dateTime={entry.at} title={formatExact(entry.at)} className="timeline-time">
                        {formatShort(entry.at)} · {formatRelative(entry.at, now)}
                      </time>
                    </div>
                  </div>
                </li>
              ),
            )}
            {load.events.length === 0 && <li className="muted">No notifications recorded.</li>}
          </ol>
        )}
      </section>

      {metadata.length > 0 && (
        <section className="drawer-section">
          <h3 className="section-title">Metadata</h3>
          <dl className="kv">
            {metadata.map(([k, v]) => (
              <div key={k}>
                <dt className="mono">{k}</dt>
                <dd className="mono break">{typeof v === 'string' ? v || '—' : JSON.stringify(v)}</dd>
              </div>
            ))}
          </dl>
        </section>
      )}
    </Dialog>
  );
}

function EventItem({ ev, now }: { ev: UpdateEvent; now: number }) {
  return (
    <li className="timeline-item" data-testid="history-event">
      <span className={`timeline-dot dot-${ev.status === 'new' ? 'new' : 'update'}`} aria-hidden />
      <div className="timeline-body">
        <div className="timeline-head">
          <span className={`badge badge-${ev.status === 'new' ? 'new' : 'update'}`}>{ev.status}</span>
          <time dateTime={ev.received_at} title={formatExact(ev.received_at)} className="timeline-time">
            {formatShort(ev.received_at)} · {formatRelative(ev.received_at, now)}
          </time>
        </div>
        <div className="timeline-meta">
          <span className="tm-item">
            <span className="mono" title={ev.digest}>
              {shortDigest(ev.digest)}
            </span>
            <CopyButton text={ev.digest} label="Copy digest" />
          </span>
          <span className="tm-item">Diun {ev.diun_version.replace(/^v/, '')}</span>
          {ev.created && (
            <span className="tm-item" title={formatExact(ev.created)}>
              built {formatShort(ev.created)}
            </span>
          )}
        </div>
      </div>
    </li>
  );
}
