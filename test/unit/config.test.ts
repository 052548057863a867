import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import shipped from '../../config/onboarding.json' with { type: 'json' };
import { loadConfigFile } from '../../src/cli/io.ts';
import {
  boundaryArn,
  boundaryNames,
  configuredGroups,
  parseOnboardingConfig,
  runtimeConfigFromEnv,
} from '../../src/config.ts';
import { resolveBoundaries } from '../../src/deploy/roles.ts';
import { InvalidConfigurationError } from '../../src/errors.ts';

/** Profiles in the configuration: refused at start-up with the offending key named. */

type Raw = typeof shipped;
const withProfile = (name: string, patch: Record<string, unknown>): Raw =>
  ({
    ...shipped,
    profiles: { ...shipped.profiles, [name]: { ...shipped.profiles.developers, ...patch } },
  }) as Raw;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'onboarding-config-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function load(config: unknown) {
  const path = join(dir, `config-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(config));
  return loadConfigFile(path);
}

describe('the profiles of the configuration', () => {
  it('loads the shipped file: every profile, its group and its boundary file', async () => {
    const config = await load(shipped);
    expect(Object.keys(config.profiles)).toEqual([
      'elasticache-developer',
      'stepfunctions-admin',
      'kinesis-video-admin',
      'developers',
      'data-engineers',
      'sre',
      'support',
    ]);
    expect(config.profiles['elasticache-developer']).toMatchObject({
      group: 'elasticache-developers',
      groupPolicyArns: ['arn:aws:iam::aws:policy/AmazonElastiCacheFullAccess'],
      serviceLinkedRoles: ['elasticache.amazonaws.com'],
      credentials: { accessKey: true },
      privileged: false,
    });
    expect(config.profiles['stepfunctions-admin']?.privileged).toBe(true);
    expect(config.profiles['kinesis-video-admin']?.privileged).toBe(true);
    expect(boundaryNames(config)).toEqual([
      'elasticache-developer',
      'kinesis-video-admin',
      'stepfunctions-admin',
      'team-member',
    ]);
    expect(Object.keys(resolveBoundaries(config)).sort()).toEqual(boundaryNames(config));
    expect(configuredGroups(config)).toContain('data-engineers');
    expect(boundaryArn(config, 'arn:aws:iam::123456789012:', 'team-member')).toBe(
      'arn:aws:iam::123456789012:policy/iam-onboarding/iam-onboarding-team-member',
    );
  });

  it('refuses a profile naming a boundary file that does not exist, naming the key and the file', async () => {
    const act = load(withProfile('developers', { boundary: 'no-such-boundary' }));
    await expect(act).rejects.toThrow(InvalidConfigurationError);
    await expect(load(withProfile('developers', { boundary: 'no-such-boundary' }))).rejects.toThrow(
      'profiles.developers.boundary: "no-such-boundary" names config/boundaries/no-such-boundary.json, which does not exist',
    );
  });

  it('refuses an unprivileged profile without a boundary, and accepts a privileged one that says so', () => {
    expect(() =>
      parseOnboardingConfig(
        withProfile('ops', { group: 'ops', boundary: null, privileged: false }),
        'cfg.json',
      ),
    ).toThrow(
      /cfg\.json is invalid: profiles\.ops\.boundary: null \(no permissions boundary\) is only allowed for a privileged profile/,
    );
    const config = parseOnboardingConfig(
      withProfile('breakglass', {
        group: 'breakglass',
        boundary: null,
        privileged: true,
        approvers: ['alice@example.com'],
      }),
      'cfg.json',
    );
    expect(config.profiles.breakglass?.boundary).toBeNull();
  });

  it('refuses a privileged profile without approvers, and approvers on an unprivileged one, naming the key', () => {
    const act = (name: string, profile: Record<string, unknown>) => () =>
      parseOnboardingConfig(withProfile(name, profile), 'cfg.json');
    expect(act('admins', { group: 'admins', privileged: true })).toThrow(
      /cfg\.json is invalid: profiles\.admins\.approvers: a privileged profile needs at least one approver/,
    );
    expect(act('ops', { group: 'ops', approvers: ['alice@example.com'] })).toThrow(
      /profiles\.ops\.approvers: only a privileged profile is approved/,
    );
    expect(
      act('admins', { group: 'admins', privileged: true, approvers: ['a@example.com', 'a@example.com'] }),
    ).toThrow(/profiles\.admins\.approvers: a@example\.com is listed twice/);
    expect(act('admins', { group: 'admins', privileged: true, approvers: ['two people'] })).toThrow(
      /profiles\.admins\.approvers\.0: an identity/,
    );
    expect(shipped.approval?.expiresAfterSeconds).toBe(259_200);
    expect(() =>
      parseOnboardingConfig({ ...shipped, approval: { expiresAfterSeconds: 0 } }, 'cfg.json'),
    ).toThrow(/approval\.expiresAfterSeconds/);
    expect(() =>
      parseOnboardingConfig({ ...shipped, approval: { expiresAfterSeconds: 700_000 } }, 'cfg.json'),
    ).toThrow(/approval\.expiresAfterSeconds/);
  });

  it('refuses a profile that leaves the boundary out instead of saying null', () => {
    const { boundary: _left, ...rest } = shipped.profiles.developers;
    expect(() =>
      parseOnboardingConfig(
        { ...shipped, profiles: { ...shipped.profiles, ops: { ...rest, group: 'ops' } } },
        'cfg.json',
      ),
    ).toThrow(/profiles\.ops\.boundary/);
  });

  it('refuses a group in two profiles with different policies, naming the second profile', () => {
    const act = () =>
      parseOnboardingConfig(
        withProfile('sre-oncall', {
          group: 'sre',
          groupPolicyArns: ['arn:aws:iam::aws:policy/AdministratorAccess'],
        }),
        'cfg.json',
      );
    expect(act).toThrow(
      /profiles\.sre-oncall\.groupPolicyArns: group "sre" is also the group of profile "sre", with other policies/,
    );
    // The same group with the same policies (in another order) is one configuration: allowed.
    const same = withProfile('sre-oncall', {
      group: 'sre',
      groupPolicyArns: [...shipped.profiles.sre.groupPolicyArns].reverse(),
    });
    expect(parseOnboardingConfig(same, 'cfg.json').profiles['sre-oncall']?.group).toBe('sre');
  });

  it('names the bad key of a profile: its name, a policy ARN, an unknown key', () => {
    expect(() => parseOnboardingConfig(withProfile('Ops Team', {}), 'cfg.json')).toThrow(/profiles/);
    expect(() =>
      parseOnboardingConfig(withProfile('ops', { groupPolicyArns: ['AdministratorAccess'] }), 'cfg.json'),
    ).toThrow(/profiles\.ops\.groupPolicyArns\.0: must be an IAM policy ARN/);
    expect(() =>
      parseOnboardingConfig(
        withProfile('ops', { credentials: { accessKey: true, pigeon: true } }),
        'cfg.json',
      ),
    ).toThrow(/profiles\.ops\.credentials/);
  });

  it('needs the account the boundaries are in, in the form arn:<partition>:iam::<account>:', () => {
    const env = { ONBOARDING_CONFIG: JSON.stringify(shipped), ONBOARDING_STAGE: 'prod' };
    expect(() => runtimeConfigFromEnv(env)).toThrow(/ONBOARDING_IAM_ARN_PREFIX is not set/);
    expect(() =>
      runtimeConfigFromEnv({ ...env, ONBOARDING_IAM_ARN_PREFIX: 'arn:aws:iam::123456789012:policy/b' }),
    ).toThrow(/ONBOARDING_IAM_ARN_PREFIX is not of the form/);
  });
});
