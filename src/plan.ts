import * as z from 'zod/mini';
import { secretNameFor } from './config.ts';
import {
  PolicyNotFoundError,
  RequestNotAllowedError,
  SecretAlreadyExistsError,
  UserAlreadyExistsError,
} from './errors.ts';
import type { OnboardingRequest } from './request.ts';
import type { TaskDeps } from './steps/types.ts';

/**
 * The plan: the account as it was before this execution wrote anything, and what the execution
 * will therefore create. It is the pre-image the rollback trusts: an undo only ever touches what
 * the plan says did not exist.
 */
export const planSchema = z.strictObject({
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
  }),
  policies: z.array(z.strictObject({ arn: z.string(), attach: z.boolean() })),
  serviceLinkedRoles: z.array(
    z.strictObject({ service: z.string(), create: z.boolean(), roleName: z.optional(z.string()) }),
  ),
  accessKey: z.strictObject({ create: z.boolean(), secretName: z.string().check(z.minLength(1)) }),
});
export type Plan = z.infer<typeof planSchema>;

export async function makePlan(
  request: OnboardingRequest,
  deps: Pick<TaskDeps, 'iam' | 'secrets' | 'config'>,
): Promise<Plan> {
  const { iam, secrets, config } = deps;
  const existing = await iam.getUser(request.userName);
  if (existing) {
    throw new UserAlreadyExistsError(
      `user "${request.userName}" already exists (${existing.arn}); an onboarding never takes over an existing user`,
    );
  }
  if (!(await iam.policyExists(config.permissionsBoundaryArn))) {
    throw new PolicyNotFoundError(
      `the permissions boundary ${config.permissionsBoundaryArn} does not exist in the account`,
    );
  }
  const group = await iam.groupExists(request.group);
  if (group && group.path !== config.groupPath) {
    // The roles may only touch groups under the configured path: a same-named group elsewhere (which
    // may carry anything) is never used, and saying so here beats an AccessDenied half-way.
    throw new RequestNotAllowedError(
      `group "${request.group}" exists at path ${group.path}, not under the configured groupPath ${config.groupPath}: ` +
        'an onboarding only uses groups there (move the group, or name another one)',
    );
  }
  const attached = group ? new Set(await iam.listAttachedGroupPolicies(request.group)) : new Set<string>();
  const policies: Plan['policies'] = [];
  for (const arn of request.policyArns) {
    if (!(await iam.policyExists(arn)))
      throw new PolicyNotFoundError(`policy ${arn} does not exist in the account`);
    policies.push({ arn, attach: !attached.has(arn) });
  }
  const serviceLinkedRoles: Plan['serviceLinkedRoles'] = [];
  for (const service of request.serviceLinkedRoles) {
    const role = await iam.findServiceLinkedRole(service);
    serviceLinkedRoles.push(
      role ? { service, create: false, roleName: role.name } : { service, create: true },
    );
  }
  const secretName = secretNameFor(config, request.userName);
  if (request.accessKey) {
    const secret = await secrets.describeSecret(secretName);
    if (secret) {
      throw new SecretAlreadyExistsError(
        `secret "${secretName}" already exists${secret.deletedDate ? ' (scheduled for deletion)' : ''}; the access key would have nowhere safe to go`,
      );
    }
  }
  return {
    user: {
      name: request.userName,
      path: config.userPath,
      permissionsBoundaryArn: config.permissionsBoundaryArn,
      create: true,
    },
    group: { name: request.group, path: config.groupPath, create: !group },
    policies,
    serviceLinkedRoles,
    accessKey: { create: request.accessKey, secretName },
  };
}

/** One line per planned action, for `onboard plan` and the timeline. */
export function describePlan(plan: Plan): { action: string; target: string; create: boolean }[] {
  return [
    { action: 'create user', target: `${plan.user.path}${plan.user.name}`, create: true },
    {
      action: plan.group.create ? 'create group' : 'use existing group',
      target: plan.group.name,
      create: plan.group.create,
    },
    { action: 'add user to group', target: `${plan.user.name} -> ${plan.group.name}`, create: true },
    ...plan.policies.map((p) => ({
      action: p.attach ? 'attach policy to group' : 'policy already attached',
      target: p.arn,
      create: p.attach,
    })),
    ...plan.serviceLinkedRoles.map((r) => ({
      action: r.create ? 'create service-linked role' : 'service-linked role exists',
      target: r.roleName ?? r.service,
      create: r.create,
    })),
    ...(plan.accessKey.create
      ? [{ action: 'create access key, store in secret', target: plan.accessKey.secretName, create: true }]
      : []),
  ];
}
