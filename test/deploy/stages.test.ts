import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROJECT_ROOT } from '../../src/definition.ts';
import { loadStageConfig } from '../../src/deploy/stage-config.ts';

/**
 * Stages: config/stages/<stage>.json over config/onboarding.json, validated with the stage named, and
 * dev and prod in one account without a shared name — boundaries, the self-service policy, the API's
 * secrets, the onboarded users' secrets (the stack's own resources carry the stage in their names).
 */

const require = createRequire(import.meta.url);
const env = require(join(PROJECT_ROOT, 'config', 'serverless-env.cjs')) as {
  forStage: (stage: string) => Record<string, () => unknown>;
  forConfig: (config: unknown) => {
    apiSecretResources: () => { Resources: Record<string, { Type: string }> };
  };
};
const { merge } = require(join(PROJECT_ROOT, 'config', 'stage-config.cjs')) as {
  merge: (a: unknown, b: unknown) => unknown;
};

const names = (stage: string) => {
  const v = env.forStage(stage);
  const resources = (
    (v.boundaryResources as () => unknown)() as {
      Resources: Record<string, { Properties: { ManagedPolicyName: string } }>;
    }
  ).Resources;
  return [
    ...Object.values(resources).map((r) => `policy ${r.Properties.ManagedPolicyName}`),
    ...(JSON.stringify([v.apiSecretArns?.(), v.callbackSecretArns?.(), v.secretArns?.()])
      .match(/secret:[^"*?]+/g)
      ?.map((s) => `secret ${s}`) ?? []),
  ];
};

describe('stages', () => {
  it('validates the prod configuration, whose names carry the stage', () => {
    const prod = loadStageConfig('prod');
    expect(prod.boundaries.namePrefix).toBe('iam-onboarding-prod-');
    expect(prod.api.webhookSecretName).toBe('iam-onboarding-prod/webhook-hmac');
    // Everything else is the base file's.
    expect(Object.keys(prod.profiles)).toEqual(Object.keys(loadStageConfig('dev').profiles));
  });

  it('gives dev and prod no policy or secret name in common', () => {
    const dev = names('dev');
    const prod = names('prod');
    expect(dev.length).toBeGreaterThanOrEqual(8);
    expect(prod.filter((n) => dev.includes(n))).toEqual([]);
  });

  it('leaves the API secrets out of the stack when api.stackOwnsSecrets is false (they exist already)', () => {
    const raw = loadStageConfig('prod');
    const owned = env.forConfig(raw).apiSecretResources().Resources;
    expect(Object.values(owned).map((r) => r.Type)).toEqual(Array(3).fill('AWS::SecretsManager::Secret'));
    const notOwned = { ...raw, api: { ...raw.api, stackOwnsSecrets: false } };
    expect(env.forConfig(notOwned).apiSecretResources().Resources).toEqual({});
  });

  it('merges objects key by key and replaces lists, and names the stage in a refusal', () => {
    expect(merge({ a: { b: 1, c: [1, 2] }, d: 1 }, { a: { c: [3] } })).toEqual({ a: { b: 1, c: [3] }, d: 1 });
    expect(() => loadStageConfig('Prod!')).toThrow(/stage "Prod!": lower-case letters/);
  });
});
