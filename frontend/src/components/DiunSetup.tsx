import { Lightbulb } from 'lucide-react';
import { diunConfigYaml, webhookUrl } from '../lib/diunConfig';
import type { ServerInfo } from '../lib/types';
import { CopyButton } from './CopyButton';

/** Webhook URL and a ready-to-paste Diun notifier configuration. */
export function DiunSetup({ info }: { info: ServerInfo | null }) {
  const url = webhookUrl(info?.webhook_path ?? 'webhook', document.baseURI);
  const yaml = diunConfigYaml(url, info?.webhook_secret_set ?? false);
  return (
    <div className="setup" data-testid="diun-setup">
      <div className="setup-step">
        <span className="step-num" aria-hidden>
          1
        </span>
        <div className="step-body">
          <h3 className="step-title">Webhook URL</h3>
          <p className="muted">Diun posts its notifications here.</p>
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
            <h3 className="step-title">Add this to diun.yml</h3>
            <CopyButton text={yaml} label="Copy Diun configuration" showText="Copy YAML" />
          </div>
          <pre className="code-block" data-testid="diun-yaml">
            <code>{yaml}</code>
          </pre>
          {info?.webhook_secret_set && (
            <p className="muted small">
              Replace <code className="mono">&lt;your secret&gt;</code> with the webhook secret configured on this server.
            </p>
          )}
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
