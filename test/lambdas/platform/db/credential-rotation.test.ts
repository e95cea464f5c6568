import { isRotationAuthenticationFailure } from '../../../../lambdas/platform/db/credential-rotation';
import { startDataApi, type DataApiFixture } from '../../../support/data-api';

/** The window of a database secret rotation, simulated by the Data API stand-in's fault control. */
let f: DataApiFixture;
beforeAll(async () => {
  f = await startDataApi();
});
afterAll(() => f.stop());
beforeEach(() => f.server.control.clearFaults());

const ROTATING = { code: 'DatabaseErrorException', message: 'FATAL: password authentication failed for user "latchkey_admin"; SQLState: 28P01' };

test('a statement that meets a password mid-rotation is retried and succeeds', async () => {
  f.server.control.injectFault({ operation: 'ExecuteStatement', error: ROTATING, times: 2 });
  const before = f.server.control.count('ExecuteStatement');
  expect(await f.db.query('SELECT 7 AS n')).toEqual([{ n: 7 }]);
  expect(f.server.control.count('ExecuteStatement') - before).toBe(3);
});

test('so is the start of a transaction', async () => {
  f.server.control.injectFault({ operation: 'BeginTransaction', error: ROTATING, times: 1 });
  expect(await f.db.transaction((tx) => tx.query('SELECT 8 AS n'))).toEqual([{ n: 8 }]);
});

test('retries are brief: a password that stays wrong fails after the retry budget, with the cause', async () => {
  f.server.control.injectFault({ operation: 'ExecuteStatement', error: ROTATING });
  const before = f.server.control.count('ExecuteStatement');
  await expect(f.db.query('SELECT 1')).rejects.toMatchObject({ code: 'DatabaseErrorException', sqlState: '28P01' });
  // FAST_RETRY's budget: 4 attempts in all.
  expect(f.server.control.count('ExecuteStatement') - before).toBe(4);
});

test('other database errors are still not retried', async () => {
  f.server.control.injectFault({ operation: 'ExecuteStatement', error: { code: 'DatabaseErrorException', message: 'ERROR: permission denied for table x; SQLState: 42501' }, times: 1 });
  const before = f.server.control.count('ExecuteStatement');
  await expect(f.db.query('SELECT 1')).rejects.toMatchObject({ sqlState: '42501' });
  expect(f.server.control.count('ExecuteStatement') - before).toBe(1);
});

test.each([
  ['the v2 wrapping', 'DatabaseErrorException', 'FATAL: password authentication failed for user "x"', true],
  ['the v1 wrapping', 'BadRequestException', 'FATAL: password authentication failed for user "x"; SQLState: 28P01', true],
  ['a SQLSTATE alone', 'DatabaseErrorException', 'SQLState: 28P01', true],
  ['a SQL error', 'DatabaseErrorException', 'ERROR: syntax error; SQLState: 42601', false],
  ['an IAM refusal', 'AccessDeniedException', 'not authorized to perform rds-data:ExecuteStatement', false],
])('classifies %s', (_, name, message, expected) => {
  expect(isRotationAuthenticationFailure(Object.assign(new Error(message), { name }))).toBe(expected);
});
