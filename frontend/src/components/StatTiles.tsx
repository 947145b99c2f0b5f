import type { ReactNode } from 'react';
import { CheckCheck, Clock, Inbox, Server } from 'lucide-react';
import type { Stats } from '../lib/filter';
import { formatDuration, formatExact } from '../lib/time';
import type { StatusFilter } from '../lib/viewState';

export function StatTiles({ stats, now, status, onStatus }: { stats: Stats; now: number; status: StatusFilter; onStatus: (s: StatusFilter) => void }) {
  const oldest = stats.oldestPendingAt ? formatDuration(now - Date.parse(stats.oldestPendingAt)) : '—';
  const filterTile = (view: 'pending' | 'acknowledged', count: number, icon: ReactNode, label: ReactNode, sub: string | null = null) => (
    <button
      type="button"
      className={view === 'pending' ? 'tile tile-pending' : 'tile'}
      data-testid={`tile-${view}`}
      aria-pressed={status === view}
      onClick={() => onStatus(view)}
      title={`Show ${view} updates`}
    >
      <span className="tile-label">
        {icon} {label}
      </span>
      <span className="tile-value">
        {count.toLocaleString()}
        {sub && (
          <span className="tile-sub" data-testid={`tile-${view}-sub`}>
            {sub}
          </span>
        )}
      </span>
    </button>
  );
  return (
    <section className="tiles" aria-label="Summary">
      {filterTile('pending', stats.pending, <Inbox size={14} aria-hidden />, 'Pending', stats.snoozed + stats.muted > 0 ? `${stats.snoozed.toLocaleString()} snoozed · ${stats.muted.toLocaleString()} muted` : null)}
      {filterTile(
        'acknowledged',
        stats.acknowledged,
        <CheckCheck size={14} aria-hidden />,
        <>
          <span className="hide-sm">Acknowledged</span>
          <span className="show-sm">Acked</span>
        </>,
      )}
      <div className="tile" data-testid="tile-hosts">
        <span className="tile-label">
          <Server size={14} aria-hidden /> Hosts
        </span>
        <span className="tile-value">{stats.hosts.toLocaleString()}</span>
      </div>
      <div className="tile" data-testid="tile-oldest" title={stats.oldestPendingAt ? `Oldest pending update received ${formatExact(stats.oldestPendingAt)}` : 'Nothing pending'}>
        <span className="tile-label">
          <Clock size={14} aria-hidden /> Oldest<span className="hide-sm"> pending</span>
        </span>
        <span className="tile-value">{oldest}</span>
      </div>
    </section>
  );
}
