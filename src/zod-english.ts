import { en } from 'zod/locales';

/**
 * Parse options giving zod/mini's English messages: without them every issue reads "Invalid input";
 * with them an issue names what was expected and what came, and the keys nobody expected. Built once.
 * English is imported by name, not as `z.locales.en`: the namespace would bundle all of zod's locales.
 */
export const ENGLISH_ERRORS = { error: en().localeError };
