import {
  siAirtable,
  siAnthropic,
  siAsana,
  siAtlassian,
  siBitbucket,
  siBox,
  siCalendly,
  siClickup,
  siConfluence,
  siDiscord,
  siDropbox,
  siFigma,
  siGithub,
  siGitlab,
  siGmail,
  siGoogle,
  siGooglecalendar,
  siGoogledocs,
  siGoogledrive,
  siGooglesheets,
  siHubspot,
  siIntercom,
  siJira,
  siLinear,
  siMailchimp,
  siMistralai,
  siNotion,
  siPaypal,
  siQuickbooks,
  siShopify,
  siStripe,
  siTrello,
  siTypeform,
  siXero,
  siZendesk,
  siZoom,
  type SimpleIcon,
} from 'simple-icons';

/**
 * Catalog providers (lambdas/providers/catalog/) whose brand simple-icons draws. Named imports, so
 * a bundle keeps only these. Providers not listed (simple-icons has no icon for them, often at the
 * brand's request) get a generated monogram.
 */
export const BRAND_ICONS: Readonly<Record<string, SimpleIcon>> = {
  airtable: siAirtable,
  anthropic: siAnthropic,
  asana: siAsana,
  atlassian: siAtlassian,
  bitbucket: siBitbucket,
  box: siBox,
  calendly: siCalendly,
  clickup: siClickup,
  confluence: siConfluence,
  discord: siDiscord,
  dropbox: siDropbox,
  figma: siFigma,
  github: siGithub,
  'github-app': siGithub,
  'github-app-oauth': siGithub,
  gitlab: siGitlab,
  google: siGoogle,
  'google-calendar': siGooglecalendar,
  'google-docs': siGoogledocs,
  'google-drive': siGoogledrive,
  'google-mail': siGmail,
  'google-sheet': siGooglesheets,
  hubspot: siHubspot,
  intercom: siIntercom,
  jira: siJira,
  linear: siLinear,
  mailchimp: siMailchimp,
  mistral: siMistralai,
  notion: siNotion,
  paypal: siPaypal,
  'paypal-sandbox': siPaypal,
  quickbooks: siQuickbooks,
  'quickbooks-sandbox': siQuickbooks,
  shopify: siShopify,
  stripe: siStripe,
  trello: siTrello,
  typeform: siTypeform,
  xero: siXero,
  zendesk: siZendesk,
  zoom: siZoom,
};

/** The icon, white or near-black (whichever reads better) on a rounded square of the brand's colour. */
export function brandIconSvg(icon: SimpleIcon): string {
  const foreground = relativeLuminance(icon.hex) > 0.4 ? '#0f172a' : '#ffffff';
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32" role="img" aria-label="${escapeXml(icon.title)}">` +
    `<rect width="32" height="32" rx="7" fill="#${icon.hex}"/>` +
    `<path transform="translate(6 6) scale(0.8333)" fill="${foreground}" d="${escapeXml(icon.path)}"/></svg>`
  );
}

function relativeLuminance(hex: string): number {
  const [r, g, b] = [0, 2, 4].map((i) => {
    const c = parseInt(hex.slice(i, i + 2), 16) / 255;
    return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
