import Nango from '@nangohq/frontend';

// On your "Connect GitHub" button:
export async function connectGitHub() {
  const { token } = await fetch('/session', { method: 'POST' }).then((r) => r.json());
  const nango = new Nango({ host: 'http://127.0.0.1:3003', connectSessionToken: token });
  const { connectionId } = await nango.auth('github'); // or nango.openConnectUI({ baseURL: 'http://127.0.0.1:3003/connect' })
  return connectionId;
}
