import { useEffect, useState } from 'react';
import { Check, Copy } from 'lucide-react';
import { toast } from '../data/toasts';

/** Copies text; falls back to execCommand where the Clipboard API is missing (plain-HTTP self-hosted setups). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard && window.isSecureContext) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through
  }
  const host = (document.activeElement?.closest('dialog') as HTMLElement | null) ?? document.body;
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  ta.style.inset = '0';
  host.appendChild(ta);
  const previous = document.activeElement as HTMLElement | null;
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  previous?.focus({ preventScroll: true });
  return ok;
}

export function CopyButton({ text, label, className = '', showText }: { text: string; label: string; className?: string; showText?: string }) {
  const [copied, setCopied] = useState(false);
  useEffect(() => {
    if (!copied) return;
    const t = setTimeout(() => setCopied(false), 1600);
    return () => clearTimeout(t);
  }, [copied]);
  return (
    <button
      type="button"
      className={`copy-btn ${showText ? 'btn btn-secondary btn-sm' : 'icon-btn icon-btn-xs'} ${className}`}
      aria-label={label}
      title={copied ? 'Copied' : label}
      data-copied={copied || undefined}
      onClick={async (e) => {
        e.stopPropagation();
        if (await copyText(text)) setCopied(true);
        else toast.error('Could not copy', 'Your browser blocked clipboard access. Select the text and copy it by hand.');
      }}
    >
      {copied ? <Check size={showText ? 14 : 12} aria-hidden /> : <Copy size={showText ? 14 : 12} aria-hidden />}
      {showText && <span>{copied ? 'Copied' : showText}</span>}
      <span className="sr-only" aria-live="polite">
        {copied ? 'Copied' : ''}
      </span>
    </button>
  );
}
