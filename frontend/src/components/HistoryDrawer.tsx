import { useEffect, useState } from 'react';
import { ExternalLink, LoaderCircle } from 'lucide-react';
import { api, errorMessage } from '../data/api';
import { derive } from '../data/derive';
import { registryLabel, shortDigest } from '../lib/imageRef';
import { formatExact, formatRelative, formatShort } from '../lib/time';
import type { Update, UpdateEvent } from '../lib/types';
import { CopyButton } from './CopyButton';
import { Dialog } from './Dialog';
import { safeHttpUrl } from './UpdateRow';

type Load = { state: 'loading' } | { state: 'error'; message: string } | { state: 'ready'; events: UpdateEvent[] };

export function HistoryDrawer({ id, update, onClose, now }: { id: number; update: Update | undefined; onClose: () => void; now: number }) {
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
        <dl className="facts">
          <div>
            <dt>Image</dt>
            <dd className="mono break">{u.image}</dd>
          </div>
          <div>
            <dt>Status</dt>
            <dd>{u.acknowledged_at ? <>Acknowledged {formatRelative(u.acknowledged_at, now)}</> : 'Pending'}</dd>
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
        {load.state === 'ready' && load.events.length === 0 && <p className="muted">No notifications recorded.</p>}
        {load.state === 'ready' && load.events.length > 0 && (
          <ol className="timeline" data-testid="history-timeline" aria-label="Notifications, newest first">
            {load.events.map((ev) => (
              <li key={ev.id} className="timeline-item" data-testid="history-event">
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
            ))}
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
