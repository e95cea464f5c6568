import * as z from 'zod';
import { ApiError } from '../../http/errors';
import { trustedPublicBaseUrl } from '../../http/public-url';
import { defineRoute } from '../../http/route';
import { setting } from '../../platform/config';
import { monogramSvg } from './monogram';
import { uiAssets } from './ui-assets';
import { connectPage } from './ui-page';

/** The Connect UI's page and files, and the integrations' logos: public, no authentication. */

const Text = z.string().max(2048).optional();
const PageQuery = z.object({ session_token: Text, apiURL: Text, detectClosedAuthWindow: Text, lang: Text, theme: Text });

export const connectUiRoute = defineRoute({
  method: 'GET',
  path: '/connect',
  summary: "The Connect UI: the session's connect_link, and the page nango.openConnectUI() frames",
  tag: 'Connect',
  auth: 'none',
  query: PageQuery,
  responses: { 200: { description: 'The Connect UI page (HTML)' } },
  handle: async (request) => connectPage(trustedPublicBaseUrl(request.event), uiAssets(), setting('LATCHKEY_WEBSOCKET_URL')),
});

const FileParams = z.object({ file: z.string().max(200) });
const ASSET_TYPES: Record<string, string> = { js: 'text/javascript; charset=utf-8', css: 'text/css; charset=utf-8' };

export const connectUiAssetRoute = defineRoute({
  method: 'GET',
  path: '/connect/assets/{file}',
  summary: "The Connect UI's script and stylesheet (content-hashed names, cached for good)",
  tag: 'Connect',
  auth: 'none',
  params: FileParams,
  responses: { 200: { description: 'The file' }, 404: { description: 'No such file' } },
  handle: async ({ params }) => {
    const body = uiAssets().asset(params.file);
    const type = ASSET_TYPES[params.file.split('.').pop() ?? ''];
    if (!body || !type) throw new ApiError(404, 'not_found', 'No such file');
    return {
      statusCode: 200,
      headers: { 'content-type': type, 'cache-control': 'public, max-age=31536000, immutable', 'x-content-type-options': 'nosniff', 'cross-origin-resource-policy': 'cross-origin' },
      body: body.toString('utf8'),
    };
  },
});

const LOGO_FILE = /^([a-z0-9][a-z0-9._-]{0,99})\.svg$/i;
/** An SVG opened on its own runs nothing and loads nothing. */
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox";

export const logoRoute = defineRoute({
  method: 'GET',
  path: '/images/template-logos/{file}',
  summary: "An integration's `logo`: the brand's icon where one exists, else a monogram of the provider's name",
  tag: 'Integrations',
  auth: 'none',
  params: FileParams,
  responses: { 200: { description: 'The logo (SVG)' }, 404: { description: 'Not a logo name (`<provider>.svg`)' } },
  handle: async ({ params }) => {
    const provider = LOGO_FILE.exec(params.file)?.[1];
    if (!provider) throw new ApiError(404, 'not_found', 'No such logo');
    const svg = uiAssets().brandLogo(provider)?.toString('utf8') ?? monogramSvg(provider);
    return {
      statusCode: 200,
      headers: {
        'content-type': 'image/svg+xml',
        'cache-control': 'public, max-age=86400',
        'content-security-policy': SVG_CSP,
        'x-content-type-options': 'nosniff',
        // Customer apps show the logos on their own pages.
        'cross-origin-resource-policy': 'cross-origin',
      },
      body: svg,
    };
  },
});
