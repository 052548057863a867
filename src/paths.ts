import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project's root folder (where serverless.yml, statemachine/ and config/ are). */
export const PROJECT_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
