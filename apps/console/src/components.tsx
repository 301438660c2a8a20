import { useCallback, useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { errorText, type ConnectionState } from './api';
import { useLiveChanges } from './live';

/** Polls `load` every `intervalMs` while mounted: the console's live view of states, pings and queues. */
export function usePolling<T>(load: () => Promise<T>, intervalMs = 5000) {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<string>();
  const loadRef = useRef(load);
  loadRef.current = load;
  const refresh = useCallback(async () => {
    try {
      setData(await loadRef.current());
      setError(undefined);
    } catch (err) {
      setError(errorText(err));
    }
  }, []);
  useEffect(() => {
    void refresh();
    const timer = window.setInterval(() => void refresh(), intervalMs);
    return () => window.clearInterval(timer);
  }, [refresh, intervalMs]);
  useLiveChanges(refresh);
  return { data, error, refresh };
}

export function Loading({ what }: { what: string }) {
  return (
    <p className="loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

export function ErrorMessage({ children }: { children: ReactNode }) {
  if (!children) return null;
  return (
    <div className="error" role="alert">
      {children}
    </div>
  );
}

export function StateBadge({ state }: { state: ConnectionState }) {
  const kind = state === 'Connected' ? 'ok' : state === 'Offline' ? 'bad' : 'wait';
  return <span className={`badge badge-${kind}`}>{state}</span>;
}

/** A read-only value with a copy button; the value stays selectable for browsers without clipboard access. */
export function CopyField({ label, value }: { label: string; value: string }) {
  const id = useId();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 3000);
    } catch {
      (document.getElementById(id) as HTMLInputElement | null)?.select();
    }
  };
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="copy-row">
        <input id={id} readOnly value={value} onFocus={(e) => e.currentTarget.select()} />
        <button type="button" onClick={() => void copy()} aria-label={copied ? `${label} copied` : `Copy ${label.toLowerCase()}`}>
          {copied ? 'Copied' : 'Copy'}
        </button>
      </div>
    </div>
  );
}

/** A modal confirmation built on <dialog>: focus moves into it, Escape cancels. */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm: () => void;
  onCancel: () => void;
  busy?: boolean;
}) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (props.open && !dialog.open) dialog.showModal();
    if (!props.open && dialog.open) dialog.close();
  }, [props.open]);
  return (
    <dialog ref={ref} aria-labelledby={titleId} onCancel={props.onCancel}>
      <h2 id={titleId}>{props.title}</h2>
      <div>{props.children}</div>
      <div className="actions">
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
        <button type="button" className="danger" onClick={props.onConfirm} disabled={props.busy}>
          {props.confirmLabel}
        </button>
      </div>
    </dialog>
  );
}

export function TeamSelect(props: {
  label: string;
  teams: { id: string; display_name: string }[];
  value: string;
  onChange: (id: string) => void;
  required?: boolean;
  hint?: string;
}) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <select
        id={id}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        required={props.required}
        aria-describedby={props.hint ? hintId : undefined}
      >
        <option value="">{props.required ? 'Select a team' : 'No team (choose per channel)'}</option>
        {props.teams.map((t) => (
          <option key={t.id} value={t.id}>
            {t.display_name}
          </option>
        ))}
      </select>
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

export function TextField(props: {
  label: string;
  value: string;
  onChange: (v: string) => void;
  required?: boolean;
  type?: string;
  hint?: string;
  autoComplete?: string;
  pattern?: string;
}) {
  const id = useId();
  const hintId = useId();
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      <input
        id={id}
        type={props.type ?? 'text'}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        required={props.required}
        autoComplete={props.autoComplete ?? 'off'}
        pattern={props.pattern}
        aria-describedby={props.hint ? hintId : undefined}
      />
      {props.hint && (
        <p className="hint" id={hintId}>
          {props.hint}
        </p>
      )}
    </div>
  );
}

/** Auto-accept or review, as a pair of radio buttons in a fieldset. */
export function InviteModeField({ autoAccept, onChange }: { autoAccept: boolean; onChange: (v: boolean) => void }) {
  const name = useId();
  return (
    <fieldset className="field">
      <legend>Channel invitations from this workspace</legend>
      <label className="radio">
        <input type="radio" name={name} checked={autoAccept} onChange={() => onChange(true)} /> Automatically accept channel invites
      </label>
      <label className="radio">
        <input type="radio" name={name} checked={!autoAccept} onChange={() => onChange(false)} /> Review each channel invite before it is
        accepted
      </label>
    </fieldset>
  );
}
