import { simulateOffline } from './offline-resolver';

// `LATCHKEY_TEST_OFFLINE=1 npm test`: the whole suite as on a machine without internet access.
if (process.env.LATCHKEY_TEST_OFFLINE === '1') simulateOffline();
