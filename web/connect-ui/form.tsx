import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api, Integration, Provider, Session } from './api';
import { Failure } from './api';
import { fixKey } from './failure-text';
import { authKind, formFields, problem, type FormField } from './fields';
import type { Translate } from './i18n';
import { startOAuth, type OAuthFlow } from './oauth-popup';

export interface Connected {
  connectionId: string;
  isPending: boolean;
}

interface FormProps {
  t: Translate;
  api: Api;
  session: Session;
  integration: Integration;
  provider: Provider;
  detectClosedWindow: boolean;
  onConnected(result: Connected): void;
  onFailed(failure: Failure): void;
}

/** The connect form of one integration: its fields, the submit (a POST or the OAuth popup), and what failed. */
export function ConnectForm({ t, api, session, integration, provider, detectClosedWindow, onConnected, onFailed }: FormProps) {
  const name = integration.display_name || provider.display_name;
  const kind = authKind(provider);
  const defaults = session.integrations_config_defaults?.[integration.unique_key]?.connection_config ?? {};
  // What the app preset for this session is not asked again: the server applies it to the connection.
  const fields = formFields(provider).filter((f) => !(f.group === 'params' && defaults[f.key] !== undefined));
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(fields.map((f) => [f.id, f.group === 'params' ? String(f.field.default_value ?? '') : ''])),
  );
  const [touched, setTouched] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const flow = useRef<OAuthFlow | null>(null);
  const alertRef = useRef<HTMLDivElement>(null);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => () => flow.current?.cancel(), []);
  useEffect(() => {
    if (failure) alertRef.current?.focus();
  }, [failure]);
  useEffect(() => {
    formRef.current?.querySelector<HTMLElement>('input, select, button[type=submit]')?.focus();
  }, []);

  if (kind === 'unsupported') return <p class="notice">{t('unsupported', { name })}</p>;

  const problems = Object.fromEntries(fields.map((f) => [f.id, problem(f, values[f.id] ?? '')]));
  const params = () => Object.fromEntries(fields.filter((f) => f.group === 'params' && values[f.id] !== '').map((f) => [f.key, values[f.id]]));
  const fail = (err: unknown) => {
    const f = err instanceof Failure ? err : new Failure('unknown_err', '');
    setFailure(f);
    onFailed(f);
  };

  const submit = (event: Event) => {
    event.preventDefault();
    if (busy) return;
    setTouched(true);
    const firstBad = fields.find((f) => problems[f.id]);
    if (firstBad) {
      document.getElementById(firstBad.id)?.focus();
      return;
    }
    setFailure(null);
    setBusy(true);
    if (kind === 'oauth') {
      // Opens the popup now, inside the click or key press.
      flow.current = startOAuth({ apiBase: api.base, websocketsPath: session.websocketsPath ?? '/', popupUrl: (id) => api.oauthUrl(integration.unique_key, id, params()), detectClosedWindow });
      flow.current.result.then(onConnected, fail).finally(() => setBusy(false));
      return;
    }
    // Exactly the body the route takes: each credential field by its key.
    const body = Object.fromEntries(fields.filter((f) => f.group === 'credentials').map((f) => [f.key, values[f.id] ?? '']));
    api
      .submitCredentials(kind, integration.unique_key, params(), body)
      .then((r) => onConnected({ connectionId: r.connectionId, isPending: false }))
      .catch(fail)
      .finally(() => setBusy(false));
  };

  const docs = provider.docs_connect ?? provider.setup_guide_url ?? provider.docs;
  return (
    <form ref={formRef} onSubmit={submit} noValidate aria-busy={busy}>
      <p class="intro">{kind === 'oauth' ? t('oauthIntro', { name }) : t('credentialsIntro', { name })}</p>
      {failure && (
        <div class="alert" role="alert" tabIndex={-1} ref={alertRef}>
          <p class="alert-title">{t('failedTitle')}</p>
          <p>{t(fixKey(failure), { name })}</p>
          {failure.message && <p class="detail">{failure.message}</p>}
          <p class="code">{t('errorCode', { code: failure.code })}</p>
        </div>
      )}
      {fields.map((f) => (
        <FieldInput key={f.id} t={t} field={f} value={values[f.id] ?? ''} error={touched ? problems[f.id] : null} onInput={(v) => setValues({ ...values, [f.id]: v })} />
      ))}
      {docs && (
        <p class="docs">
          <a href={docs} target="_blank" rel="noopener noreferrer">
            {t('docsLink', { name })}
          </a>
        </p>
      )}
      <button class="primary" type="submit" disabled={busy}>
        {busy ? (kind === 'oauth' ? t('oauthWaiting', { name }) : t('submitting', { name })) : kind === 'oauth' ? t('oauthButton', { name }) : t('submit')}
      </button>
    </form>
  );
}

interface FieldProps {
  t: Translate;
  field: FormField;
  value: string;
  error: 'required' | 'invalid' | null;
  onInput(value: string): void;
}

function FieldInput({ t, field, value, error, onInput }: FieldProps) {
  const [revealed, setRevealed] = useState(false);
  const { id } = field;
  const spec = field.field;
  const label = spec.title ?? (field.fallbackLabel ? t(field.fallbackLabel) : field.key);
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const hints = [spec.description, spec.example ? t('example', { example: spec.example }) : undefined].filter(Boolean);
  const describedBy = [hints.length ? hintId : '', error ? errorId : ''].filter(Boolean).join(' ') || undefined;
  const errorText = error === 'required' ? t('required') : spec.example ? t('invalidExample', { example: spec.example }) : t('invalid');
  const common = { id, name: id, 'aria-describedby': describedBy, 'aria-invalid': error ? true : undefined, autoComplete: 'off', spellcheck: false, autoCapitalize: 'none' } as const;
  let control;
  if (spec.enum) {
    control = (
      <select {...common} value={value} onChange={(e) => onInput((e.target as HTMLSelectElement).value)}>
        <option value="" />
        {spec.enum.map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    );
  } else {
    control = (
      <input
        {...common}
        type={field.secret && !revealed ? 'password' : spec.type === 'number' ? 'number' : 'text'}
        value={value}
        onInput={(e) => onInput((e.target as HTMLInputElement).value)}
      />
    );
  }
  return (
    <div class={`field${error ? ' has-error' : ''}`}>
      <label for={id}>
        {label}
        {spec.optional && <span class="optional"> ({t('optional')})</span>}
      </label>
      {hints.length > 0 && (
        <p class="hint" id={hintId}>
          {hints.join(' ')}
        </p>
      )}
      <div class="control">
        {spec.prefix && <span class="affix">{spec.prefix}</span>}
        {control}
        {spec.suffix && <span class="affix">{spec.suffix}</span>}
        {field.secret && (
          <button type="button" class="reveal" aria-pressed={revealed} aria-controls={id} onClick={() => setRevealed(!revealed)}>
            {revealed ? t('hide') : t('show')}
          </button>
        )}
      </div>
      {error && (
        <p class="field-error" id={errorId}>
          {errorText}
        </p>
      )}
    </div>
  );
}
