import { containPolicyArn, secretNameFor } from '../../config.ts';
import { InvalidRequestError } from '../../errors.ts';
import { SdkLeaverGateway } from '../../gateways/leaver.ts';
import { SdkSecretStore } from '../../gateways/secrets.ts';
import { openStack } from '../../local/stack.ts';
import { credentialsOf, remainingOf, takeSnapshot } from '../../offboarding/phases.ts';
import { USER_NAME_CHARS, USER_NAME_CHARS_MESSAGE } from '../../request.ts';
import { loadConfigFile } from '../io.ts';
import { bold, dim, red, yellow } from '../render.ts';

/**
 * `onboard plan --offboard <user>`: the leaver's plan, read only. The same Snapshot as the offboarding's
 * (with its refusal of a user this stack did not onboard), then what Contain would switch off and what
 * Remove would delete, in AWS's order - and what stays (groups, policies).
 */

/** The operator's read: on the embedded stack a principal of its own, on AWS the shell's credentials. */
const OPERATOR = 'operator';

export async function planOffboarding(
  userName: string,
  flags: { config?: string; json?: boolean; aws?: boolean; emulatorState?: string },
): Promise<void> {
  if (!USER_NAME_CHARS.test(userName)) {
    throw new InvalidRequestError(`invalid user name "${userName}": ${USER_NAME_CHARS_MESSAGE}`, [
      { path: 'userName', message: USER_NAME_CHARS_MESSAGE },
    ]);
  }
  const config = await loadConfigFile(flags.config);
  const stack = await openStack({
    config,
    operators: [OPERATOR],
    ...(flags.aws ? { aws: true } : {}),
    ...(flags.emulatorState ? { emulatorState: flags.emulatorState } : {}),
  });
  try {
    const clients = stack.clients(OPERATOR);
    const denyPolicy = containPolicyArn(config, stack.runtimeConfig.iamArnPrefix);
    const snapshot = await takeSnapshot(userName, {
      leaver: new SdkLeaverGateway(clients.iam),
      secrets: new SdkSecretStore(clients.secrets),
      onboardingStateMachineArn: stack.stateMachineArn,
      containPolicyArn: denyPolicy,
      userPath: config.userPath,
      sleep: async () => {},
    });
    const switchOff = credentialsOf(snapshot).filter((c) => c.active);
    const remove = remainingOf(snapshot);
    const secretName = secretNameFor(config, userName);
    if (flags.json) {
      console.log(
        JSON.stringify(
          {
            snapshot,
            contain: {
              denyPolicy,
              deactivate: switchOff.map(({ kind, id }) => ({ kind, id })),
              deleteLoginProfile: snapshot.loginProfile,
            },
            remove,
            secret: secretName,
            kept: { groups: snapshot.groups, policies: snapshot.attachedPolicies },
          },
          null,
          2,
        ),
      );
      return;
    }
    console.log(
      bold(`Offboarding plan for ${userName}`),
      dim(`(read from ${stack.description}; nothing written)`),
    );
    console.log(`  onboarded by  ${snapshot.onboardedBy}`);
    console.log(`  contain       ${yellow(`deny everything (attach ${denyPolicy})`)}`);
    for (const c of switchOff) console.log(`                switch off ${c.kind} ${c.id}`);
    if (snapshot.loginProfile) console.log('                delete the console password');
    console.log('  remove        in this order:');
    for (const item of remove) console.log(`                ${red('-')} ${item}`);
    console.log(`                ${red('-')} secret ${secretName} (if this user's onboarding created it)`);
    console.log(
      `  kept          groups ${snapshot.groups.join(', ') || '(none)'} (only the membership goes); policies detached, never deleted`,
    );
  } finally {
    await stack.close();
  }
}
