import { createRequire } from 'node:module';
import { join } from 'node:path';
import { type OnboardingConfig, parseOnboardingConfig } from '../config.ts';
import { InvalidConfigurationError } from '../errors.ts';
import { PROJECT_ROOT } from '../paths.ts';
import { resolveBoundaries } from './roles.ts';

/**
 * One stage's configuration as the deploy packages it: config/onboarding.json with
 * config/stages/<stage>.json merged over it (config/stage-config.cjs, shared with serverless-env.cjs),
 * validated with the stage in every error — before `npm run package` builds anything.
 */
export function loadStageConfig(stage: string): OnboardingConfig {
  const require = createRequire(import.meta.url);
  const { stageConfig } = require(join(PROJECT_ROOT, 'config', 'stage-config.cjs')) as {
    stageConfig: (stage: string) => { raw: unknown; label: string };
  };
  let merged: { raw: unknown; label: string };
  try {
    merged = stageConfig(stage);
  } catch (error) {
    throw new InvalidConfigurationError((error as Error).message);
  }
  const config = parseOnboardingConfig(merged.raw, merged.label);
  try {
    resolveBoundaries(config);
  } catch (error) {
    throw new InvalidConfigurationError(`${merged.label}: ${(error as Error).message}`);
  }
  return config;
}
