import { constants, createGzip, type Gzip } from 'node:zlib';

/** The one compression level of our answers: the measure and the answer must compress alike. */
export const GZIP_LEVEL = 6;

/** At most what deflate makes of `bytes` input, sync-flush blocks included (it stores what does not shrink). */
function gzipBound(bytes: number): number {
  return bytes + Math.ceil(bytes / 1000) + 64;
}

/**
 * Adds text to a gzip stream while its compressed size stays within `budget` bytes. The exact
 * size is known only after a sync flush, and flushes cost compression, so text is written on
 * the bound and the stream is flushed only when the bound would pass the budget: near the end
 * the flushes come closer together, and nothing is ever accepted past the budget.
 */
export class GzipSizer {
  private readonly gzip: Gzip = createGzip({ level: GZIP_LEVEL });
  /** Compressed bytes out of the stream after its last flush. */
  private flushed = 0;
  private out = 0;
  /** Input bytes written since the last flush. */
  private pending = 0;

  constructor(private readonly budget: number) {
    this.gzip.on('data', (chunk: Buffer) => {
      this.out += chunk.length;
    });
  }

  /** Writes `text` and returns true, or returns false (writing nothing) when it may not fit (`always`: writes it regardless). */
  async add(text: string, always = false): Promise<boolean> {
    const bytes = Buffer.byteLength(text);
    if (!always && this.flushed + gzipBound(this.pending + bytes) > this.budget) {
      if (this.pending > 0) await this.flush();
      if (this.flushed + gzipBound(bytes) > this.budget) return false;
    }
    this.gzip.write(text);
    this.pending += bytes;
    return true;
  }

  close(): void {
    this.gzip.destroy();
  }

  private async flush(): Promise<void> {
    await new Promise<void>((resolve) => this.gzip.flush(constants.Z_SYNC_FLUSH, () => resolve()));
    this.flushed = this.out;
    this.pending = 0;
  }
}
