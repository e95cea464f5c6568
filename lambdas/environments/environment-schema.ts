import * as z from 'zod';

/** Where webhooks (and the environment's callback) go: an http(s) URL. */
export const WebhookUrlSchema = z.url({ protocol: /^https?$/, error: 'Must be an http(s) URL' }).max(2048);

/** A connection's or session's `webhook_url_override`: '' means "no override" (the environment's URLs). */
export const WebhookUrlOverrideSchema = z.union([WebhookUrlSchema, z.literal('')]);
