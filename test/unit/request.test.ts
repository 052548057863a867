import { describe, expect, it } from 'vitest';
import config from '../../config/onboarding.json' with { type: 'json' };
import {
  type OnboardingConfig,
  parseOnboardingConfig,
  runtimeConfigFromEnv,
  secretNameFor,
} from '../../src/config.ts';
import { InvalidConfigurationError, InvalidRequestError, RequestNotAllowedError } from '../../src/errors.ts';
import { approvalOf, validateRequest } from '../../src/request.ts';
import { TEST_HIRE_RECIPIENT } from '../fixtures/hire-key.ts';

const cfg: OnboardingConfig = parseOnboardingConfig(config, 'config/onboarding.json');
const valid = {
  requestId: 'HR-1',
  userName: 'alice',
  profile: 'developers',
  contact: { recipient: TEST_HIRE_RECIPIENT },
};

describe('the onboarding request', () => {
  it('fills in the defaults of a minimal request', () => {
    const request = validateRequest(valid, cfg);
    expect(request).toEqual({ ...valid, policyArns: [], tags: {} });
  });

  it('names every offending field of a malformed request', () => {
    const act = () =>
      validateRequest({ requestId: 'HR 1', userName: 'a'.repeat(65), profile: 'Dev Ops', extra: 1 }, cfg);
    expect(act).toThrow(InvalidRequestError);
    try {
      act();
    } catch (error) {
      const paths = (error as InvalidRequestError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['requestId', 'userName', 'profile', '(request)']));
      expect((error as Error).message).toContain('at most 64 characters');
    }
  });

  it('rejects a user name with characters IAM does not allow', () => {
    expect(() => validateRequest({ ...valid, userName: 'alice/admin' }, cfg)).toThrow(
      /userName: may only contain/,
    );
  });

  it('refuses a comma in a user name: valid in IAM, not in the secret named after it', () => {
    const act = () => validateRequest({ ...valid, userName: 'smith,john' }, cfg);
    expect(act).toThrow(InvalidRequestError);
    expect(act).toThrow(/userName: .*no comma/);
    expect(secretNameFor(cfg, 'john.smith')).toBe('onboarding/john.smith/access-key');
    expect(() => secretNameFor(cfg, 'smith,john')).toThrow(InvalidRequestError);
  });

  it.each([
    [' aws:createdBy', 'x'],
    ['onboarding:execution ', 'x'],
    ['team', ' platform'],
    ['team', 'platform\u2003'],
  ])('refuses a tag with leading or trailing whitespace (%j: %j)', (key, value) => {
    const act = () => validateRequest({ ...valid, tags: { [key]: value } }, cfg);
    expect(act).toThrow(InvalidRequestError);
    expect(act).toThrow(/must not start or end with whitespace/);
  });

  it('rejects a request id that cannot be an execution name', () => {
    expect(() => validateRequest({ ...valid, requestId: 'x'.repeat(81) }, cfg)).toThrow(/requestId/);
  });

  it('rejects a profile the configuration does not have, listing the known ones', () => {
    const act = () => validateRequest({ ...valid, profile: 'developer' }, cfg);
    expect(act).toThrow(RequestNotAllowedError);
    expect(act).toThrow(
      /profile "developer" is not in the configuration's profiles \(did you mean "developers"\?\)/,
    );
    expect(act).toThrow(/known: .*elasticache-developer/);
  });

  it('says what the profile decides now when a request still carries group, serviceLinkedRoles or accessKey', () => {
    const act = () =>
      validateRequest({ ...valid, group: 'admins', serviceLinkedRoles: [], accessKey: true }, cfg);
    expect(act).toThrow(InvalidRequestError);
    try {
      act();
    } catch (error) {
      expect((error as InvalidRequestError).issues.map((i) => i.path)).toEqual([
        'group',
        'serviceLinkedRoles',
        'accessKey',
      ]);
      expect((error as Error).message).toContain('the group comes from the profile');
    }
  });

  it("rejects a per-user policy that is not on the profile's own allowlist, naming the key", () => {
    const admin = 'arn:aws:iam::aws:policy/AdministratorAccess';
    expect(() => validateRequest({ ...valid, policyArns: [admin] }, cfg)).toThrow(
      `policy "${admin}" is not in profiles.developers.userPolicyArns (allowed: arn:aws:iam::aws:policy/AWSCodeCommitPowerUser)`,
    );
    // On another profile's allowlist is not on this one's.
    const ec2 = 'arn:aws:iam::aws:policy/AmazonEC2ReadOnlyAccess';
    expect(cfg.profiles.sre?.userPolicyArns).toContain(ec2);
    expect(() => validateRequest({ ...valid, policyArns: [ec2] }, cfg)).toThrow(RequestNotAllowedError);
    expect(
      validateRequest(
        { ...valid, profile: 'sre', contact: { recipient: TEST_HIRE_RECIPIENT }, policyArns: [ec2] },
        cfg,
      ).policyArns,
    ).toEqual([ec2]);
  });

  it("refuses to put the group's own policy on the user, saying the group carries it", () => {
    expect(() =>
      validateRequest({ ...valid, policyArns: ['arn:aws:iam::aws:policy/ReadOnlyAccess'] }, cfg),
    ).toThrow(/carried by the profile's group already/);
  });

  it('refuses a profile without a boundary even when planning: users are only created under a configured one', () => {
    const breakglass = parseOnboardingConfig(
      {
        ...config,
        profiles: {
          ...config.profiles,
          breakglass: {
            ...config.profiles.developers,
            group: 'breakglass',
            boundary: null,
            privileged: true,
            approvers: ['alice@example.com'],
          },
        },
      },
      'cfg.json',
    );
    const act = () =>
      validateRequest({ ...valid, profile: 'breakglass', requestedBy: 'dave@example.com' }, breakglass);
    expect(act).toThrow(RequestNotAllowedError);
    expect(act).toThrow(/profile "breakglass" has no permissions boundary \("boundary": null\)/);
  });

  it('accepts a privileged profile that says who asked, and refuses one that does not, naming requestedBy', () => {
    const admin = { ...valid, profile: 'stepfunctions-admin' };
    const refused = () => validateRequest(admin, cfg);
    expect(refused).toThrow(InvalidRequestError);
    expect(refused).toThrow(/requestedBy: profile "stepfunctions-admin" is privileged/);
    const accepted = validateRequest({ ...admin, requestedBy: 'dave@example.com' }, cfg);
    expect(accepted.requestedBy).toBe('dave@example.com');
    expect(approvalOf(accepted, cfg)).toEqual({
      required: true,
      approvers: cfg.profiles['stepfunctions-admin']?.approvers,
      expiresAfterSeconds: 259_200,
    });
    expect(approvalOf(valid, cfg).required).toBe(false);
    expect(() => validateRequest({ ...admin, requestedBy: 'two people' }, cfg)).toThrow(
      /requestedBy: must be one identity/,
    );
  });

  it('refuses tags that would spoof the ownership tags', () => {
    expect(() => validateRequest({ ...valid, tags: { 'onboarding:execution': 'x' } }, cfg)).toThrow(
      /reserved/,
    );
    expect(() => validateRequest({ ...valid, tags: { 'aws:foo': 'x' } }, cfg)).toThrow(/reserved/);
  });

  it('drops duplicate policies so the plan lists each once', () => {
    const arn = 'arn:aws:iam::aws:policy/AWSCodeCommitPowerUser';
    const request = validateRequest({ ...valid, policyArns: [arn, arn] }, cfg);
    expect(request.policyArns).toEqual([arn]);
  });
});

