/** Promise-based confirm and prompt dialogs, reachable from anywhere through context. */
import { createContext, useCallback, useContext, useRef, useState, type ReactNode } from 'react';
import { Dialog } from './Dialog';

interface ConfirmOptions {
  title: string;
  body: ReactNode;
  confirmLabel: string;
  danger?: boolean;
}

interface PromptOptions {
  title: string;
  description?: ReactNode;
  label: string;
  initial?: string;
  confirmLabel: string;
  placeholder?: string;
  /** Error sentence for an invalid value, or null. */
  validate?: (value: string) => string | null;
}

interface DialogsApi {
  confirm(o: ConfirmOptions): Promise<boolean>;
  prompt(o: PromptOptions): Promise<string | null>;
}

const Ctx = createContext<DialogsApi | null>(null);

export function useDialogs(): DialogsApi {
  const v = useContext(Ctx);
  if (!v) throw new Error('useDialogs outside DialogsProvider');
  return v;
}

type Pending =
  | { kind: 'confirm'; o: ConfirmOptions; resolve: (v: boolean) => void }
  | { kind: 'prompt'; o: PromptOptions; resolve: (v: string | null) => void };

export function DialogsProvider({ children }: { children: ReactNode }) {
  const [pending, setPending] = useState<Pending | null>(null);

  const confirm = useCallback((o: ConfirmOptions) => new Promise<boolean>((resolve) => setPending({ kind: 'confirm', o, resolve })), []);
  const prompt = useCallback((o: PromptOptions) => new Promise<string | null>((resolve) => setPending({ kind: 'prompt', o, resolve })), []);
  const api = useRef<DialogsApi>({ confirm, prompt }).current;

  return (
    <Ctx.Provider value={api}>
      {children}
      {pending?.kind === 'confirm' && (
        <ConfirmDialog
          o={pending.o}
          onDone={(v) => {
            setPending(null);
            pending.resolve(v);
          }}
        />
      )}
      {pending?.kind === 'prompt' && (
        <PromptDialog
          o={pending.o}
          onDone={(v) => {
            setPending(null);
            pending.resolve(v);
          }}
        />
      )}
    </Ctx.Provider>
  );
}

function ConfirmDialog({ o, onDone }: { o: ConfirmOptions; onDone: (v: boolean) => void }) {
  // Safe default: focus Cancel for destructive actions, the confirm button otherwise.
  return (
    <Dialog
      open
      size="sm"
      testId="confirm-dialog"
      onClose={() => onDone(false)}
      title={o.title}
      footer={
        <>
          <button type="button" className="btn btn-ghost" onClick={() => onDone(false)} data-autofocus={o.danger ? '' : undefined}>
            Cancel
          </button>
          <button type="button" data-autofocus={o.danger ? undefined : ''} className={o.danger ? 'btn btn-danger' : 'btn btn-primary'} onClick={() => onDone(true)}>
            {o.confirmLabel}
          </button>
        </>
      }
    >
      <div className="confirm-body">{o.body}</div>
    </Dialog>
  );
}

function PromptDialog({ o, onDone }: { o: PromptOptions; onDone: (v: string | null) => void }) {
  const [value, setValue] = useState(o.initial ?? '');
  const [touched, setTouched] = useState(false);
  const error = o.validate?.(value) ?? null;
  return (
    <Dialog open size="sm" testId="prompt-dialog" onClose={() => onDone(null)} title={o.title} description={o.description}>
      <form
        className="prompt-form"
        onSubmit={(e) => {
          e.preventDefault();
          setTouched(true);
          if (!error) onDone(value.trim());
        }}
      >
        <label className="field">
          <span className="field-label">{o.label}</span>
          <input
            className="input"
            data-autofocus
            value={value}
            placeholder={o.placeholder}
            maxLength={200}
            aria-invalid={touched && !!error}
            onChange={(e) => {
              setValue(e.target.value);
              setTouched(true);
            }}
            onFocus={(e) => e.currentTarget.select()}
          />
        </label>
        <p className="field-error" role={touched && error ? 'alert' : undefined}>
          {touched && error ? error : '\u00a0'}
        </p>
        <div className="dialog-footer dialog-footer-inline">
          <button type="button" className="btn btn-ghost" onClick={() => onDone(null)}>
            Cancel
          </button>
          <button type="submit" className="btn btn-primary" disabled={touched && !!error}>
            {o.confirmLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
