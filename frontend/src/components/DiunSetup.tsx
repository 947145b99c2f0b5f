import { useId, useState } from 'react';
import { CircleCheck, Lightbulb, TriangleAlert, X } from 'lucide-react';
import { diunConfigEnv, diunConfigYaml, isLoopbackHost, webhookUrl, withAddress } from '../lib/diunConfig';
import { formatExact, formatRelative } from '../lib/time';
import type { ServerInfo, Update } from '../lib/types';
import { CopyButton } from './CopyButton';

const ADDRESS_KEY = 'diun-dashboard.diun-address';

function loadAddress(): string {
  try {
    return localStorage.getItem(ADDRESS_KEY) ?? '';
  } catch {
    return '';
  }
}

function saveAddress(value: string) {
  try {
    if (value.trim()) localStorage.setItem(ADDRESS_KEY, value.trim());
    else localStorage.removeItem(ADDRESS_KEY);
  } catch {
    // ignore
  }
}

type Format = 'yaml' | 'env';

/**
 * Webhook URL and a ready-to-paste Diun notifier configuration (diun.yml or
 * environment variables). When the browser reached the dashboard through a
 * loopback address, Diun (in a container, or on another machine) cannot use
 * it: a warning says so and the user types the address Diun will use.
 */
export function DiunSetup({ info }: { info: ServerInfo | null }) {
  const browserUrl = webhookUrl(info?.webhook_path ?? 'webhook', document.baseURI);
  const loopback = isLoopbackHost(new URL(browserUrl).hostname);
  const [address, setAddress] = useState(loadAddress);
  const [format, setFormat] = useState<Format>('yaml');
  const typedUrl = withAddress(browserUrl, address);
  const url = typedUrl ?? browserUrl;
  const secret = info?.webhook_secret_set ?? false;
  const snippet = format === 'yaml' ? diunConfigYaml(url, secret) : diunConfigEnv(url, secret);
  const ids = useId();
  const addressError = address.trim() && !typedUrl ? 'Type a host name or IP address, with the port: nas.lan:8080' : null;

  return (
    <div className="setup" data-testid="diun-setup">
      <div className="setup-step">
        <span className="step-num" aria-hidden>
          1
        </span>
        <div className="step-body">
          <h3 className="step-title">Webhook URL</h3>
          <p className="muted">Diun posts its notifications here.</p>
          {loopback && (
            <div className="warning" role="note" data-testid="loopback-warning">
              <TriangleAlert size={16} aria-hidden />
              <p>
                You opened the dashboard at <strong>{new URL(browserUrl).host}</strong>, which only this machine can reach. Diun in a container or on another machine needs
                the address it reaches the dashboard at (the host's name or LAN address, or the container's name on a shared Docker network).
              </p>
            </div>
          )}
          <div className="field">
            <label htmlFor={`${ids}-address`} className="field-label">
              Address Diun will use {loopback ? '' : '(if not this one)'}
            </label>
            <input
              id={`${ids}-address`}
              className="input"
              data-testid="diun-address"
              placeholder={loopback ? 'e.g. nas.lan:8080 or diun-dashboard:8080' : new URL(browserUrl).host}
              value={address}
              aria-invalid={addressError ? true : undefined}
              aria-describedby={addressError ? `${ids}-address-error` : undefined}
              onChange={(e) => {
                setAddress(e.target.value);
                saveAddress(e.target.value);
              }}
              autoComplete="off"
              spellCheck={false}
            />
            {addressError && (
              <p id={`${ids}-address-error`} className="field-error">
                {addressError}
              </p>
            )}
          </div>
          <div className="code-line">
            <code className="mono break" data-testid="webhook-url">
              {url}
            </code>
            <CopyButton text={url} label="Copy webhook URL" />
          </div>
        </div>
      </div>
      <div className="setup-step">
        <span className="step-num" aria-hidden>
          2
        </span>
        <div className="step-body">
          <div className="step-title-row">
            <h3 className="step-title">Configure Diun</h3>
            <CopyButton text={snippet} label={format === 'yaml' ? 'Copy YAML' : 'Copy variables'} showText={format === 'yaml' ? 'Copy YAML' : 'Copy variables'} />
          </div>
          <fieldset className="segmented format-switch" data-testid="snippet-format">
            <legend className="sr-only">Configuration format</legend>
            {(
              [
                ['yaml', 'diun.yml'],
                ['env', 'Environment variables'],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="segment" data-active={format === value || undefined}>
                <input type="radio" className="sr-only" name={`${ids}-format`} value={value} checked={format === value} onChange={() => setFormat(value)} />
                {label}
              </label>
            ))}
          </fieldset>
          <pre className="code-block" data-testid={format === 'yaml' ? 'diun-yaml' : 'diun-env'} tabIndex={0} aria-label={format === 'yaml' ? 'diun.yml notifier settings' : 'Diun environment variables'}>
            <code>{snippet}</code>
          </pre>
          <p className="muted small">
            {format === 'yaml' ? (
              <>
                Add this to <code className="mono">diun.yml</code>.
              </>
            ) : (
              <>
                For Diun in a container: the <code className="mono">environment:</code> of its service, or <code className="mono">-e</code> flags.
              </>
            )}
            {secret && (
              <>
                {' '}
                Replace <code className="mono">&lt;your secret&gt;</code> with the webhook secret configured on this server.
              </>
            )}
          </p>
        </div>
      </div>
      <div className="hint" role="note">
        <Lightbulb size={16} aria-hidden />
        <p>
          Diun sends nothing on its first scan unless <code className="mono">watch.firstCheckNotif: true</code> is set. Run <code className="mono">diun notif test</code> to
          check the connection right away.
        </p>
      </div>
    </div>
  );
}

/** Diun's test notification arrived: the connection works. Dismissing it deletes it for good. */
export function TestNotice({ tests, now, onDismiss }: { tests: Update[]; now: number; onDismiss: (id: number) => void }) {
  if (tests.length === 0) return null;
  const latest = tests.reduce((a, b) => (Date.parse(a.last_seen_at) >= Date.parse(b.last_seen_at) ? a : b));
  const hosts = [...new Set(tests.map((t) => t.hostname))];
  return (
    <div className="panel test-notice" role="status" data-testid="test-notification">
      <CircleCheck size={20} className="state-icon-success" aria-hidden />
      <div className="test-notice-text">
        <p className="test-notice-title">Connection works</p>
        <p className="muted">
          Diun's test notification arrived from <strong>{hosts.join(', ')}</strong>{' '}
          <time dateTime={latest.last_seen_at} title={formatExact(latest.last_seen_at)}>
            {formatRelative(latest.last_seen_at, now)}
          </time>
          . Real updates will show up here as Diun finds them.
        </p>
      </div>
      <button type="button" className="btn btn-secondary btn-sm" data-testid="dismiss-test" onClick={() => tests.forEach((t) => onDismiss(t.id))}>
        <X size={14} aria-hidden /> Dismiss
      </button>
    </div>
  );
}
