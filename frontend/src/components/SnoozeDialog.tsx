import { useState } from 'react';
import { defaultCustomSnooze, latestSnooze, parseCustomSnooze, toLocalInput } from '../lib/snooze';
import { Dialog } from './Dialog';

/** "Until a date…": asks for a local date and time, at most a year ahead. */
export function SnoozeDialog({ what, onClose, onSnooze }: { what: string; onClose: () => void; onSnooze: (until: string) => void }) {
  const [value, setValue] = useState(() => defaultCustomSnooze());
  const [touched, setTouched] = useState(false);
  const parsed = parseCustomSnooze(value);
  const error = 'error' in parsed ? parsed.error : null;
  return (
    <Dialog open size="sm" testId="snooze-dialog" onClose={onClose} title="Snooze until…" description={<>{what} leaves the pending list until then and comes back by itself.</>}>
      <form
        className="prompt-form"
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          if ('until' in parsed) onSnooze(parsed.until);
        }}
      >
        <label className="field">
          <span className="field-label">Date and time</span>
          <input
            className="input"
            type="datetime-local"
            data-autofocus
            data-testid="snooze-date"
            value={value}
            min={toLocalInput(Date.now())}
            max={toLocalInput(latestSnooze())}
            aria-invalid={touched && !!error}
            onChange={(e) => {
              setValue(e.target.value);
              setTouched(true);
            }}
          />
        </label>
        <p className="field-error" role={touched && error ? 'alert' : undefined}>
          {touched && error ? error : '\u00a0'}
        </p>
        <div className="dialog-footer dialog-footer-inline">
          <button type="button" className="btn btn-ghost" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" data-testid="snooze-confirm" disabled={touched && !!error}>
            Snooze
          </button>
        </div>
      </form>
    </Dialog>
  );
}
