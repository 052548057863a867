import * as z from 'zod/mini';
import { type OnboardingConfig, onboardingConfigSchema } from './config.ts';
import { offboardingRequestSchema } from './offboarding/request.ts';
import { onboardingRequestSchema } from './request.ts';

/**
 * The request schema as JSON Schema, for ticketing tools (published as
 * schema/onboarding-request.schema.json, `onboard schema`): the configured profiles are an enum, so a
 * ticket form offers exactly those, each described (its group, whether it needs an approval, the extra
 * policies it allows).
 */
export function requestJsonSchema(config: Pick<OnboardingConfig, 'profiles'>): Record<string, unknown> {
  const schema = z.toJSONSchema(onboardingRequestSchema, { io: 'input' }) as Record<string, unknown> & {
    properties: Record<string, Record<string, unknown>>;
  };
  const names = Object.keys(config.profiles);
  const described = Object.entries(config.profiles).map(([name, p]) => {
    const extras = p.userPolicyArns.length
      ? `extra policies: ${p.userPolicyArns.join(', ')}`
      : 'no extra policies';
    return `"${name}": group ${p.group}${p.privileged ? ', privileged (needs an approval)' : ''}; ${extras}.`;
  });
  const profile = schema.properties.profile ?? {};
  const { pattern: _pattern, ...rest } = profile;
  schema.properties.profile = {
    ...rest,
    enum: names,
    description: `${String(profile.description ?? '')} One of: ${described.join(' ')}`,
  };
  return {
    title: 'Onboarding request',
    description: 'One new team member to onboard: the input of one onboarding execution.',
    ...schema,
  };
}

/**
 * The offboarding request as JSON Schema (schema/offboarding-request.schema.json, `onboard schema
 * --offboarding`): the body of `POST /offboardings` and of `onboard offboard <request.json>`.
 */
export function offboardingJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(offboardingRequestSchema, { io: 'input' }) as Record<string, unknown> & {
    properties: Record<string, Record<string, unknown>>;
  };
  // The fields are the onboarding request's, said of a leaver.
  schema.properties.requestId = {
    ...schema.properties.requestId,
    description:
      'The ticket key (e.g. "HR-2040"). It names the execution, so a ticket never offboards twice.',
  };
  schema.properties.userName = {
    ...schema.properties.userName,
    description: 'The IAM user who leaves: one this stack onboarded (any other is refused, nothing changed).',
  };
  return {
    title: 'Offboarding request',
    description:
      'One leaver to offboard: contained at once, removed after the grace period unless restored (docs/offboarding.md).',
    ...schema,
  };
}

/**
 * The configuration file's JSON Schema (schema/onboarding-config.schema.json, named by the file's
 * `$schema`), so an editor checks a profile as it is typed. The rules between profiles (a shared group
 * carries one set of policies; only a privileged profile may have no boundary; a boundary names a file)
 * are the loader's, which names the key.
 */
export function configJsonSchema(): Record<string, unknown> {
  return {
    title: 'iam-onboarding configuration',
    description:
      'Profiles (job functions: group, group policies, service-linked roles, credentials, boundary, privileged, per-user allowlist), paths, secret naming and the HTTP API.',
    ...z.toJSONSchema(onboardingConfigSchema, { io: 'input' }),
  };
}
