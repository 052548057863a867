import { describe, expect, it } from 'vitest';
import config from '../../config/onboarding.json' with { type: 'json' };
import {
  type OnboardingConfig,
  parseOnboardingConfig,
  runtimeConfigFromEnv,
  secretNameFor,
} from '../../src/config.ts';
import { InvalidConfigurationError, InvalidRequestError, RequestNotAllowedError } from '../../src/errors.ts';
import { validateRequest } from '../../src/request.ts';

const cfg: OnboardingConfig = parseOnboardingConfig(config, 'config/onboarding.json');
const valid = { requestId: 'HR-1', userName: 'alice', group: 'developers' };

describe('the onboarding request', () => {
  it('fills in the defaults of a minimal request', () => {
    const request = validateRequest(valid, cfg);
    expect(request).toEqual({ ...valid, policyArns: [], serviceLinkedRoles: [], accessKey: true, tags: {} });
  });

  it('names every offending field of a malformed request', () => {
    const act = () =>
      validateRequest({ requestId: 'HR 1', userName: 'a'.repeat(65), group: 'dev ops', extra: 1 }, cfg);
    expect(act).toThrow(InvalidRequestError);
    try {
      act();
    } catch (error) {
      const paths = (error as InvalidRequestError).issues.map((i) => i.path);
      expect(paths).toEqual(expect.arrayContaining(['requestId', 'userName', 'group', '(request)']));
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

  it('rejects a group outside the allowlist, naming it', () => {
    expect(() => validateRequest({ ...valid, group: 'admins' }, cfg)).toThrow(RequestNotAllowedError);
    expect(() => validateRequest({ ...valid, group: 'admins' }, cfg)).toThrow(
      /group "admins" is not in allowedGroups/,
    );
  });

  it('rejects a policy outside the allowlist, naming it', () => {
    const arn = 'arn:aws:iam::aws:policy/AdministratorAccess';
    expect(() => validateRequest({ ...valid, policyArns: [arn] }, cfg)).toThrow(
      `policy "${arn}" is not in allowedPolicyArns`,
    );
  });

  it('rejects a service-linked role outside the allowlist, naming it', () => {
    expect(() => validateRequest({ ...valid, serviceLinkedRoles: ['redshift.amazonaws.com'] }, cfg)).toThrow(
      /redshift\.amazonaws\.com/,
    );
  });

  it('refuses tags that would spoof the ownership tags', () => {
    expect(() => validateRequest({ ...valid, tags: { 'onboarding:execution': 'x' } }, cfg)).toThrow(
      /reserved/,
    );
    expect(() => validateRequest({ ...valid, tags: { 'aws:foo': 'x' } }, cfg)).toThrow(/reserved/);
  });

  it('drops duplicate policies and services so the plan lists each once', () => {
    const arn = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    const request = validateRequest({ ...valid, policyArns: [arn, arn] }, cfg);
    expect(request.policyArns).toEqual([arn]);
  });
});

describe('the configuration', () => {
  it('fails fast naming the missing environment key', () => {
    expect(() => runtimeConfigFromEnv({})).toThrow(/ONBOARDING_CONFIG is not set/);
    expect(() => runtimeConfigFromEnv({ ONBOARDING_CONFIG: JSON.stringify(config) })).toThrow(
      /ONBOARDING_PERMISSIONS_BOUNDARY_ARN is not set/,
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
      ONBOARDING_PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::123456789012:policy/b',
      ONBOARDING_STAGE: 'prod',
    });
    expect(runtime.permissionsBoundaryArn).toBe('arn:aws:iam::123456789012:policy/b');
    expect(runtime.allowedGroups).toContain('developers');
    expect(runtime.stage).toBe('prod');
  });

  it('needs the stage, and refuses stage local inside a Lambda', () => {
    const env = {
      ONBOARDING_CONFIG: JSON.stringify(config),
      ONBOARDING_PERMISSIONS_BOUNDARY_ARN: 'arn:aws:iam::123456789012:policy/b',
    };
    expect(() => runtimeConfigFromEnv(env)).toThrow(/ONBOARDING_STAGE is not set/);
    expect(() =>
      runtimeConfigFromEnv({ ...env, ONBOARDING_STAGE: 'local', AWS_LAMBDA_FUNCTION_NAME: 'f' }),
    ).toThrow(/for the local stack only/);
  });
});
