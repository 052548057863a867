import { Command } from 'commander';
import { type CliContext, EXIT, loadConfigFile, UsageError } from '../io.ts';

const SERVICE_VARS = [
  'AWS_ENDPOINT_URL_IAM',
  'AWS_ENDPOINT_URL_SECRETS_MANAGER',
  'AWS_ENDPOINT_URL_STS',
] as const;

/** The clients of the account to prepare: the SDK reads the endpoints and region from the environment. */
async function bootstrapClients(env: NodeJS.ProcessEnv, mode: 'aws' | 'endpoints') {
  const [{ IAMClient }, { SecretsManagerClient }, { GetCallerIdentityCommand, STSClient }, { clientConfig }] =
    await Promise.all([
      import('@aws-sdk/client-iam'),
      import('@aws-sdk/client-secrets-manager'),
      import('@aws-sdk/client-sts'),
      import('../../aws/clients.ts'),
    ]);
  // An emulator takes any key: dummies when the shell has none, never a guess at a real account's.
  const credentials =
    mode === 'endpoints' && !env.AWS_ACCESS_KEY_ID
      ? { credentials: { accessKeyId: 'local-operator', secretAccessKey: 'local-operator' } }
      : {};
  const config = { ...clientConfig(env), ...credentials };
  const iam = new IAMClient(config);
  const secrets = new SecretsManagerClient(config);
  const sts = new STSClient(config);
  const destroy = () => {
    iam.destroy();
    secrets.destroy();
    sts.destroy();
  };
  try {
    const identity = await sts.send(new GetCallerIdentityCommand({}));
    if (!identity.Account) throw new Error('STS GetCallerIdentity answered without an account id');
    const partition = identity.Arn?.split(':')[1] ?? 'aws';
    const where =
      mode === 'aws'
        ? 'the AWS account'
        : `the account at ${env.AWS_ENDPOINT_URL_IAM ?? env.AWS_ENDPOINT_URL}:`;
    return {
      iam,
      secrets,
      accountId: identity.Account,
      iamArnPrefix: `arn:${partition}:iam::${identity.Account}:`,
      description: `${where} ${identity.Account} (${config.region})`,
      destroy,
    };
  } catch (error) {
    destroy();
    const { StackError } = await import('../../local/stack.ts');
    throw new StackError(
      mode === 'aws'
        ? `cannot learn the account of your credentials from STS: ${(error as Error).message} (set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, for the account to prepare)`
        : `cannot reach STS at the configured endpoints: ${(error as Error).message} (is the emulator running? check AWS_ENDPOINT_URL_STS)`,
    );
  }
}

/**
 * `onboard bootstrap`: prepares the account the endpoints point at (or, with --aws, the account of the
 * shell's credentials) for onboardings: the boundaries, the HTTP API's secrets, and a check of the
 * managed policies the profiles allow. Idempotent: a second run reports everything unchanged.
 */
export function bootstrapCommand(ctx: CliContext): Command {
  return new Command('bootstrap')
    .description(
      'prepare an account for onboardings: create or update the permissions boundaries, create the HTTP API secrets if missing, check the allowlisted managed policies (idempotent)',
    )
    .option('--config <file>', 'the configuration (profiles, boundaries, API secret names)')
    .option('--aws', 'prepare the real AWS account of your credentials')
    .option(
      '--no-secrets',
      "do not create the HTTP API's secrets (only `onboard serve` and the deploy use them)",
    )
    .option('--json', 'print the report as JSON')
    .action(async (flags: { config?: string; aws?: boolean; secrets: boolean; json?: boolean }) => {
      const config = await loadConfigFile(flags.config);
      const env = process.env;
      const [{ configuredEndpoints }, { bootstrapAccount }, { SdkAccountSetup }, render] = await Promise.all([
        import('../../local/stack.ts'),
        import('../../bootstrap.ts'),
        import('../../gateways/account-setup.ts'),
        import('../render.ts'),
      ]);
      const endpoints = configuredEndpoints(env);
      const configured = Object.keys(endpoints);
      if (flags.aws && configured.length > 0) {
        throw new UsageError(
          `--aws was given but endpoints are configured (${configured.join(', ')}): unset them, or drop --aws to prepare those endpoints`,
        );
      }
      if (!flags.aws && configured.length === 0) {
        throw new UsageError(
          'nothing to prepare: with no AWS_ENDPOINT_URL_* set, onboard runs on the embedded stack, which is prepared on every run. ' +
            'Start `onboard emulator` (or LocalStack, moto) and export its variables, or pass --aws for the account of your credentials',
        );
      }
      const missing = flags.aws
        ? []
        : SERVICE_VARS.filter((k) => !endpoints[k] && !endpoints.AWS_ENDPOINT_URL);
      if (missing.length > 0) {
        const { StackError } = await import('../../local/stack.ts');
        throw new StackError(
          `some AWS endpoints are configured but not ${missing.join(', ')}: set them too (or AWS_ENDPOINT_URL), so that no call goes to a real account by accident`,
        );
      }
      const target = await bootstrapClients(env, flags.aws ? 'aws' : 'endpoints');
      try {
        const { resolveBoundaries, resolveContain, resolveSelfService } = await import(
          '../../deploy/roles.ts'
        );
        if (!flags.json) {
          console.log(render.bold(`Preparing ${target.description}`));
        }
        const width = 9;
        const report = await bootstrapAccount(new SdkAccountSetup(target.iam, target.secrets), config, {
          iamArnPrefix: target.iamArnPrefix,
          boundaries: resolveBoundaries(config),
          selfService: resolveSelfService(config),
          contain: resolveContain(config),
          secrets: flags.secrets,
          onLine: flags.json
            ? undefined
            : (line) => {
                const paint =
                  line.action === 'missing'
                    ? render.red
                    : line.action === 'unchanged'
                      ? render.dim
                      : render.green;
                console.log(
                  `  ${paint(line.action.padEnd(width))} ${line.kind.padEnd(19)} ${line.name}${line.note ? render.dim(`  (${line.note})`) : ''}`,
                );
              },
        });
        if (flags.json) {
          console.log(JSON.stringify({ account: target.accountId, ...report }, null, 2));
        } else {
          const changed = report.lines.filter((l) => l.action === 'created' || l.action === 'updated').length;
          console.log(
            changed === 0
              ? 'Nothing to change: the account was prepared already.'
              : `${changed} change${changed === 1 ? '' : 's'} made.`,
          );
          if (report.incomplete) {
            console.log(
              render.red(
                'Some managed policies the profiles allow do not exist in this account: onboardings of those profiles will fail at Plan.',
              ),
            );
          }
        }
        if (report.incomplete) ctx.setExit(EXIT.environment);
      } finally {
        target.destroy();
      }
    });
}
