import * as z from 'zod';

/**
 * A public connection id (Nango's `connection_id`): anything printable up to 255 characters,
 * spaces and `&` included. Control characters are refused: they end up in headers, logs and URLs.
 */
export const ConnectionIdSchema = z.string().min(1).max(255).regex(/^[^\p{Cc}]+$/u, 'Control characters are not allowed');
