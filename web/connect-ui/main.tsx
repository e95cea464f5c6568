import './style.css';
import { render } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { Api, Failure, type Integration, type Provider, type Session } from './api';
import { fixKey } from './failure-text';
import { ConnectForm, type Connected } from './form';
import { pickLang, translator, type Translate } from './i18n';
import { embedded, sessionTokenFromParent, toParent } from './parent';

/**
 * Latchkey's Connect UI: the end user picks one of the session's integrations and connects it
 * (OAuth popup, API key, basic credentials, connection config). Served by the connect function at
 * `/connect`, standalone (`?session_token=`) or in `nango.openConnectUI()`'s iframe.
 */

interface PageConfig {
  /** The API this page talks to, chosen by the server: never taken from the URL. */
  apiBase: string;
}

type Screen =
  | { kind: 'loading' }
  | { kind: 'fatal'; failure: Failure }
  | { kind: 'list' }
  | { kind: 'integration'; integration: Integration; provider: Provider | null }
  | { kind: 'success'; integration: Integration };

const query = new URLSearchParams(location.search);
const config = JSON.parse(document.getElementById('latchkey-connect')!.textContent!) as PageConfig;

/** The token leaves the address bar (and so the history and any later Referer) at once; it lives in memory only. */
const tokenInUrl = query.get('session_token');
if (tokenInUrl !== null) {
  query.delete('session_token');
  const rest = query.toString();
  history.replaceState(null, '', `${location.pathname}${rest ? `?${rest}` : ''}${location.hash}`);
}

const requestedApi = query.get('apiURL');
if (requestedApi && requestedApi.replace(/\/+$/, '') !== config.apiBase) {
  // The session token only ever goes to the API the server named: an apiURL from the URL cannot redirect it.
  console.warn(`Connect UI: apiURL ${requestedApi} ignored; this Connect UI only talks to ${config.apiBase}. Pass apiURL: '${config.apiBase}' to openConnectUI().`);
}

const lang = pickLang([query.get('lang'), ...navigator.languages]);
const t = translator(lang);
document.documentElement.lang = lang;
document.title = t('pageTitle');
if (embedded) document.documentElement.classList.add('embedded');

function applyTheme(theme: string | null | undefined) {
  if (theme === 'light' || theme === 'dark') document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}
applyTheme(query.get('theme'));

const normalize = (text: string) => text.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

