import { Monitor, Moon, Sun, Webhook } from 'lucide-react';
import type { LiveMode } from '../data/useLiveRefresh';
import type { ThemePreference } from '../data/theme';
import { formatExact, formatRelative } from '../lib/time';

export function Logo() {
  return (
    <svg className="logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden>
      <rect width="32" height="32" rx="8" fill="var(--logo-bg)" />
      <path d="M9 11.5 16 7.5l7 4v9l-7 4-7-4z" fill="none" stroke="var(--logo-fg)" strokeWidth="2" strokeLinejoin="round" />
      <path d="M9 11.5l7 4 7-4M16 15.5v9" fill="none" stroke="var(--logo-fg)" strokeWidth="2" strokeLinejoin="round" />
      <circle cx="23.5" cy="8.5" r="3.5" fill="var(--logo-dot)" stroke="var(--logo-bg)" strokeWidth="1.5" />
    </svg>
  );
}

const THEMES: Array<{ value: ThemePreference; label: string; icon: typeof Sun }> = [
  { value: 'system', label: 'System theme', icon: Monitor },
  { value: 'light', label: 'Light theme', icon: Sun },
  { value: 'dark', label: 'Dark theme', icon: Moon },
];

export function ThemeSwitch({ value, onChange }: { value: ThemePreference; onChange: (v: ThemePreference) => void }) {
  return (
    <div
      className="theme-switch"
      role="radiogroup"
      aria-label="Colour theme"
      onKeyDown={(e) => {
        const i = THEMES.findIndex((t) => t.value === value);
        let n = -1;
        if (e.key === 'ArrowRight' || e.key === 'ArrowDown') n = (i + 1) % THEMES.length;
        if (e.key === 'ArrowLeft' || e.key === 'ArrowUp') n = (i + THEMES.length - 1) % THEMES.length;
        if (n >= 0) {
          e.preventDefault();
          onChange(THEMES[n].value);
          (e.currentTarget.children[n] as HTMLElement).focus();
        }
      }}
    >
      {THEMES.map(({ value: v, label, icon: Icon }) => (
        <button
          key={v}
          type="button"
          role="radio"
          aria-checked={value === v}
          aria-label={label}
          title={label}
          tabIndex={value === v ? 0 : -1}
          className="theme-option"
          onClick={() => onChange(v)}
        >
          <Icon size={14} aria-hidden />
        </button>
      ))}
    </div>
  );
}

const LIVE_TEXT: Record<LiveMode, string> = {
  live: 'Live',
  polling: 'Auto-refresh',
  connecting: 'Connecting',
};

export function LiveIndicator({ mode, loadedAt, now }: { mode: LiveMode; loadedAt: number | null; now: number }) {
  const iso = loadedAt ? new Date(loadedAt).toISOString() : null;
  const detail =
    mode === 'live'
      ? 'Connected: changes appear as they happen.'
      : mode === 'polling'
        ? 'Live stream unavailable: refreshing every 30 seconds.'
        : 'Connecting to the live stream…';
  const title = iso ? `${detail} Last refresh ${formatRelative(iso, now)} — ${formatExact(iso)}` : detail;
  return (
    <span className={`live live-${mode}`} title={title} data-testid="live-indicator">
      <span className="live-dot" aria-hidden />
      <span className="live-text">{LIVE_TEXT[mode]}</span>
      <span className="sr-only">{detail}</span>
    </span>
  );
}

export function Header(props: {
  version: string | null;
  live: LiveMode;
  loadedAt: number | null;
  now: number;
  theme: ThemePreference;
  onTheme: (t: ThemePreference) => void;
  onConnect: () => void;
}) {
  return (
    <header className="topbar">
      <div className="topbar-inner">
        <h1 className="brand">
          <Logo />
          <span className="brand-name">Diun Dashboard</span>
          {props.version && <span className="brand-version" aria-label={`version ${props.version}`}>v{props.version}</span>}
        </h1>
        <div className="topbar-actions">
          <LiveIndicator mode={props.live} loadedAt={props.loadedAt} now={props.now} />
          <button type="button" className="btn btn-ghost btn-sm connect-btn" onClick={props.onConnect} aria-label="Connect Diun: webhook URL and configuration">
            <Webhook size={15} aria-hidden />
            <span className="hide-sm">Connect Diun</span>
            <span className="show-sm" aria-hidden>
              Connect
            </span>
          </button>
          <ThemeSwitch value={props.theme} onChange={props.onTheme} />
        </div>
      </div>
    </header>
  );
}
