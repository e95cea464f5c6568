import { connectPage, connectPageCsp } from '../../../../lambdas/functions/connect/ui-page';
import type { UiAssets } from '../../../../lambdas/functions/connect/ui-assets';

const assets: UiAssets = { script: 'app-AAAA.js', style: 'app-BBBB.css', integrity: { 'app-AAAA.js': 'sha384-a', 'app-BBBB.css': 'sha384-b' }, asset: () => undefined, brandLogo: () => undefined };
const base = 'https://abc123.execute-api.eu-west-1.amazonaws.com/prod';

test('deployed: assets under the stage prefix; connections to the API and to the WebSocket API’s own host', () => {
  const csp = connectPageCsp(base, assets, 'wss://ws456.execute-api.eu-west-1.amazonaws.com/prod');
  expect(csp).toContain(`script-src ${base}/connect/assets/app-AAAA.js;`);
  expect(csp).toContain(`connect-src ${base}/ wss://ws456.execute-api.eu-west-1.amazonaws.com;`);
  expect(connectPageCsp(base, assets)).toContain(`connect-src ${base}/ wss://abc123.execute-api.eu-west-1.amazonaws.com;`);
});

test('the API base reaches the script only as JSON data that cannot close its element', () => {
  const page = connectPage('https://api.example.com/</script><script>alert(1)//', assets);
  const data = /<script type="application\/json" id="latchkey-connect">([\s\S]*?)<\/script>/.exec(page.body)![1];
  expect(data).not.toContain('<');
  expect(JSON.parse(data).apiBase).toBe('https://api.example.com/</script><script>alert(1)//');
});
