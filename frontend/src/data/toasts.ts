/** A tiny toast queue, independent of React so the data store can raise toasts. */

export type ToastKind = 'success' | 'error' | 'info';

export interface Toast {
  id: number;
  kind: ToastKind;
  title: string;
  description?: string;
  action?: { label: string; run: () => void };
  /** ms before it hides itself; errors stay longer. */
  duration: number;
}

type Listener = () => void;

let toasts: Toast[] = [];
let nextId = 1;
const listeners = new Set<Listener>();
const timers = new Map<number, ReturnType<typeof setTimeout>>();

function emit() {
  for (const l of listeners) l();
}

export const toastStore = {
  subscribe(l: Listener) {
    listeners.add(l);
    return () => listeners.delete(l);
  },
  getSnapshot: () => toasts,
  push(t: Omit<Toast, 'id' | 'duration'> & { duration?: number }): number {
    const id = nextId++;
    const duration = t.duration ?? (t.kind === 'error' ? 9000 : t.action ? 7000 : 4000);
    toasts = [...toasts.slice(-3), { ...t, id, duration }];
    emit();
    this.schedule(id, duration);
    return id;
  },
  schedule(id: number, ms: number) {
    clearTimeout(timers.get(id));
    timers.set(id, setTimeout(() => toastStore.dismiss(id), ms));
  },
  pause(id: number) {
    clearTimeout(timers.get(id));
  },
  dismiss(id: number) {
    clearTimeout(timers.get(id));
    timers.delete(id);
    const before = toasts.length;
    toasts = toasts.filter((t) => t.id !== id);
    if (toasts.length !== before) emit();
  },
};

export const toast = {
  success: (title: string, opts: Partial<Pick<Toast, 'description' | 'action'>> = {}) => toastStore.push({ kind: 'success', title, ...opts }),
  error: (title: string, description?: string) => toastStore.push({ kind: 'error', title, description }),
  info: (title: string, description?: string) => toastStore.push({ kind: 'info', title, description }),
};
