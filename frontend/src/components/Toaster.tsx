import { useEffect, useState, useSyncExternalStore } from 'react';
import { createPortal } from 'react-dom';
import { CircleAlert, CircleCheck, Info, X } from 'lucide-react';
import { toastStore } from '../data/toasts';

/** The topmost open modal dialog, or null: a modal makes everything outside it inert, toasts included. */
function useOpenDialog(): Element | null {
  const [host, setHost] = useState<Element | null>(null);
  useEffect(() => {
    const update = () => {
      const open = document.querySelectorAll('dialog[open]');
      setHost(open.length ? open[open.length - 1] : null);
    };
    const mo = new MutationObserver(update);
    mo.observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['open'] });
    update();
    return () => mo.disconnect();
  }, []);
  return host;
}

/** A toast's button went away with it: focus goes to the list, not to <body>. */
function keepFocus() {
  requestAnimationFrame(() => {
    if (document.activeElement === document.body) document.getElementById('main')?.focus({ preventScroll: true });
  });
}

/**
 * Toasts, in a landmark placed early in the page (right after the skip link):
 * the first Tab from the top reaches the newest Undo button. Shown at the bottom right
 * (top on phones); read out by screen readers as they come (a live region).
 */
export function Toaster() {
  const toasts = useSyncExternalStore(toastStore.subscribe, toastStore.getSnapshot);
  const dialog = useOpenDialog();
  const region = (
    <section className="toaster" aria-label="Notifications">
      <div role="status" aria-live="polite" className="toaster-stack">
        {/* Newest first in the page's order (the first Tab reaches its Undo); shown at the bottom of the stack. */}
        {[...toasts].reverse().map((t) => (
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
                  keepFocus();
                }}
              >
                {t.action.label}
              </button>
            )}
            <button type="button" className="icon-btn toast-close" aria-label="Dismiss notification" onClick={() => {
                toastStore.dismiss(t.id);
                keepFocus();
              }}>
              <X size={14} aria-hidden />
            </button>
          </div>
        ))}
      </div>
    </section>
  );
  return dialog ? createPortal(region, dialog) : region;
}
