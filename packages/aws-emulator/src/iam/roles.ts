import { randomUUID } from 'node:crypto';
import { AwsError } from '../errors.ts';
import { type EmRole, type EmulatorState, key, randomId } from '../state.ts';
import { arn, byName, getRole } from './account.ts';
import { type Actions, checkLength, checkName, checkPath, now, page, required, roleName } from './params.ts';

/**
 * Roles, as far as the emulator has them: service-linked roles (create, staged deletion and its
 * status polls) and GetRole/ListRoles over every role.
 */

/** The role a service names for itself when asked for its service-linked role. */
export const SERVICE_LINKED_ROLE_NAMES: Readonly<Record<string, string>> = {
  'elasticache.amazonaws.com': 'AWSServiceRoleForElastiCache',
  'ecs.amazonaws.com': 'AWSServiceRoleForECS',
  'elasticloadbalancing.amazonaws.com': 'AWSServiceRoleForElasticLoadBalancing',
  'rds.amazonaws.com': 'AWSServiceRoleForRDS',
  'autoscaling.amazonaws.com': 'AWSServiceRoleForAutoScaling',
  'opensearchservice.amazonaws.com': 'AWSServiceRoleForAmazonOpenSearchService',
};

const DELETION_TASK = /^task\/aws-service-role\/[^/]+\/[^/]+\/[\w-]+$/;

const roleXml = (s: EmulatorState, r: EmRole) => ({
  Path: r.path,
  RoleName: r.name,
  RoleId: r.id,
  Arn: arn(s, 'role', r.path, r.name),
  CreateDate: r.created,
  // IAM answers policy documents URL-encoded.
  AssumeRolePolicyDocument: encodeURIComponent(
    JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { Service: r.service ?? 'ec2.amazonaws.com' },
          Action: 'sts:AssumeRole',
        },
      ],
    }),
  ),
  ...(r.description ? { Description: r.description } : {}),
  MaxSessionDuration: 3600,
  ...(r.tags.length ? { Tags: r.tags } : {}),
});

export const roleActions: Actions = {
  CreateServiceLinkedRole(p, s) {
    const service = required(p, 'AWSServiceName');
    const base = SERVICE_LINKED_ROLE_NAMES[service];
    if (!base) {
      throw new AwsError(
        'InvalidInput',
        `Service ${service} does not support service-linked roles or is not a valid service principal.`,
      );
    }
    const suffix = p.get('CustomSuffix');
    const name = checkName(suffix ? `${base}_${suffix}` : base, 'roleName', 64);
    const description = p.get('Description') ?? '';
    checkLength(description, 'description', 0, 1000);
    // IAM answers InvalidInput here, not EntityAlreadyExists: callers must recognise the message.
    if (s.roles[key(name)]) {
      throw new AwsError(
        'InvalidInput',
        `Service role name ${name} has been taken in this account, please try a different suffix.`,
      );
    }
    const role: EmRole = {
      name,
      path: `/aws-service-role/${service}/`,
      id: randomId('AROA'),
      created: now(),
      description,
      tags: [],
      service,
    };
    s.roles[key(name)] = role;
    return { Role: roleXml(s, role) };
  },
  DeleteServiceLinkedRole(p, s) {
    const role = getRole(s, roleName(p));
    if (!role.service) {
      throw new AwsError('InvalidInput', `Role ${role.name} is not a service-linked role; use DeleteRole.`);
    }
    const taskId = `task/aws-service-role/${role.service}/${role.name}/${randomUUID()}`;
    const pending = role.deletionSteps?.length ? { pending: [...role.deletionSteps] } : {};
    // The task is asynchronous in IAM; here its outcome is decided at once and only its polls are staged.
    if (role.inUse) {
      s.deletionTasks[taskId] = {
        status: 'FAILED',
        reason: `The service ${role.service} is still using role ${role.name}: delete its resources first.`,
        ...pending,
      };
    } else {
      delete s.roles[key(role.name)];
      s.deletionTasks[taskId] = { status: 'SUCCEEDED', ...pending };
    }
    return { DeletionTaskId: taskId };
  },
  GetServiceLinkedRoleDeletionStatus(p, s, ctx) {
    const taskId = required(p, 'DeletionTaskId');
    if (!DELETION_TASK.test(taskId))
      throw new AwsError('InvalidInput', `Invalid deletion task id ${taskId}.`);
    const task = s.deletionTasks[taskId];
    if (!task) throw new AwsError('NoSuchEntity', `Deletion task ${taskId} cannot be found.`);
    const step = task.pending?.shift();
    if (step) return { Status: step };
    if (task.status !== 'FAILED' || !task.reason) return { Status: task.status };
    return {
      Status: task.status,
      Reason: { Reason: task.reason, RoleUsageList: [{ Region: ctx.region, Resources: [] }] },
    };
  },
  GetRole(p, s) {
    return { Role: roleXml(s, getRole(s, roleName(p))) };
  },
  ListRoles(p, s) {
    const prefix = checkPath(p.get('PathPrefix'), 'pathPrefix');
    const all = Object.values(s.roles)
      .filter((r) => r.path.startsWith(prefix))
      .sort(byName);
    const { items, ...rest } = page(all, p);
    return { Roles: items.map((r) => roleXml(s, r)), ...rest };
  },
};
