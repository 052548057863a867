/**
 * The local runner's overhead: wall time of one onboarding through the state machine (interpreter,
 * handlers, JSON state) against the same IAM and Secrets Manager calls made directly with the SDK,
 * on the same embedded emulator. A measurement, not a test: `npm run bench:onboarding`.
 */
import {
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  CreateAccessKeyCommand,
  CreateGroupCommand,
  CreateServiceLinkedRoleCommand,
  CreateUserCommand,
  GetGroupCommand,
  GetPolicyCommand,
  GetUserCommand,
  IAMClient,
  ListAccessKeysCommand,
  ListAttachedGroupPoliciesCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  PutResourcePolicyCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import rawConfig from '../config/onboarding.json' with { type: 'json' };
import { boundaryArn, iamArnPrefixOf, parseOnboardingConfig } from '../src/config.ts';
import { stackRunner } from '../src/local/onboarding.ts';
import { openStack } from '../src/local/stack.ts';
import { validateRequest } from '../src/request.ts';

const N = Number(process.env.BENCH_N ?? 30);
const config = parseOnboardingConfig(rawConfig, 'config/onboarding.json');
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const requestFor = (i: number, prefix: string) => ({
  requestId: `${prefix}-${i}`,
  userName: `${prefix}-user-${i}`,
  profile: 'developers',
});

const stats = (ms: number[]) => {
  const s = [...ms].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? 0;
  return { mean: s.reduce((a, b) => a + b, 0) / s.length, p50: q(0.5), p95: q(0.95) };
};

async function main() {
  const stack = await openStack({ config, env: { AWS_REGION: 'us-east-1' } });
  try {
    const clientConfig = {
      region: 'us-east-1',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 2,
    };
    const iam = new IAMClient({ ...clientConfig, endpoint: stack.env.AWS_ENDPOINT_URL_IAM });
    const sm = new SecretsManagerClient({
      ...clientConfig,
      endpoint: stack.env.AWS_ENDPOINT_URL_SECRETS_MANAGER,
    });
    const boundary = boundaryArn(config, iamArnPrefixOf(stack.accountId), 'team-member');
    const runner = await stackRunner(stack);
    // Warm up both paths (module loading, JIT, connection pools).
    await runner.run(validateRequest(requestFor(0, 'warm'), config), { name: 'warm-0' });

    const viaRunner: number[] = [];
    for (let i = 1; i <= N; i++) {
      const t = performance.now();
      const request = validateRequest(requestFor(i, 'sfn'), config);
      const result = await runner.run(request, { name: request.requestId });
      viaRunner.push(performance.now() - t);
      if (result.status !== 'SUCCEEDED')
        throw new Error(`onboarding ${i} ended ${result.status}: ${result.cause}`);
    }

    // The same reads and writes the saga makes, in the same order, without the state machine.
    const direct: number[] = [];
    for (let i = 1; i <= N; i++) {
      const user = `direct-user-${i}`;
      const t = performance.now();
      await iam.send(new GetUserCommand({ UserName: user })).catch(() => undefined);
      await iam.send(new GetPolicyCommand({ PolicyArn: boundary }));
      await iam.send(new GetGroupCommand({ GroupName: 'developers' })).catch(() => undefined);
      await iam
        .send(new ListAttachedGroupPoliciesCommand({ GroupName: 'developers' }))
        .catch(() => undefined);
      await iam.send(new GetPolicyCommand({ PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess' }));
      await sm
        .send(new DescribeSecretCommand({ SecretId: `onboarding/${user}/access-key` }))
        .catch(() => undefined);
      await iam.send(
        new CreateUserCommand({ UserName: user, Path: '/onboarded/', PermissionsBoundary: boundary }),
      );
      await iam.send(new CreateGroupCommand({ GroupName: `direct-group-${i}` }));
      await iam.send(new AddUserToGroupCommand({ UserName: user, GroupName: `direct-group-${i}` }));
      await iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: `direct-group-${i}` }));
      await iam.send(
        new AttachGroupPolicyCommand({
          GroupName: `direct-group-${i}`,
          PolicyArn: 'arn:aws:iam::aws:policy/ReadOnlyAccess',
        }),
      );
      if (i === 1) {
        await iam.send(new ListRolesCommand({ PathPrefix: '/aws-service-role/ecs.amazonaws.com/' }));
        await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }));
      }
      const got = await iam.send(new GetUserCommand({ UserName: user }));
      await sm
        .send(new DescribeSecretCommand({ SecretId: `onboarding/${user}/access-key` }))
        .catch(() => undefined);
      await iam.send(new ListAccessKeysCommand({ UserName: user }));
      const key = await iam.send(new CreateAccessKeyCommand({ UserName: user }));
      const secret = await sm.send(
        new CreateSecretCommand({
          Name: `onboarding/${user}/access-key`,
          SecretString: JSON.stringify(key.AccessKey),
        }),
      );
      await sm.send(
        new PutResourcePolicyCommand({
          SecretId: secret.ARN,
          ResourcePolicy: JSON.stringify({ user: got.User?.Arn }),
        }),
      );
      direct.push(performance.now() - t);
    }

    const r = stats(viaRunner);
    const d = stats(direct);
    const row = (name: string, s: ReturnType<typeof stats>) =>
      `${name.padEnd(34)} ${s.mean.toFixed(1).padStart(8)} ${s.p50.toFixed(1).padStart(8)} ${s.p95.toFixed(1).padStart(8)}`;
    console.log(`${N} onboardings each, embedded emulator on loopback, Node ${process.versions.node}\n`);
    console.log(
      `${'ms per onboarding'.padEnd(34)} ${'mean'.padStart(8)} ${'p50'.padStart(8)} ${'p95'.padStart(8)}`,
    );
    console.log(row('state machine (local runner)', r));
    console.log(row('same calls, SDK directly', d));
    console.log(`\nrunner overhead: ${(r.mean / d.mean).toFixed(2)}x the direct SDK calls (means)`);
  } finally {
    await stack.close();
  }
}

await main();