function App() {
  const [screen, setScreen] = useState<Screen>({ kind: 'loading' });
  const [api, setApi] = useState<Api | null>(null);
  const [session, setSession] = useState<Session>({});
  const [integrations, setIntegrations] = useState<Integration[]>([]);

  const fatal = (failure: Failure) => {
    setScreen({ kind: 'fatal', failure });
    toParent({ type: 'error', payload: { errorType: failure.code, errorMessage: failure.message || t(fixKey(failure)) } });
  };

  const open = (client: Api, integration: Integration) => {
    setScreen({ kind: 'integration', integration, provider: null });
    client.provider(integration.provider).then((provider) => setScreen({ kind: 'integration', integration, provider }), fatal);
  };

  useEffect(() => {
    void (async () => {
      const token = tokenInUrl ?? (embedded ? await sessionTokenFromParent() : null);
      if (!token) return fatal(new Failure('no_session', ''));
      const client = new Api(config.apiBase, token);
      setApi(client);
      try {
        const [s, list] = await Promise.all([client.session(), client.integrations()]);
        const allowed = s.allowed_integrations;
        const offered = allowed ? list.filter((i) => allowed.includes(i.unique_key)) : list;
        setSession(s);
        setIntegrations(offered);
        if (!query.get('theme')) applyTheme(s.connectUISettings?.defaultTheme);
        toParent({ type: 'settings_changed', payload: s.connectUISettings ?? {} });
        if (offered.length === 1 && (s.isReconnecting || allowed?.length === 1)) open(client, offered[0]);
        else setScreen({ kind: 'list' });
      } catch (err) {
        fatal(err instanceof Failure ? err : new Failure('unknown_err', ''));
      }
    })();
    const onKey = (event: KeyboardEvent) => {
      if (event.key === 'Escape' && embedded) toParent({ type: 'close' });
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const single = integrations.length === 1;
  let title: string;
  let body;
  switch (screen.kind) {
    case 'loading':
      title = t('pageTitle');
      body = <p role="status">{t('loading')}</p>;
      break;
    case 'fatal':
      title = t('fatalTitle');
      body = (
        <div class="alert" role="alert">
          <p>{t(fixKey(screen.failure), { name: '' })}</p>
          {screen.failure.message && <p class="detail">{screen.failure.message}</p>}
          <p class="code">{t('errorCode', { code: screen.failure.code })}</p>
        </div>
      );
      break;
    case 'list':
      title = t('listTitle');
      body = <IntegrationList t={t} api={api!} integrations={integrations} onPick={(i) => open(api!, i)} />;
      break;
    case 'integration': {
      const { integration, provider } = screen;
      const name = integration.display_name;
      title = session.isReconnecting ? t('reconnectTitle', { name }) : t('connectTitle', { name });
      body = provider ? (
        <ConnectForm
          t={t}
          api={api!}
          session={session}
          integration={integration}
          provider={provider}
          detectClosedWindow={query.get('detectClosedAuthWindow') === 'true'}
          onConnected={(result: Connected) => {
            toParent({ type: 'connect', payload: { providerConfigKey: integration.unique_key, connectionId: result.connectionId, isPending: result.isPending } });
            setScreen({ kind: 'success', integration });
          }}
          onFailed={(failure) => toParent({ type: 'error', payload: { errorType: failure.code, errorMessage: failure.message || t(fixKey(failure), { name }) } })}
        />
      ) : (
        <p role="status">{t('loading')}</p>
      );
      break;
    }
    case 'success':
      title = t('successTitle');
      body = <Success t={t} name={screen.integration.display_name} />;
      break;
  }
  const logo = screen.kind === 'integration' || screen.kind === 'success' ? api?.logoUrl(screen.integration.provider) : undefined;
  const canGoBack = screen.kind === 'integration' && !single && !session.isReconnecting;
  return (
    <main class="card" aria-labelledby="title">
      <header>
        {canGoBack && (
          <button type="button" class="icon" onClick={() => setScreen({ kind: 'list' })} aria-label={t('back')}>
            ←
          </button>
        )}
        {logo && <img class="logo" src={logo} alt="" width={32} height={32} />}
        <Heading key={`${screen.kind}-${title}`} title={title} focus={screen.kind !== 'list' && screen.kind !== 'integration'} />
        {embedded && (
          <button type="button" class="icon close" onClick={() => toParent({ type: 'close' })} aria-label={t('close')}>
            ×
          </button>
        )}
      </header>
      {body}
    </main>
  );
}

/** The screen's title; takes the focus when the screen has no field to start in, so keyboard and screen reader users land on it. */
function Heading({ title, focus }: { title: string; focus: boolean }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    if (focus) ref.current?.focus();
  }, []);
  return (
    <h1 id="title" tabIndex={-1} ref={ref}>
      {title}
    </h1>
  );
}

function IntegrationList({ t, api, integrations, onPick }: { t: Translate; api: Api; integrations: Integration[]; onPick(i: Integration): void }) {
  const [search, setSearch] = useState('');
  const searchRef = useRef<HTMLInputElement>(null);
  useEffect(() => searchRef.current?.focus(), []);
  const shown = useMemo(() => {
    const needle = normalize(search.trim());
    return needle ? integrations.filter((i) => [i.display_name, i.unique_key, i.provider].some((text) => normalize(text).includes(needle))) : integrations;
  }, [search, integrations]);
  if (integrations.length === 0) return <p class="notice">{t('noIntegrations')}</p>;
  return (
    <>
      {integrations.length > 1 && (
        <div class="search">
          <label for="search" class="visually-hidden">
            {t('searchLabel')}
          </label>
          <input id="search" ref={searchRef} type="search" value={search} placeholder={t('searchPlaceholder')} autoComplete="off" onInput={(e) => setSearch((e.target as HTMLInputElement).value)} />
        </div>
      )}
      {shown.length === 0 ? (
        <p class="notice" role="status">
          {t('noResults', { query: search.trim() })}
        </p>
      ) : (
        <ul class="integrations">
          {shown.map((i) => (
            <li key={i.unique_key}>
              <button type="button" onClick={() => onPick(i)}>
                <img src={api.logoUrl(i.provider)} alt="" width={32} height={32} loading="lazy" />
                <span>{i.display_name}</span>
                <span class="chevron" aria-hidden="true">
                  ›
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

function Success({ t, name }: { t: Translate; name: string }) {
  const [closed, setClosed] = useState(false);
  const done = () => {
    if (embedded) return toParent({ type: 'close' });
    window.close();
    setClosed(true);
  };
  return (
    <div class="success">
      <p class="check" aria-hidden="true">
        ✓
      </p>
      <p role="status">{t('successBody', { name })}</p>
      <button class="primary" type="button" onClick={done}>
        {t('done')}
      </button>
      {closed && <p class="notice">{t('closeTab')}</p>}
    </div>
  );
}

render(<App />, document.getElementById('app')!);
