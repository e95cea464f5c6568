import type { Failure } from './api';
import type { MessageKey } from './i18n';

/** Which explanation (and fix) the end user sees for a failure code. */
export function fixKey(failure: Failure): MessageKey {
  const code = failure.code;
  if (code === 'no_session') return 'fix.no_session';
  if (code === 'connection_test_failed' || code === 'integration_not_allowed' || code === 'blocked_by_browser' || code === 'window_closed' || code === 'network') return `fix.${code}`;
  if (failure.status === 401 || /session|token|expired/.test(code)) return 'fix.session';
  if (/connection_config|invalid_body|invalid_query|invalid_connection_config/.test(code)) return 'fix.config';
  return 'fix.other';
}
