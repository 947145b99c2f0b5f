import { CheckCheck, Clock, Inbox, Server } from 'lucide-react';
import type { Stats } from '../lib/filter';
import { formatDuration, formatExact } from '../lib/time';
import type { StatusFilter } from '../lib/viewState';

export function StatTiles({ stats, now, status, onStatus }: { stats: Stats; now: number; status: StatusFilter; onStatus: (s: StatusFilter) => void }) {
  const oldest = stats.oldestPendingAt ? formatDuration(now - Date.parse(stats.oldestPendingAt)) : '—';
  return (
    <section className="tiles" aria-label="Summary">
      <button
        type="button"
        className="tile tile-pending"
        data-testid="tile-pending"
        aria-pressed={status === 'pending'}
        onClick={() => onStatus('pending')}
        aria-label={`${stats.pending} pending updates. Show pending`}
      >
        <span className="tile-label">
          <Inbox size={14} aria-hidden /> Pending
        </span>
        <span className="tile-value">{stats.pending.toLocaleString()}</span>
      </button>
      <button
        type="button"
        className="tile"
        data-testid="tile-acknowledged"
        aria-pressed={status === 'acknowledged'}
        onClick={() => onStatus('acknowledged')}
        aria-label={`${stats.acknowledged} acknowledged updates. Show acknowledged`}
      >
        <span className="tile-label">
          <CheckCheck size={14} aria-hidden /> Acknowledged
        </span>
        <span className="tile-value">{stats.acknowledged.toLocaleString()}</span>
      </button>
      <div className="tile" data-testid="tile-hosts">
        <span className="tile-label">
          <Server size={14} aria-hidden /> Hosts
        </span>
        <span className="tile-value">{stats.hosts.toLocaleString()}</span>
      </div>
      <div className="tile" data-testid="tile-oldest" title={stats.oldestPendingAt ? `Oldest pending update received ${formatExact(stats.oldestPendingAt)}` : 'Nothing pending'}>
        <span className="tile-label">
          <Clock size={14} aria-hidden /> Oldest pending
        </span>
        <span className="tile-value">{oldest}</span>
      </div>
    </section>
  );
}
