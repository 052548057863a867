import type { CallContext, QueryService } from '../router.ts';
import type { EmulatorState } from '../state.ts';
import { accessKeyActions } from './access-keys.ts';
import { accountSettingsActions } from './account-settings.ts';
import { groupActions } from './groups.ts';
import { inlinePolicyActions } from './inline-policies.ts';
import { loginProfileActions } from './login-profiles.ts';
import { managedPolicyActions } from './managed-policies.ts';
import { mfaDeviceActions } from './mfa-devices.ts';
import { type Actions, DEFAULT_IAM_SETTINGS, type IamSettings, type Params } from './params.ts';
import { roleActions } from './roles.ts';
import { serviceSpecificCredentialActions } from './service-specific-credentials.ts';
import { signingCertificateActions } from './signing-certificates.ts';
import { sshPublicKeyActions } from './ssh-public-keys.ts';
import { tagActions } from './tags.ts';
import { userActions } from './users.ts';

/** IAM over the emulated account, one module per resource; here their actions are registered. */

export { noteKeyUse } from './access-keys.ts';
export { AWS_MANAGED_POLICIES } from './managed-policies.ts';
export type { ConsistencySettings, IamSettings } from './params.ts';
export { SERVICE_LINKED_ROLE_NAMES } from './roles.ts';
export { consecutiveCodesMatch, timeStep, totp } from './totp.ts';
export { callerOf, liveSession } from './users.ts';

export const IAM_NAMESPACE = 'https://iam.amazonaws.com/doc/2010-05-08/';

/** One table of every action; a name defined by two modules is a mistake, not an override. */
function register(...tables: Actions[]): Actions {
  const all: Actions = {};
  for (const table of tables) {
    for (const [name, action] of Object.entries(table)) {
      if (name in all) throw new Error(`IAM action ${name} is defined twice`);
      all[name] = action;
    }
  }
  return all;
}

const ACTIONS = register(
  userActions,
  tagActions,
  groupActions,
  inlinePolicyActions,
  managedPolicyActions,
  roleActions,
  accessKeyActions,
  loginProfileActions,
  mfaDeviceActions,
  sshPublicKeyActions,
  signingCertificateActions,
  serviceSpecificCredentialActions,
  accountSettingsActions,
);

/** IAM as an awsQuery service over the account that `state()` returns and the settings `settings()` return at each call. */
export function iamService(
  state: () => EmulatorState,
  settings: () => IamSettings = () => DEFAULT_IAM_SETTINGS,
): QueryService {
  return {
    protocol: 'awsQuery',
    signingName: 'iam',
    namespace: IAM_NAMESPACE,
    actions: Object.fromEntries(
      Object.entries(ACTIONS).map(([name, action]) => [
        name,
        (p: Params, ctx: CallContext) => action(p, state(), { ...ctx, settings: settings() }),
      ]),
    ),
  };
}

/** Actions that never change the account: the state file is not rewritten after them. */
export const IAM_READ_ONLY = new Set(
  Object.keys(ACTIONS).filter((a) => /^(Get|List)/.test(a) && a !== 'GetServiceLinkedRoleDeletionStatus'),
);
