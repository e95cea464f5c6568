/**
 * Every test stack captures the functions' log lines and, when it stops, scans them and every
 * audit event for the secrets its tests created (keys, tokens, client secrets, credentials).
 * A leak fails the file. Log lines are kept out of the test output unless LATCHKEY_TEST_LOGS is set.
 */
export class SecretScan {
  private readonly secrets = new Set<string>();
  readonly lines: string[] = [];
  private restore?: () => void;

  /** Remembers a secret the tests created; short strings would match by accident, so they are refused. */
  register(...secrets: string[]): void {
    for (const secret of secrets) {
      if (secret.length < 12) throw new Error('Register only real secrets (12+ characters) with the secret scan');
      this.secrets.add(secret);
    }
  }

  /** Captures both streams: the logger writes errors and warnings to stderr. */
  captureStdout(): void {
    const show = Boolean(process.env.LATCHKEY_TEST_LOGS);
    const restores = [process.stdout, process.stderr].map((stream) => {
      const original = stream.write.bind(stream);
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        this.lines.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        return show ? original(chunk, ...(rest as [])) : true;
      }) as typeof stream.write;
      return () => {
        stream.write = original;
      };
    });
    this.restore = () => restores.forEach((restore) => restore());
  }

  stopCapture(): void {
    this.restore?.();
  }

  /** Where each secret was found: `log line 12`, `audit event <id>`. */
  findLeaks(auditRows: Array<{ id: string; text: string }>): string[] {
    const leaks: string[] = [];
    for (const secret of this.secrets) {
      this.lines.forEach((line, i) => line.includes(secret) && leaks.push(`log line ${i}: …${secret.slice(-4)}`));
      for (const row of auditRows) if (row.text.includes(secret)) leaks.push(`audit event ${row.id}: …${secret.slice(-4)}`);
    }
    return leaks;
  }
}
