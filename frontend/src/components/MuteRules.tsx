import { useId, useMemo, useState } from 'react';
import { BellOff, CircleAlert, CircleCheck, Trash2 } from 'lucide-react';
import { imageLabel } from '../data/store';
import { MAX_PATTERN_CHARS, parsePattern, ruleMatches, suggestedPatterns } from '../lib/mutePattern';
import { formatExact, formatRelative } from '../lib/time';
import type { MuteRule, NewMuteRule, Update, UpdateStatus } from '../lib/types';
import { Dialog } from './Dialog';

const MAX_COMMENT_CHARS = 200;

/**
 * The form of a new mute rule: a pattern on the image reference (prefilled
 * from an update when made from its menu, with narrower and wider choices),
 * an optional host and status, a comment. Says whether the pattern catches
 * the update it was made from.
 */
export function MuteRuleForm({ from, hosts, onCreate, onCancel, compact = false }: { from?: Update; hosts: string[]; onCreate: (rule: NewMuteRule) => Promise<unknown>; onCancel?: () => void; compact?: boolean }) {
  const suggestions = useMemo(() => (from ? suggestedPatterns(from.image) : []), [from]);
  const [pattern, setPattern] = useState(suggestions[1]?.pattern ?? suggestions[0]?.pattern ?? '');
  const [hostname, setHostname] = useState('');
  const [status, setStatus] = useState<'' | UpdateStatus>('');
  const [comment, setComment] = useState('');
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const id = useId();
  const parsed = parsePattern(pattern);
  const error = parsed.ok ? null : parsed.error;
  const catches = from && parsed.ok ? ruleMatches({ pattern, hostname: hostname || null, status: status || null }, from) : null;

  return (
    <form
      className="mute-form"
      data-testid="mute-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setTouched(true);
        if (error || busy) return;
        setBusy(true);
        try {
          const done = await onCreate({ pattern: pattern.trim(), hostname: hostname || null, status: status || null, comment: comment.trim() });
          if (done) {
            setPattern('');
            setComment('');
            setTouched(false);
          }
        } finally {
          setBusy(false);
        }
      }}
    >
      <label className="field">
        <span className="field-label">Image pattern</span>
      <input
        className="input mono"
        data-autofocus
        data-testid="mute-pattern"
        value={pattern}
        placeholder="e.g. docker.io/library/nginx:*"
        maxLength={MAX_PATTERN_CHARS + 1}
        spellCheck={false}
        autoCapitalize="off"
        aria-invalid={touched && !!error}
        aria-describedby={`${id}-help`}
        onChange={(e) => {
          setPattern(e.target.value);
          setTouched(true);
        }}
      />
      </label>
      {suggestions.length > 0 && (
        <div className="chips" role="group" aria-label="Suggested patterns">
          {suggestions.map((s) => (
            <button key={s.pattern} type="button" className="chip" aria-pressed={pattern === s.pattern} onClick={() => setPattern(s.pattern)} title={s.pattern} data-testid="mute-suggestion">
              {s.label}
            </button>
          ))}
        </div>
      )}
      <p id={`${id}-help`} className="field-help">
        <code>*</code> matches within one path segment, <code>**</code> across segments, <code>?</code> one character.
      </p>
      {touched && error && (
        <p className="field-error" role="alert" data-testid="mute-error">
          {error}
        </p>
      )}
      <div className="mute-row">
        <label className="field">
          <span className="field-label">Host</span>
          <select className="select" value={hostname} onChange={(e) => setHostname(e.target.value)} data-testid="mute-host">
            <option value="">Any host</option>
            {hosts.map((h) => (
              <option key={h} value={h}>
                {h}
              </option>
            ))}
          </select>
        </label>
        <label className="field">
          <span className="field-label">Kind</span>
          <select className="select" value={status} onChange={(e) => setStatus(e.target.value as '' | UpdateStatus)} data-testid="mute-status">
            <option value="">New tags and updates</option>
            <option value="new">New tags only</option>
            <option value="update">Updates only</option>
          </select>
        </label>
      </div>
      <label className="field">
        <span className="field-label">
          Comment <span className="muted">(optional)</span>
        </span>
        <input className="input" value={comment} maxLength={MAX_COMMENT_CHARS} placeholder="Why, e.g. pinned on purpose" onChange={(e) => setComment(e.target.value)} data-testid="mute-comment" />
      </label>
      {from && catches !== null && (
        <p className={`mute-check ${catches ? 'is-ok' : 'is-warn'}`} data-testid="mute-check">
          {catches ? <CircleCheck size={14} aria-hidden /> : <CircleAlert size={14} aria-hidden />}
          {catches ? `Catches ${imageLabel(from.image)} on ${from.hostname}` : `Does not catch ${imageLabel(from.image)} on ${from.hostname}`}
        </p>
      )}
      <div className={compact ? 'mute-actions' : 'dialog-footer dialog-footer-inline'}>
        {onCancel && (
          <button type="button" className="btn btn-ghost" onClick={onCancel}>
            Cancel
          </button>
        )}
        <button type="submit" className="btn btn-primary" data-testid="mute-create" disabled={busy || (touched && !!error)}>
          <BellOff size={15} aria-hidden /> Mute
        </button>
      </div>
    </form>
  );
}

