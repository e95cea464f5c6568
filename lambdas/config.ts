import * as z from 'zod';
import { DataApi } from './db/data-api';

/** Settings every function reads from its environment; the CDK stack and `npm start` set the same names. */
const EnvSchema = z.object({
  LATCHKEY_DB_CLUSTER_ARN: z.string().min(11),
  LATCHKEY_DB_SECRET_ARN: z.string().min(11),
  LATCHKEY_DB_NAME: z.string().min(1).default('latchkey'),
  LATCHKEY_STAGE: z.string().min(1).default('local'),
  LATCHKEY_KMS_KEY_ID: z.string().min(1),
  LATCHKEY_EVENT_BUS_NAME: z.string().min(1).default('default'),
});
export type Env = z.infer<typeof EnvSchema>;

let cachedEnv: Env | undefined;
let cachedDb: DataApi | undefined;

export function env(): Env {
  cachedEnv ??= EnvSchema.parse(process.env);
  return cachedEnv;
}

/** The function's Data API handle, created on first use so the SDK reads the endpoint variables then. */
export function database(): DataApi {
  const e = env();
  cachedDb ??= new DataApi({ resourceArn: e.LATCHKEY_DB_CLUSTER_ARN, secretArn: e.LATCHKEY_DB_SECRET_ARN, database: e.LATCHKEY_DB_NAME });
  return cachedDb;
}
