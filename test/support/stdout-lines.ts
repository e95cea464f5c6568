/**
 * The JSON lines this process writes to stdout while `work` runs (its structured logs, audit lines
 * and EMF metrics), keeping those that contain `marker`, parsed. Output still reaches stdout.
 */
export async function stdoutJsonLines(marker: string, work: () => Promise<unknown>): Promise<Array<Record<string, unknown>>> {
  const lines: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write);
  try {
    await work();
  } finally {
    spy.mockRestore();
  }
  return lines
    .flatMap((l) => l.split('\n'))
    .filter((l) => l.includes(marker))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