describe('the configuration', () => {
  it('fails fast naming the missing environment key', () => {
    expect(() => runtimeConfigFromEnv({})).toThrow(/ONBOARDING_CONFIG is not set/);
    expect(() => runtimeConfigFromEnv({ ONBOARDING_CONFIG: JSON.stringify(config) })).toThrow(
      /ONBOARDING_IAM_ARN_PREFIX is not set/,
    );
  });

  it('names the bad key of an invalid file', () => {
    expect(() => parseOnboardingConfig({ ...config, userPath: 'onboarded' }, 'cfg.json')).toThrow(
      InvalidConfigurationError,
    );
    expect(() => parseOnboardingConfig({ ...config, userPath: 'onboarded' }, 'cfg.json')).toThrow(/userPath/);
  });

  it('reads a complete environment', () => {
    const runtime = runtimeConfigFromEnv({
      ONBOARDING_CONFIG: JSON.stringify(config),
      ONBOARDING_IAM_ARN_PREFIX: 'arn:aws:iam::123456789012:',
      ONBOARDING_STAGE: 'prod',
    });
    expect(runtime.iamArnPrefix).toBe('arn:aws:iam::123456789012:');
    expect(Object.keys(runtime.profiles)).toContain('developers');
    expect(runtime.stage).toBe('prod');
  });

  it('needs the stage, and refuses stage local inside a Lambda', () => {
    const env = {
      ONBOARDING_CONFIG: JSON.stringify(config),
      ONBOARDING_IAM_ARN_PREFIX: 'arn:aws:iam::123456789012:',
    };
    expect(() => runtimeConfigFromEnv(env)).toThrow(/ONBOARDING_STAGE is not set/);
    expect(() =>
      runtimeConfigFromEnv({ ...env, ONBOARDING_STAGE: 'local', AWS_LAMBDA_FUNCTION_NAME: 'f' }),
    ).toThrow(/for the local stack only/);
  });
});
