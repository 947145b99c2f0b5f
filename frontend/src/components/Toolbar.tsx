import { useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { leadingDebounce } from '../lib/debounce';
import { BellOff, Search, Tags, X } from 'lucide-react';
import type { Tag } from '../lib/types';
import type { Grouping, StatusFilter, ViewState } from '../lib/viewState';

const SEARCH_DEBOUNCE_MS = 180;

const STATUSES: Array<{ value: StatusFilter; label: ReactNode }> = [
  { value: 'pending', label: 'Pending' },
  { value: 'snoozed', label: 'Snoozed' },
  { value: 'muted', label: 'Muted' },
  {
    value: 'acknowledged',
    label: (
      <>
        <span className="hide-sm">Acknowledged</span>
        <span className="show-sm">Acked</span>
      </>
    ),
  },
  { value: 'all', label: 'All' },
];

const GROUPINGS: Array<{ value: Grouping; label: string; title: string }> = [
  { value: 'tag', label: 'Tags', title: 'Sections per tag, one row per image and host' },
  { value: 'image', label: 'Images', title: 'One row per image across hosts' },
];

/** A radio group drawn as segments: arrows move and choose (the WAI-ARIA radio pattern). */
function Segmented<T extends string>({ label, testId, options, value, onChange, counts }: { label: string; testId: string; options: Array<{ value: T; label: ReactNode; title?: string }>; value: T; onChange: (v: T) => void; counts?: Record<T, number> }) {
  return (
    <div className="segmented" role="radiogroup" aria-label={label} data-testid={testId}>
      {options.map((s, i) => (
        <button
          key={s.value}
          type="button"
          role="radio"
          aria-checked={value === s.value}
          tabIndex={value === s.value ? 0 : -1}
          className="segment"
          data-value={s.value}
          title={s.title}
          onClick={() => onChange(s.value)}
          onKeyDown={(e) => {
            const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
            if (!d) return;
            e.preventDefault();
            const n = (i + d + options.length) % options.length;
            onChange(options[n].value);
            (e.currentTarget.parentElement?.children[n] as HTMLElement | undefined)?.focus();
          }}
        >
          {s.label}
          {counts && <span className="segment-count">{counts[s.value].toLocaleString()}</span>}
        </button>
      ))}
    </div>
  );
}

export function Toolbar(props: {
  view: ViewState;
  setView: (p: Partial<ViewState>) => void;
  tags: Tag[];
  hosts: string[];
  counts: Record<StatusFilter, number>;
  onManageTags: () => void;
  onManageMuteRules: () => void;
}) {
  const { view, setView } = props;
  const inputRef = useRef<HTMLInputElement>(null);
  const [q, setQ] = useState(view.q);

  // Keep the box in step when the URL changes (back button, "clear filters").
  useEffect(() => setQ(view.q), [view.q]);

  // Every search is a request to the server: the first change after a pause is
  // sent at once, the keystrokes that follow are coalesced (180 ms).
  const search = useMemo(() => leadingDebounce((value: string) => setView({ q: value }), SEARCH_DEBOUNCE_MS), [setView]);
  useEffect(() => () => search.cancel(), [search]);
  const setNow = (value: string) => {
    search.cancel();
    setQ(value);
    setView({ q: value });
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement;
      if (t.closest('input, textarea, select, [contenteditable="true"], dialog')) return;
      e.preventDefault();
      inputRef.current?.focus();
      inputRef.current?.select();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const tagValue = view.tag === null ? '' : String(view.tag);
  const sortedTags = [...props.tags].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));

  return (
    <div className="toolbar" role="search" aria-label="Filter updates">
      <div className="search">
        <Search size={15} className="search-icon" aria-hidden />
        <input
          ref={inputRef}
          type="search"
          className="input search-input"
          placeholder="Search images, containers, hosts…"
          aria-label="Search images, containers and hosts"
          data-testid="search"
          value={q}
          onChange={(e) => {
            setQ(e.target.value);
            search.push(e.target.value);
          }}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && q) {
              e.preventDefault();
              setNow('');
            } else if (e.key === 'Enter') {
              setNow(q);
            }
          }}
        />
        {q ? (
          <button
            type="button"
            className="icon-btn icon-btn-xs search-clear"
            aria-label="Clear search"
            onClick={() => {
              setNow('');
              inputRef.current?.focus();
            }}
          >
            <X size={14} aria-hidden />
          </button>
        ) : (
          <kbd className="search-kbd" aria-hidden>
            /
          </kbd>
        )}
      </div>

      <div className="status-scroll">
        <Segmented label="Status" testId="status-filter" options={STATUSES} value={view.status} onChange={(status) => setView({ status })} counts={props.counts} />
      </div>

      <div className="filters">
        <label className="select-wrap">
          <span className="sr-only">Tag</span>
          <select
            className="select"
            data-testid="tag-filter"
            value={tagValue}
            data-active={view.tag !== null || undefined}
            onChange={(e) => {
              const v = e.target.value;
              setView({ tag: v === '' ? null : v === 'none' ? 'none' : Number(v) });
            }}
          >
            <option value="">All tags</option>
            {sortedTags.map((t) => (
              <option key={t.id} value={t.id}>
                {t.name}
              </option>
            ))}
            <option value="none">Untagged</option>
          </select>
        </label>
        <label className="select-wrap">
          <span className="sr-only">Host</span>
          <select
            className="select"
            data-testid="host-filter"
            value={view.host ?? ''}
            data-active={view.host !== null || undefined}
            onChange={(e) => setView({ host: e.target.value || null })}
          >
            <option value="">All hosts</option>
            {props.hosts.map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
            {view.host && !props.hosts.includes(view.host) && <option value={view.host}>{view.host}</option>}
          </select>
        </label>
        <Segmented label="Group by" testId="grouping" options={GROUPINGS} value={view.by} onChange={(by) => setView({ by })} />
        <button type="button" className="btn btn-secondary manage-tags" onClick={props.onManageTags} data-testid="manage-tags">
          <Tags size={15} aria-hidden />
          <span>Tags</span>
        </button>
        <button type="button" className="btn btn-secondary manage-tags" onClick={props.onManageMuteRules} data-testid="manage-mute-rules" aria-label="Mute rules">
          <BellOff size={15} aria-hidden />
          <span className="hide-sm">Mute rules</span>
        </button>
      </div>
    </div>
  );
}
