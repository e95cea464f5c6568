import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

/**
 * Independent api "Lambda instances": each a child process (test/support/api-instances/instance.ts)
 * serving the api handler on its own port against the same local stack, so nothing in process
 * memory is shared between them. Their log lines are copied to this process's stdout, where the
 * test stack's secret scan reads them.
 */

export interface ApiInstance {
  url: string;
  pid: number;
}

export interface ApiInstances {
  instances: ApiInstance[];
  stop(): Promise<void>;
}

const REPO_ROOT = path.resolve(__dirname, '../../..');

export async function startApiInstances(count: number, env: Record<string, string>): Promise<ApiInstances> {
  const children: ChildProcess[] = [];
  try {
    const instances = await Promise.all(Array.from({ length: count }, () => startOne({ ...process.env, ...env } as Record<string, string>, children)));
    return { instances, stop: () => stopAll(children) };
  } catch (err) {
    await stopAll(children);
    throw err;
  }
}

function startOne(env: Record<string, string>, children: ChildProcess[]): Promise<ApiInstance> {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'instance.ts')], { cwd: REPO_ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  children.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`api instance did not start within 120 s\n${stderr}`)), 120_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`api instance exited with ${code}\n${stderr}`));
    });
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, newline);
        buffered = buffered.slice(newline + 1);
        if (line.startsWith('LATCHKEY_INSTANCE ')) {
          clearTimeout(timer);
          resolve(JSON.parse(line.slice('LATCHKEY_INSTANCE '.length)) as ApiInstance);
        } else {
          process.stdout.write(`${line}\n`);
        }
      }
    });
  });
}

async function stopAll(children: ChildProcess[]): Promise<void> {
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.removeAllListeners('exit');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
          child.once('exit', () => {
            clearTimeout(timer);
            resolve();
          });
          child.stdin!.end();
        }),
    ),
  );
}
