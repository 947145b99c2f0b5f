/**
 * Accessible menu button (WAI-ARIA menu pattern): Enter/Space/ArrowDown open
 * it, arrows/Home/End move, typing a letter jumps, Escape closes and returns
 * focus. Rendered in a portal with fixed position so list rows don't clip it.
 */
import { useCallback, useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { createPortal } from 'react-dom';
import { Check } from 'lucide-react';

export type MenuEntry =
  | {
      kind: 'item';
      key: string;
      label: string;
      icon?: ReactNode;
      onSelect: () => void;
      checked?: boolean;
      danger?: boolean;
      disabled?: boolean;
      hint?: string;
    }
  | { kind: 'separator'; key: string }
  | { kind: 'heading'; key: string; label: string };

interface MenuProps {
  /** Accessible name of the trigger button. */
  label: string;
  /** Visible content of the trigger. */
  children: ReactNode;
  entries: () => MenuEntry[];
  triggerClassName?: string;
  triggerTestId?: string;
  title?: string;
  align?: 'start' | 'end';
  menuTestId?: string;
  /** Placement preference. */
  side?: 'bottom' | 'top';
}

export function Menu({ label, children, entries, triggerClassName = 'icon-btn', triggerTestId, title, align = 'end', menuTestId, side = 'bottom' }: MenuProps) {
  const [open, setOpen] = useState(false);
  const [items, setItems] = useState<MenuEntry[]>([]);
  const [pos, setPos] = useState<{ top: number; left: number; maxHeight: number } | null>(null);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const focusOnOpen = useRef<'first' | 'last'>('first');
  const menuId = useId();

  const close = useCallback((returnFocus = true) => {
    setOpen(false);
    setPos(null);
    if (returnFocus) triggerRef.current?.focus({ preventScroll: true });
  }, []);

  const openMenu = (where: 'first' | 'last') => {
    focusOnOpen.current = where;
    setItems(entries());
    setOpen(true);
  };

  const place = useCallback(() => {
    const t = triggerRef.current;
    const m = menuRef.current;
    if (!t || !m) return;
    const r = t.getBoundingClientRect();
    const mw = m.offsetWidth;
    const mh = m.scrollHeight;
    const vw = window.innerWidth;
    const vh = window.innerHeight;
    const gap = 6;
    let left = align === 'end' ? r.right - mw : r.left;
    left = Math.max(8, Math.min(left, vw - mw - 8));
    const below = vh - r.bottom - gap - 8;
    const above = r.top - gap - 8;
    const goUp = side === 'top' ? above >= Math.min(mh, 160) || above > below : mh > below && above > below;
    const maxHeight = Math.max(120, goUp ? above : below);
    const top = goUp ? Math.max(8, r.top - gap - Math.min(mh, maxHeight)) : r.bottom + gap;
    setPos({ top, left, maxHeight });
  }, [align, side]);

  useLayoutEffect(() => {
    if (!open) return;
    place();
  }, [open, place, items]);

  useEffect(() => {
    if (!open) return;
    const onDown = (e: PointerEvent) => {
      const target = e.target as Node;
      if (!menuRef.current?.contains(target) && !triggerRef.current?.contains(target)) close(false);
    };
    const onMove = () => place();
    document.addEventListener('pointerdown', onDown, true);
    window.addEventListener('scroll', onMove, true);
    window.addEventListener('resize', onMove);
    return () => {
      document.removeEventListener('pointerdown', onDown, true);
      window.removeEventListener('scroll', onMove, true);
      window.removeEventListener('resize', onMove);
    };
  }, [open, close, place]);

  const placed = pos !== null;
  useEffect(() => {
    // Focus only once the menu is placed: a hidden element cannot take focus.
    if (!open || !placed) return;
    const list = menuRef.current?.querySelectorAll<HTMLElement>('[role^="menuitem"]:not([aria-disabled="true"])');
    if (list?.length && !menuRef.current?.contains(document.activeElement)) {
      (focusOnOpen.current === 'first' ? list[0] : list[list.length - 1]).focus({ preventScroll: true });
    }
  }, [open, placed]);

  const focusables = () => [...(menuRef.current?.querySelectorAll<HTMLElement>('[role^="menuitem"]:not([aria-disabled="true"])') ?? [])];

  const onMenuKey = (e: React.KeyboardEvent) => {
    const list = focusables();
    const i = list.indexOf(document.activeElement as HTMLElement);
    const go = (n: number) => {
      e.preventDefault();
      list[(n + list.length) % list.length]?.focus({ preventScroll: true });
    };
    switch (e.key) {
      case 'ArrowDown':
        return go(i + 1);
      case 'ArrowUp':
        return go(i - 1);
      case 'Home':
        return go(0);
      case 'End':
        return go(list.length - 1);
      case 'Escape':
        e.preventDefault();
        e.stopPropagation();
        return close();
      case 'Tab':
        return close(false);
      default:
        if (e.key.length === 1 && /\S/.test(e.key)) {
          const ch = e.key.toLowerCase();
          const start = i + 1;
          for (let k = 0; k < list.length; k++) {
            const el = list[(start + k) % list.length];
            if ((el.textContent ?? '').trim().toLowerCase().startsWith(ch)) {
              e.preventDefault();
              el.focus({ preventScroll: true });
              break;
            }
          }
        }
    }
  };

  return (
    <>
      <button
        ref={triggerRef}
        type="button"
        className={triggerClassName}
        aria-label={label}
        title={title ?? label}
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={open ? menuId : undefined}
        data-testid={triggerTestId}
        onClick={(e) => {
          e.stopPropagation();
          if (open) close(false);
          else openMenu('first');
        }}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
            e.preventDefault();
            openMenu(e.key === 'ArrowDown' ? 'first' : 'last');
          }
        }}
      >
        {children}
      </button>
      {open &&
        createPortal(
          <div
            ref={menuRef}
            id={menuId}
            role="menu"
            aria-label={label}
            className="menu"
            data-testid={menuTestId}
            style={pos ? { top: pos.top, left: pos.left, maxHeight: pos.maxHeight } : { top: -9999, left: -9999, visibility: 'hidden' }}
            onKeyDown={onMenuKey}
          >
            {items.map((it) => {
              if (it.kind === 'separator') return <div key={it.key} role="separator" className="menu-sep" />;
              if (it.kind === 'heading')
                return (
                  <div key={it.key} className="menu-heading" role="presentation">
                    {it.label}
                  </div>
                );
              return (
                <button
                  key={it.key}
                  type="button"
                  role={it.checked === undefined ? 'menuitem' : 'menuitemradio'}
                  aria-checked={it.checked === undefined ? undefined : it.checked}
                  aria-disabled={it.disabled || undefined}
                  tabIndex={-1}
                  className={`menu-item${it.danger ? ' menu-item-danger' : ''}`}
                  onClick={() => {
                    if (it.disabled) return;
                    close();
                    it.onSelect();
                  }}
                >
                  <span className="menu-item-icon" aria-hidden>
                    {it.checked ? <Check size={14} /> : it.icon}
                  </span>
                  <span className="menu-item-label">{it.label}</span>
                  {it.hint && <span className="menu-item-hint">{it.hint}</span>}
                </button>
              );
            })}
          </div>,
          // Inside a modal dialog everything outside it is inert: the menu goes in the dialog.
          triggerRef.current?.closest('dialog') ?? document.body,
        )}
    </>
  );
}
