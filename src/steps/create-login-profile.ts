import type * as z from 'zod/mini';
import { RequestNotAllowedError, UserAlreadyExistsError } from '../errors.ts';
import { generatePassword, sealFor, signInUrlOf } from '../handover/credentials.ts';
import { call } from './calls.ts';
import { ourUser } from './ownership.ts';
import { createLoginProfileResultSchema } from './results.ts';
import { defineStep } from './types.ts';

export { createLoginProfileResultSchema };

export type CreateLoginProfileResult = z.infer<typeof createLoginProfileResultSchema>;

/**
 * Console sign-in: a login profile with a generated one-time password that must be reset at the first
 * sign-in. The password is encrypted to the request's recipient inside this task, before the login
 * profile is even created: only the armored ciphertext leaves it (into the execution's state and
 * output, the status and the callback). MFA is enforced by the profile's boundary, which lets a member
 * without MFA change their password and enrol their own device, and nothing else.
 */
export const createLoginProfile = defineStep({
  name: 'CreateLoginProfile',
  resultSchema: createLoginProfileResultSchema,
  calls: [
    call('iam:GetUser'),
    call('iam:GetAccountPasswordPolicy'),
    call('iam:ListAccountAliases'),
    call('iam:CreateLoginProfile'),
    // The answer to an earlier attempt was lost: its password is held by nobody, so it is replaced.
    call('iam:UpdateLoginProfile', { when: { afterLost: 'iam:CreateLoginProfile' } }),
  ],
  undoCalls: [call('iam:GetUser'), call('iam:DeleteLoginProfile')],

  async run(input, deps) {
    if (!input.plan.loginProfile.create) return { skipped: true };
    const recipient = input.request.contact?.recipient;
    if (!recipient) {
      // ValidateRequest and Plan refuse this; a forged event does not get a password nobody can read.
      throw new RequestNotAllowedError(
        `request ${input.request.requestId}: a console password is handed over encrypted to contact.recipient, and there is none`,
      );
    }
    const found = await ourUser(input, deps);
    if (!found.ours) throw new UserAlreadyExistsError(`user ${input.plan.user.name} is not this execution's`);
    const userName = found.user.name;
    const rules = await deps.iam.passwordRules();
    const signInUrl = signInUrlOf(found.user.arn, await deps.iam.accountAlias());
    const oneTimePassword = generatePassword(rules);
    // Sealed first: if it cannot be encrypted, no password exists that nobody can read.
    const ciphertext = await sealFor(recipient, {
      kind: 'console-sign-in',
      signInUrl,
      userName,
      oneTimePassword,
    });
    if (!(await deps.iam.createLoginProfile(userName, oneTimePassword))) {
      // Our own new user has a profile already: an earlier attempt made it and its answer was lost.
      await deps.iam.updateLoginProfile(userName, oneTimePassword);
    }
    return { skipped: false, userName, signInUrl, passwordResetRequired: true, ciphertext };
  },

  async undo(input, deps) {
    if (!input.plan.loginProfile.create)
      return { status: 'nothing', detail: 'no console sign-in was requested' };
    const found = await ourUser(input, deps);
    if (!found.ours) return { status: 'nothing', detail: 'no user of this execution' };
    return (await deps.iam.deleteLoginProfile(found.user.name))
      ? { status: 'undone', detail: `deleted the login profile of ${found.user.name}` }
      : { status: 'nothing', detail: `${found.user.name} has no login profile` };
  },
});
