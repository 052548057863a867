import config from '../../config/onboarding.json' with { type: 'json' };
import { parseOnboardingConfig, type RuntimeConfig } from '../../src/config.ts';

/** The shipped configuration as a task sees it in account 000000000000, for unit tests over fakes. */
export const IAM_ARN_PREFIX = 'arn:aws:iam::000000000000:';
export const boundaryOf = (name: string) => `${IAM_ARN_PREFIX}policy/iam-onboarding/iam-onboarding-${name}`;
/** The boundary of the team profiles (developers, data-engineers, sre, support). */
export const BOUNDARY = boundaryOf('team-member');
export const READ_ONLY = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
export const CACHE = 'arn:aws:iam::aws:policy/AmazonElastiCacheFullAccess';
export const runtime: RuntimeConfig = {
  ...parseOnboardingConfig(config, 'config'),
  iamArnPrefix: IAM_ARN_PREFIX,
};
