import * as z from 'zod/mini';
import { boundaryArn, SELF_SERVICE_POLICY, secretNameFor, selfServicePolicyArn } from './config.ts';
import {
  PolicyNotFoundError,
  RequestNotAllowedError,
  SecretAlreadyExistsError,
  UserAlreadyExistsError,
} from './errors.ts';
import { checkAllowed, checkHandOver, type OnboardingRequest, TAG_OFFBOARDING } from './request.ts';
import type { TaskDeps } from './steps/types.ts';

/**
 * The plan: the account as it was before this execution wrote anything, and what the execution
 * will therefore create. It is the pre-image the rollback trusts: an undo only ever touches what
 * the plan says did not exist.
 */
export const planSchema = z.strictObject({
  /** The profile the request named, as the configuration said when the plan was taken. */
  profile: z.strictObject({
    name: z.string().check(z.minLength(1)),
    privileged: z.boolean(),
    /** `required` for a privileged profile: nothing may be written before an approval. */
    approval: z.enum(['not-needed', 'required']),
    boundary: z.string().check(z.minLength(1)),
  }),
  user: z.strictObject({
    name: z.string().check(z.minLength(1)),
    path: z.string().check(z.minLength(1)),
    permissionsBoundaryArn: z.string().check(z.minLength(1)),
    create: z.literal(true),
  }),
  group: z.strictObject({
    name: z.string().check(z.minLength(1)),
    path: z.string().check(z.minLength(1)),
    create: z.boolean(),
    /** Attached to the existing group but not in the profile: reported as drift, never touched. */
    otherPolicies: z.array(z.string()),
  }),
  /**
   * The profile's group policies. `attach` on a group this execution creates: attached, and removed
   * with the group by a rollback; on an existing group: drift repair, attached and kept whatever happens.
   */
  policies: z.array(z.strictObject({ arn: z.string(), attach: z.boolean() })),
  /**
   * The policies attached to the user (this execution's own, undone with it): the self-service policy
   * every user gets (password, MFA device, own secret: what the first sign-in needs), then the request's
   * extra policies from its profile's allowlist.
   */
  userPolicies: z.array(z.strictObject({ arn: z.string(), reason: z.enum(['self-service', 'requested']) })),
  serviceLinkedRoles: z.array(
    z.strictObject({ service: z.string(), create: z.boolean(), roleName: z.optional(z.string()) }),
  ),
  /** Console sign-in: a login profile with a one-time password, encrypted to `contact.recipient`. */
  loginProfile: z.strictObject({ create: z.boolean() }),
  /**
   * `recipient`: the key goes out only encrypted to `contact.recipient`; `secrets-manager`: into the
   * member's own secret `secretName` (read after their first MFA sign-in).
   */
  accessKey: z.strictObject({
    create: z.boolean(),
    secretName: z.string().check(z.minLength(1)),
    delivery: z.enum(['recipient', 'secrets-manager']),
  }),
});
export type Plan = z.infer<typeof planSchema>;

