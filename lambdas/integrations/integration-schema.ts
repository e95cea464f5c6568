import * as z from 'zod';
import { capped, STORED_DOCUMENT_LIMITS } from '../platform/db/stored-document';

/** An integration's unique key (Nango's provider config key). */
export const IntegrationKeySchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[a-zA-Z0-9~:.@ _-]+$/, 'Unique keys use letters, digits, spaces and ~ : . @ _ -');

/** Flat string maps (`integration_config`, `custom`): bounded, so a row stays small. */
export const StringMapSchema = capped(
  z.record(z.string().min(1).max(255), z.string().max(4096)).refine((map) => Object.keys(map).length <= 50, 'At most 50 entries'),
  STORED_DOCUMENT_LIMITS.integrationSettings,
);

const Text = z.string().min(1).max(2048);
/** Comma-separated, as Nango stores them ("a,b,c"); '' means "none given". */
const Scopes = z
  .string()
  .max(4096)
  .refine((s) => s === '' || s.split(',').every((scope) => scope.trim().length > 0), 'Scopes are comma-separated, without empty entries');
const PrivateKey = z
  .string()
  .max(16_384)
  .regex(/^-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'Must be a PEM private key (-----BEGIN ... PRIVATE KEY-----)');
const AppLink = z.url({ protocol: /^https?$/ }).max(2048);

const OAuthCredentials = z
  .object({
    type: z.enum(['OAUTH1', 'OAUTH2', 'TBA']),
    client_id: Text,
    client_secret: Text,
    scopes: Scopes.optional(),
    webhook_secret: z.string().max(2048).optional(),
  })
  .strict();

const AppCredentials = z.object({ type: z.literal('APP'), app_id: Text, app_link: AppLink, private_key: PrivateKey }).strict();

const CustomCredentials = z
  .object({ type: z.literal('CUSTOM'), client_id: Text, client_secret: Text, app_id: Text, app_link: AppLink, private_key: PrivateKey })
  .strict();

/** The `credentials` of POST/PATCH /integrations: an OAuth app, a GitHub-style App, or both (CUSTOM). */
export const IntegrationCredentialsSchema = capped(
  z.discriminatedUnion('type', [OAuthCredentials, AppCredentials, CustomCredentials]),
  STORED_DOCUMENT_LIMITS.integrationCredentials,
);
export type IntegrationCredentials = z.output<typeof IntegrationCredentialsSchema>;

/**
 * What is stored encrypted, as one JSON document in `integrations.client_secret`. Everything else
 * of the credentials (client id, scopes, app id and link) is stored in plain columns.
 */
export interface IntegrationSecrets {
  client_secret?: string;
  webhook_secret?: string;
  private_key?: string;
}

const HOST_LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
/**
 * `allowed_hosts`: hosts an end user may choose for this integration (self-managed GitLab, a
 * Salesforce My Domain). `git.acme.example` is that host, `*.acme.example` any host under it
 * (not the apex, and never a whole top-level domain). Lowercased; no scheme, port or path.
 */
export const AllowedHostsSchema = z
  .array(
    z
      .string()
      .max(253)
      .transform((host) => host.toLowerCase())
      .refine((host) => new RegExp(`^(\\*\\.)?${HOST_LABEL}(\\.${HOST_LABEL})+$`).test(host) && !/^[0-9.]+$/.test(host), 'Each entry is a hostname (git.acme.example) or *.domain (*.acme.example) with at least two labels'),
  )
  .max(50)
  .transform((hosts) => [...new Set(hosts)]);
