import { useEffect, useState, useSyncExternalStore } from 'react';
import { createPortal } from 'react-dom';
import { CircleAlert, CircleCheck, Info, X } from 'lucide-react';
import { toastStore } from '../data/toasts';

/** The topmost open modal dialog, or body: a modal makes everything outside it inert, toasts included. */
function useToastHost(): Element {
  const [host, setHost] = useState<Element>(() => document.body);
  useEffect(() => {
    const update = () => {
      const open = document.querySelectorAll('dialog[open]');
      setHost(open.length ? open[open.length - 1] : document.body);
    };
    const mo = new MutationObserver(update);
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['open'] });
    update();
    return () => mo.disconnect();
  }, []);
  return host;
}

export function Toaster() {
  const toasts = useSyncExternalStore(toastStore.subscribe, toastStore.getSnapshot);
  const host = useToastHost();
  return createPortal(
    <div className="toaster" aria-label="Notifications">
      <div role="status" aria-live="polite" className="toaster-stack">
        {toasts.map((t) => (
          <div
            key={t.id}
            className={`toast toast-${t.kind}`}
            role={t.kind === 'error' ? 'alert' : undefined}
            data-testid={`toast-${t.kind}`}
            onMouseEnter={() => toastStore.pause(t.id)}
            onMouseLeave={() => toastStore.schedule(t.id, 3000)}
            onFocus={() => toastStore.pause(t.id)}
          >
            <span className="toast-icon" aria-hidden>
              {t.kind === 'error' ? <CircleAlert size={16} /> : t.kind === 'success' ? <CircleCheck size={16} /> : <Info size={16} />}
            </span>
            <div className="toast-text">
              <p className="toast-title">{t.title}</p>
              {t.description && <p className="toast-description">{t.description}</p>}
            </div>
            {t.action && (
              <button
                type="button"
                className="btn btn-secondary btn-sm toast-action"
                onClick={() => {
                  toastStore.dismiss(t.id);
                  t.action!.run();
                }}
              >
                {t.action.label}
              </button>
            )}
            <button type="button" className="icon-btn icon-btn-xs toast-close" aria-label="Dismiss notification" onClick={() => toastStore.dismiss(t.id)}>
              <X size={14} aria-hidden />
            </button>
          </div>
        ))}
      </div>
    </div>,
    host,
  );
}
