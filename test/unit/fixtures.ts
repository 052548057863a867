import config from '../../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig, type RuntimeConfig } from '../../src/config.ts';

/** The shipped configuration as a task sees it in account 000000000000, for unit tests over fakes. */
export const BOUNDARY = 'arn:aws:iam::000000000000:policy/iam-onboarding/iam-onboarding-boundary';
export const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
export const CACHE = 'arn:aws:iam::aws:policy/AmazonElastiCacheFullAccess';
export const runtime: RuntimeConfig = {
  ...parseOnboardingConfig(config, 'config'),
  permissionsBoundaryArn: BOUNDARY,
};
