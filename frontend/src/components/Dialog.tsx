/**
 * Modal built on the native <dialog>: showModal() makes the rest of the page
 * inert (focus stays inside), Escape closes it, focus returns to the opener.
 */
import { useEffect, useId, useRef, type ReactNode } from 'react';
import { X } from 'lucide-react';

let openModals = 0;

/** Stops the page behind modals from scrolling, without a layout shift where scrollbars take room. */
function lockScroll() {
  const root = document.documentElement;
  if (openModals++ === 0) {
    root.style.setProperty('--scrollbar-width', `${window.innerWidth - root.clientWidth}px`);
    root.classList.add('has-modal');
  }
}

function unlockScroll() {
  if (--openModals === 0) document.documentElement.classList.remove('has-modal');
}

export interface DialogProps {
  open: boolean;
  onClose: () => void;
  title: ReactNode;
  description?: ReactNode;
  children?: ReactNode;
  footer?: ReactNode;
  variant?: 'modal' | 'drawer';
  size?: 'sm' | 'md' | 'lg';
  testId?: string;
  /** Extra element placed left of the close button in the header. */
  headerExtra?: ReactNode;
}

export function Dialog({ open, onClose, title, description, children, footer, variant = 'modal', size = 'md', testId, headerExtra }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const descId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    if (open && !el.open) {
      const opener = document.activeElement as HTMLElement | null;
      lockScroll();
      el.showModal();
      // React's autoFocus runs before the dialog is shown; focus the marked element now.
      el.querySelector<HTMLElement>('[data-autofocus]')?.focus();
      return () => {
        unlockScroll();
        if (el.open) el.close();
        if (opener && opener.isConnected) opener.focus({ preventScroll: true });
      };
    }
  }, [open]);

  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const onCancel = (e: Event) => {
      e.preventDefault();
      onCloseRef.current();
    };
    el.addEventListener('cancel', onCancel);
    return () => el.removeEventListener('cancel', onCancel);
  }, []);

  if (!open) return <dialog ref={ref} hidden />;

  return (
    <dialog
      ref={ref}
      className={`dialog dialog-${variant} dialog-${size}`}
      aria-labelledby={titleId}
      aria-describedby={description ? descId : undefined}
      data-testid={testId}
      onMouseDown={(e) => {
        // A press on the backdrop (the dialog element itself, outside its panel) closes.
        if (e.target === e.currentTarget) onClose();
      }}
    >
      <div className="dialog-panel">
        <header className="dialog-header">
          <div className="dialog-titles">
            <h2 id={titleId} className="dialog-title">
              {title}
            </h2>
            {description && (
              <p id={descId} className="dialog-description">
                {description}
              </p>
            )}
          </div>
          {headerExtra}
          <button type="button" className="icon-btn" aria-label="Close" onClick={onClose}>
            <X size={16} aria-hidden />
          </button>
        </header>
        {children !== undefined && <div className="dialog-body">{children}</div>}
        {footer && <footer className="dialog-footer">{footer}</footer>}
      </div>
    </dialog>
  );
}
