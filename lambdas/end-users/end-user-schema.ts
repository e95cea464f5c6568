import * as z from 'zod';

/** Connection and session tags, as Nango validates them: ≤ 10 keys, keys lowercased. */
export const TagsSchema = z
  .record(z.string().regex(/^[a-zA-Z][a-zA-Z0-9_\-./]*$/, 'Tag keys start with a letter and use letters, digits, _ - . /').max(64), z.string().min(1).max(255))
  .refine((tags) => Object.keys(tags).length <= 10, 'At most 10 tags')
  .transform((tags) => Object.fromEntries(Object.entries(tags).map(([k, v]) => [k.toLowerCase(), v])));

/** The customer's id of an end user, and of its organization. */
export const EndUserIdSchema = z.string().min(1).max(255);
export const OrganizationIdSchema = z.string().min(1).max(255);

export const OrganizationSchema = z
  .object({ id: OrganizationIdSchema, display_name: z.string().max(255).optional() })
  .strict();

export const EndUserInputSchema = z
  .object({
    id: EndUserIdSchema,
    email: z.email().max(255).optional(),
    display_name: z.string().max(255).optional(),
    tags: TagsSchema.optional(),
    organization: OrganizationSchema.optional(),
  })
  .strict();

export type EndUserInput = z.output<typeof EndUserInputSchema>;
export type Organization = z.output<typeof OrganizationSchema>;

/** `ApiEndUser` of Nango's public API. */
export interface ApiEndUser {
  id: string;
  display_name: string | null;
  email: string | null;
  tags: Record<string, string> | null;
  organization: { id: string; display_name: string | null } | null;
}
