import http from 'node:http';
import { Nango } from '@nangohq/node';

const latchkey = new Nango({ host: process.env.LATCHKEY_URL, secretKey: process.env.LATCHKEY_SECRET_KEY, webhookSigningKey: process.env.LATCHKEY_WEBHOOK_SIGNING_KEY });

http.createServer(async (req, res) => {
  let body = '';
  for await (const chunk of req) body += chunk;
  if (req.url === '/session') { // your signed-in user wants to connect an account
    const { data } = await latchkey.createConnectSession({ end_user: { id: 'user-42' }, allowed_integrations: ['github'] });
    return res.end(JSON.stringify({ token: data.token }));
  }
  if (req.url === '/webhooks/latchkey' && latchkey.verifyIncomingWebhookRequest(body, req.headers)) {
    const { connectionId, endUser, success } = JSON.parse(body); // keep connectionId for this user
    if (success) console.log(`connected ${connectionId} for ${endUser.endUserId}`);
  }
  res.end();
}).listen(process.env.PORT ?? 4000);
