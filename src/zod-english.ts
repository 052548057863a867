import * as z from 'zod/mini';

/**
 * Parse options giving zod/mini's English messages: without them every issue reads "Invalid input";
 * with them an issue names what was expected and what came, and the keys nobody expected. Built once.
 */
export const ENGLISH_ERRORS = { error: z.locales.en().localeError };