/** "Mute updates like this…" from an update's menu. */
export function MuteRuleDialog({ from, hosts, onClose, onCreate }: { from: Update; hosts: string[]; onClose: () => void; onCreate: (rule: NewMuteRule) => Promise<unknown> }) {
  return (
    <Dialog open onClose={onClose} title="Mute updates like this" description="Matching updates leave the pending list, now and when Diun reports them again. Show them with the Muted filter." testId="mute-dialog">
      <MuteRuleForm
        from={from}
        hosts={hosts}
        onCancel={onClose}
        onCreate={async (rule) => {
          const done = await onCreate(rule);
          if (done) onClose();
          return done;
        }}
      />
    </Dialog>
  );
}

/** The mute rules: each with how many updates it holds; create and delete. */
export function MuteRulesManager({
  rules,
  hosts,
  now,
  onClose,
  onCreate,
  onDelete,
}: {
  rules: MuteRule[] | null;
  hosts: string[];
  now: number;
  onClose: () => void;
  onCreate: (rule: NewMuteRule) => Promise<unknown>;
  onDelete: (rule: MuteRule) => void;
}) {
  const sorted = rules ? [...rules].sort((a, b) => a.pattern.localeCompare(b.pattern)) : null;
  return (
    <Dialog open onClose={onClose} title="Mute rules" description="Updates whose image matches a rule leave the pending list. Deleting a rule brings its updates back." testId="mute-rules" size="lg">
      <MuteRuleForm hosts={hosts} onCreate={onCreate} compact />
      <h3 className="mute-list-title">{sorted ? `${sorted.length} rule${sorted.length === 1 ? '' : 's'}` : 'Rules'}</h3>
      {sorted === null ? (
        <p className="muted" aria-busy="true">
          Loading…
        </p>
      ) : sorted.length === 0 ? (
        <p className="muted empty-tags">No rules yet. Mute from an update's menu (⋯ → Mute updates like this…) or above.</p>
      ) : (
        <ul className="tag-list mute-list" aria-label="Mute rules">
          {sorted.map((r) => (
            <li key={r.id} className="tag-item mute-item" data-testid="mute-rule" data-pattern={r.pattern}>
              <BellOff size={14} className="muted" aria-hidden />
              <div className="mute-item-main">
                <span className="mono mute-item-pattern">{r.pattern}</span>
                <span className="mute-item-meta">
                  {r.hostname && <span className="chip chip-static">host {r.hostname}</span>}
                  {r.status && <span className="chip chip-static">{r.status === 'new' ? 'new tags' : 'updates'}</span>}
                  {r.comment && <span className="mute-item-comment">{r.comment}</span>}
                  <span className="muted" title={`Created ${formatExact(r.created_at)}`}>
                    {formatRelative(r.created_at, now)}
                  </span>
                </span>
              </div>
              <span className="tag-item-count" data-testid="mute-held">
                holds {r.held.toLocaleString()}
              </span>
              <button type="button" className="icon-btn icon-btn-danger" aria-label={`Delete the mute rule ${r.pattern}`} title="Delete" onClick={() => onDelete(r)} data-testid="delete-mute-rule">
                <Trash2 size={14} aria-hidden />
              </button>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
