/**
 * `npm start`: the whole Latchkey stack on this machine (see local/stack.ts).
 *   PORT (3003), HOST (127.0.0.1), LATCHKEY_DATA_DIR (.latchkey), LATCHKEY_DATABASE_URL, LATCHKEY_SECRET_KEY,
 *   LATCHKEY_LOG_FORMAT (brief: a line per request, warnings and errors; json: the functions' own logs too)
 */
import path from 'node:path';

// Lambda runs Node 22; on a Node 20 workstation the SDK's upgrade notice is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { installBriefConsole, logFormat } from '../local/console-log';
import { assertPinnedKeyFormat, ensureDevSecretKey } from '../local/dev-secret-key';
import { LocalStack } from '../local/stack';

async function main(): Promise<void> {
  assertPinnedKeyFormat(process.env.LATCHKEY_SECRET_KEY);
  const format = logFormat(process.env.LATCHKEY_LOG_FORMAT);
  if (format === 'brief') installBriefConsole();
  const dataDir = path.resolve(process.env.LATCHKEY_DATA_DIR ?? '.latchkey');
  const started = Date.now();
  const stack = await LocalStack.start({
    dataDir,
    databaseUrl: process.env.LATCHKEY_DATABASE_URL,
    port: Number(process.env.PORT ?? 3003),
    host: process.env.HOST ?? '127.0.0.1',
    // Armed after the banner, so their first runs cannot print before it.
    runSchedules: false,
    logScheduleRuns: format === 'json',
    log: (line) => console.log(`[latchkey] ${line}`),
  });
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`\n[latchkey] ${signal}: stopping…`);
    await stack.stop();
    console.log('[latchkey] stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  const secretKey = await ensureDevSecretKey(dataDir, process.env.LATCHKEY_SECRET_KEY);
  const applied = stack.migrations.applied;
  console.log(
    [
      '',
      `  Latchkey is running at ${stack.baseUrl}  (ready in ${Date.now() - started} ms)`,
      `  Frontend:    new Nango({ host: '${stack.baseUrl}', connectSessionToken })   (WebSocket on the same port: websocketsPath '/')`,
      `  Connect UI:  nango.openConnectUI({ baseURL: '${stack.baseUrl}/connect', apiURL: '${stack.baseUrl}' }), or a session's connect_link`,
      `  Secret key:  ${secretKey}   (environment "dev"; pin it with LATCHKEY_SECRET_KEY)`,
      `  Webhooks:    signing key: curl -s -H "Authorization: Bearer ${secretKey}" ${stack.baseUrl}/environment/webhook-signing-key`,
      `  API:         ${stack.baseUrl}/openapi.json`,
      `  Data:        ${stack.postgres.embedded ? dataDir : 'external PostgreSQL (LATCHKEY_DATABASE_URL)'}, schema version ${stack.migrations.current}${applied.length ? ` (applied ${applied.join(', ')})` : ''}`,
      `  Logs:        ${format === 'json' ? "a line per request and the functions' JSON logs" : "a line per request, warnings and errors (LATCHKEY_LOG_FORMAT=json: the functions' JSON logs)"}`,
      '  Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
  stack.scheduler.start();
}

main().catch((err) => {
  console.error('[latchkey] failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
