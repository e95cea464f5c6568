import { DecryptCommand, GenerateDataKeyCommand, KMSClient } from '@aws-sdk/client-kms';
import fc from 'fast-check';
import { KmsServer } from '../../../local/kms';

// Property: any plaintext (1–4096 bytes) under any context round-trips, and any change to the
// context makes Decrypt fail with InvalidCiphertextException.

let server: KmsServer;
let kms: KMSClient;

beforeAll(async () => {
  server = new KmsServer({ aliases: ['alias/prop'] });
  const url = await server.start();
  kms = new KMSClient({ endpoint: url, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' }, maxAttempts: 1 });
});

afterAll(async () => {
  kms.destroy();
  await server.stop();
});

type Context = Record<string, string>;

const contextArb: fc.Arbitrary<Context> = fc
  .uniqueArray(fc.tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 12 })), { maxLength: 5, selector: ([k]) => k })
  // Plain objects only: '__proto__' as a key would not survive as an own property.
  .map((pairs) => Object.fromEntries(pairs.filter(([k]) => k !== '__proto__')));

/** A context that differs from `ctx` in exactly one way the caller could get wrong. */
function changedContext(ctx: Context): fc.Arbitrary<Context> {
  const keys = Object.keys(ctx);
  const options: Array<fc.Arbitrary<Context>> = [
    fc
      .tuple(fc.string({ minLength: 1, maxLength: 12 }), fc.string({ maxLength: 12 }))
      .filter(([k]) => !(k in ctx) && k !== '__proto__')
      .map(([k, v]) => ({ ...ctx, [k]: v })),
  ];
  if (keys.length > 0) {
    const pick = fc.constantFrom(...keys);
    options.push(
      pick.map((k) => Object.fromEntries(Object.entries(ctx).filter(([key]) => key !== k))),
      fc
        .tuple(pick, fc.string({ maxLength: 12 }))
        .filter(([k, v]) => ctx[k] !== v)
        .map(([k, v]) => ({ ...ctx, [k]: v })),
    );
    // Same pair with the key in another case (only where that gives a new key).
    const caseable = keys.filter((k) => k.toUpperCase() !== k && !(k.toUpperCase() in ctx));
    if (caseable.length > 0) {
      options.push(
        fc.constantFrom(...caseable).map((k) => {
          const { [k]: value, ...rest } = ctx;
          return { ...rest, [k.toUpperCase()]: value };
        }),
      );
    }
  }
  return fc.oneof(...options);
}

test('GenerateDataKey → Decrypt round-trips, and a changed context fails', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.integer({ min: 1, max: 1024 }),
      contextArb.chain((ctx) => fc.tuple(fc.constant(ctx), changedContext(ctx))),
      async (numberOfBytes, [ctx, other]) => {
        const { CiphertextBlob, Plaintext: plaintext } = await kms.send(new GenerateDataKeyCommand({ KeyId: 'alias/prop', NumberOfBytes: numberOfBytes, EncryptionContext: ctx }));
        expect(plaintext).toHaveLength(numberOfBytes);
        // Pairs in reverse order are the same context.
        const reordered = Object.fromEntries(Object.entries(ctx).reverse());
        const back = await kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: reordered }));
        expect(Buffer.from(back.Plaintext!).equals(Buffer.from(plaintext!))).toBe(true);
        await expect(kms.send(new DecryptCommand({ CiphertextBlob, EncryptionContext: other }))).rejects.toMatchObject({ name: 'InvalidCiphertextException' });
      },
    ),
    { numRuns: 60 },
  );
});