export async function makePlan(
  request: OnboardingRequest,
  deps: Pick<TaskDeps, 'iam' | 'secrets' | 'config'>,
): Promise<Plan> {
  const { iam, secrets, config } = deps;
  const profile = checkAllowed(request, config);
  const existing = await iam.getUser(request.userName);
  const offboarding = existing?.tags[TAG_OFFBOARDING];
  if (offboarding) {
    throw new UserAlreadyExistsError(
      `user "${request.userName}" is being offboarded (${offboarding}): it is contained and will be removed when its grace period ends. Restore it (POST /offboardings/${offboarding}/restore) or wait for the removal, then onboard again`,
    );
  }
  if (existing) {
    throw new UserAlreadyExistsError(
      `user "${request.userName}" already exists (${existing.arn}); an onboarding never takes over an existing user: choose another userName, or offboard that user first`,
    );
  }
  // checkAllowed refuses a profile without a boundary: a user is always created under one.
  const boundary = profile.boundary as string;
  const boundaryArnOfProfile = boundaryArn(config, config.iamArnPrefix, boundary);
  if (!(await iam.policyExists(boundaryArnOfProfile))) {
    throw new PolicyNotFoundError(
      `the permissions boundary ${boundaryArnOfProfile} (profiles.${request.profile}.boundary "${boundary}") does not exist in the account: run \`onboard bootstrap\` against it (a deployed stack creates it with \`serverless deploy\`, from config/boundaries/${boundary}.json)`,
    );
  }
  const groupName = profile.group;
  const group = await iam.groupExists(groupName);
  if (group && group.path !== config.groupPath) {
    // The roles may only touch groups under the configured path: a same-named group elsewhere (which
    // may carry anything) is never used, and saying so here beats an AccessDenied half-way.
    throw new RequestNotAllowedError(
      `group "${groupName}" exists at path ${group.path}, not under the configured groupPath ${config.groupPath}: ` +
        'an onboarding only uses groups there (move the group, or give the profile another one)',
    );
  }
  const attached = group ? await iam.listAttachedGroupPolicies(groupName) : [];
  const policies: Plan['policies'] = [];
  for (const arn of profile.groupPolicyArns) {
    if (!(await iam.policyExists(arn)))
      throw new PolicyNotFoundError(
        `policy ${arn} (profiles.${request.profile}.groupPolicyArns) does not exist in the account`,
      );
    policies.push({ arn, attach: !attached.includes(arn) });
  }
  const selfService = selfServicePolicyArn(config, config.iamArnPrefix);
  if (!(await iam.policyExists(selfService))) {
    throw new PolicyNotFoundError(
      `the self-service policy ${selfService} (a new member's own password and MFA device) does not exist in the account: run \`onboard bootstrap\` against it (a deployed stack creates it with \`serverless deploy\`, from config/policies/${SELF_SERVICE_POLICY}.json)`,
    );
  }
  const userPolicies: Plan['userPolicies'] = [{ arn: selfService, reason: 'self-service' }];
  for (const arn of request.policyArns) {
    if (!(await iam.policyExists(arn)))
      throw new PolicyNotFoundError(`policy ${arn} does not exist in the account`);
    userPolicies.push({ arn, reason: 'requested' });
  }
  const serviceLinkedRoles: Plan['serviceLinkedRoles'] = [];
  for (const service of profile.serviceLinkedRoles) {
    const role = await iam.findServiceLinkedRole(service);
    serviceLinkedRoles.push(
      role ? { service, create: false, roleName: role.name } : { service, create: true },
    );
  }
  checkHandOver(request, profile);
  const secretName = secretNameFor(config, request.userName);
  const { accessKey, accessKeyDelivery: delivery } = profile.credentials;
  if (accessKey && delivery === 'secrets-manager') {
    const secret = await secrets.describeSecret(secretName);
    if (secret) {
      throw new SecretAlreadyExistsError(
        `secret "${secretName}" already exists${secret.deletedDate ? ' (scheduled for deletion)' : ''}; the access key would have nowhere safe to go`,
      );
    }
  }
  return {
    profile: {
      name: request.profile,
      privileged: profile.privileged,
      approval: profile.privileged ? 'required' : 'not-needed',
      boundary,
    },
    user: {
      name: request.userName,
      path: config.userPath,
      permissionsBoundaryArn: boundaryArnOfProfile,
      create: true,
    },
    group: {
      name: groupName,
      path: config.groupPath,
      create: !group,
      otherPolicies: attached.filter((arn) => !profile.groupPolicyArns.includes(arn)).sort(),
    },
    policies,
    userPolicies,
    serviceLinkedRoles,
    loginProfile: { create: profile.credentials.console },
    accessKey: { create: accessKey, secretName, delivery },
  };
}

/** What drift repair means on an existing group: the profile's policies it lacked. */
export const driftRepairOf = (plan: Plan): string[] =>
  plan.group.create ? [] : plan.policies.filter((p) => p.attach).map((p) => p.arn);

/** One line per planned action, for `onboard plan` and the timeline. */
export function describePlan(plan: Plan): { action: string; target: string; create: boolean }[] {
  return [
    { action: 'create user', target: `${plan.user.path}${plan.user.name}`, create: true },
    {
      action: 'under permissions boundary',
      target: `${plan.user.permissionsBoundaryArn} (${plan.profile.boundary})`,
      create: false,
    },
    {
      action: plan.group.create ? 'create group' : 'use existing group',
      target: plan.group.name,
      create: plan.group.create,
    },
    { action: 'add user to group', target: `${plan.user.name} -> ${plan.group.name}`, create: true },
    ...plan.policies.map((p) => ({
      action: !p.attach
        ? 'policy already on group'
        : plan.group.create
          ? 'attach policy to new group'
          : 'attach to existing group (drift repair)',
      target: p.arn,
      create: p.attach,
    })),
    ...plan.group.otherPolicies.map((arn) => ({
      action: 'on group, not in profile (left alone)',
      target: arn,
      create: false,
    })),
    ...plan.userPolicies.map((p) => ({
      action:
        p.reason === 'self-service'
          ? 'attach self-service policy to user (own password, own MFA device)'
          : 'attach policy to user',
      target: p.arn,
      create: true,
    })),
    ...plan.serviceLinkedRoles.map((r) => ({
      action: r.create ? 'create service-linked role' : 'service-linked role exists',
      target: r.roleName ?? r.service,
      create: r.create,
    })),
    ...(plan.loginProfile.create
      ? [
          {
            action: 'console sign-in: one-time password, encrypted to the recipient; MFA enforced',
            target: plan.user.name,
            create: true,
          },
        ]
      : []),
    ...(plan.accessKey.create
      ? [
          plan.accessKey.delivery === 'secrets-manager'
            ? {
                action: 'create access key, store in secret',
                target: plan.accessKey.secretName,
                create: true,
              }
            : {
                action: 'create access key, encrypted to the recipient',
                target: plan.user.name,
                create: true,
              },
        ]
      : []),
  ];
}
