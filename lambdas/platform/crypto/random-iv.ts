import { randomFillSync } from 'node:crypto';
import { IV_LENGTH } from './envelope-format';

/**
 * Random 96-bit GCM IVs, written straight into the envelope being built. They come from a pool
 * refilled by the CSPRNG once per 341 IVs: a CSPRNG call per IV costs about 2 µs here, an eighth
 * of a whole 1 KB encrypt+decrypt. GCM needs unique IVs, not secret ones; each pool byte is
 * handed out once.
 */
const pool = Buffer.alloc(IV_LENGTH * 341);
let next = pool.length;

export function randomIv(out: Buffer, offset: number): Buffer {
  if (next + IV_LENGTH > pool.length) {
    randomFillSync(pool);
    next = 0;
  }
  pool.copy(out, offset, next, next + IV_LENGTH);
  next += IV_LENGTH;
  return out.subarray(offset, offset + IV_LENGTH);
}
