/**
 * `npm start`: the whole Latchkey stack on this machine (see local/stack.ts).
 *   PORT (3003), HOST (127.0.0.1), LATCHKEY_DATA_DIR (.latchkey), LATCHKEY_DATABASE_URL, LATCHKEY_SECRET_KEY
 */
import path from 'node:path';

// Lambda runs Node 22; on a Node 20 workstation the SDK's upgrade notice is noise on every start.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
import { assertPinnedKeyFormat, ensureDevSecretKey } from '../local/dev-secret-key';
import { LocalStack } from '../local/stack';

async function main(): Promise<void> {
  assertPinnedKeyFormat(process.env.LATCHKEY_SECRET_KEY);
  const dataDir = path.resolve(process.env.LATCHKEY_DATA_DIR ?? '.latchkey');
  const started = Date.now();
  const stack = await LocalStack.start({
    dataDir,
    databaseUrl: process.env.LATCHKEY_DATABASE_URL,
    port: Number(process.env.PORT ?? 3003),
    host: process.env.HOST ?? '127.0.0.1',
    runSchedules: true,
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
      `  Health:      ${stack.baseUrl}/health`,
      `  Frontend:    new Nango({ host: '${stack.baseUrl}', connectSessionToken })   (WebSocket on the same port: websocketsPath '/')`,
      `  Connect UI:  nango.openConnectUI({ baseURL: '${stack.baseUrl}/connect', apiURL: '${stack.baseUrl}' }), or a session's connect_link`,
      `  Secret key:  ${secretKey}   (environment "dev"; pin it with LATCHKEY_SECRET_KEY)`,
      `  Data:        ${stack.postgres.embedded ? dataDir : 'external PostgreSQL (LATCHKEY_DATABASE_URL)'}`,
      `  Schema:      version ${stack.migrations.current}${applied.length ? ` (applied ${applied.join(', ')})` : ''}`,
      '  Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
}

main().catch((err) => {
  console.error('[latchkey] failed to start:', err instanceof Error ? err.message : err);
  process.exit(1);
});
