import {
  CreateServiceLinkedRoleCommand,
  DeleteServiceLinkedRoleCommand,
  GetRoleCommand,
  GetServiceLinkedRoleDeletionStatusCommand,
  ListRolesCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { SERVICE_LINKED_ROLE_NAMES } from '../src/index.ts';
import { awsError, emulatorWithClients } from './helpers.ts';

describe('IAM service-linked roles', () => {
  it.each(Object.entries(SERVICE_LINKED_ROLE_NAMES))(
    'names the role of %s %s, under its service path',
    async (service, name) => {
      // Prepare
      const { iam } = await emulatorWithClients();

      // Act
      const created = await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: service }));

      // Assess
      expect(created.Role).toMatchObject({ RoleName: name, Path: `/aws-service-role/${service}/` });
      expect(created.Role?.Arn).toBe(`arn:aws:iam::000000000000:role/aws-service-role/${service}/${name}`);
      expect(created.Role?.RoleId).toMatch(/^AROA[A-Z2-7]{17}$/);
      expect(decodeURIComponent(created.Role?.AssumeRolePolicyDocument ?? '')).toContain(service);
    },
  );

  it('keeps the description, and GetRole and ListRoles (by path prefix) find the role', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'rds.amazonaws.com' }));

    // Act
    await iam.send(
      new CreateServiceLinkedRoleCommand({
        AWSServiceName: 'elasticache.amazonaws.com',
        Description: 'ours',
      }),
    );
    const role = await iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForElastiCache' }));
    const listed = await iam.send(
      new ListRolesCommand({ PathPrefix: '/aws-service-role/elasticache.amazonaws.com/' }),
    );
    const all = await iam.send(new ListRolesCommand({ PathPrefix: '/aws-service-role/' }));

    // Assess
    expect(role.Role?.Description).toBe('ours');
    expect(listed.Roles?.map((r) => r.RoleName)).toEqual(['AWSServiceRoleForElastiCache']);
    expect(all.Roles?.map((r) => r.RoleName)).toEqual([
      'AWSServiceRoleForElastiCache',
      'AWSServiceRoleForRDS',
    ]);
  });

  it('answers InvalidInput "has been taken in this account" (400) when the role exists, as IAM does', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'elasticache.amazonaws.com' }));

    // Act
    const error = await awsError(
      iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'elasticache.amazonaws.com' })),
    );

    // Assess
    expect(error).toEqual({
      code: 'InvalidInput',
      status: 400,
      message:
        'Service role name AWSServiceRoleForElastiCache has been taken in this account, please try a different suffix.',
    });
  });

  it('appends a custom suffix to the name, within the 64 characters of a role name', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const suffixed = await iam.send(
      new CreateServiceLinkedRoleCommand({
        AWSServiceName: 'autoscaling.amazonaws.com',
        CustomSuffix: 'payments',
      }),
    );
    const tooLong = await awsError(
      iam.send(
        new CreateServiceLinkedRoleCommand({
          AWSServiceName: 'autoscaling.amazonaws.com',
          CustomSuffix: 'x'.repeat(40),
        }),
      ),
    );

    // Assess
    expect(suffixed.Role?.RoleName).toBe('AWSServiceRoleForAutoScaling_payments');
    expect(tooLong).toMatchObject({ code: 'ValidationError', status: 400 });
    expect(tooLong.message).toMatch(/roleName.*less than or equal to 64/);
  });

  it('refuses a service that has no service-linked role (InvalidInput)', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const error = await awsError(
      iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'nope.amazonaws.com' })),
    );

    // Assess
    expect(error).toMatchObject({ code: 'InvalidInput', status: 400 });
  });

  it('answers NoSuchEntity for a role that does not exist', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const got = await awsError(iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForECS' })));
    const deleted = await awsError(
      iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: 'AWSServiceRoleForECS' })),
    );

    // Assess
    expect(got).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(deleted).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });
});

describe('IAM service-linked role deletion', () => {
  it('deletes at once and reports the deletion task SUCCEEDED', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }));

    // Act
    const task = await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: 'AWSServiceRoleForECS' }));
    const status = await iam.send(
      new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: task.DeletionTaskId }),
    );

    // Assess
    expect(task.DeletionTaskId).toMatch(
      /^task\/aws-service-role\/ecs\.amazonaws\.com\/AWSServiceRoleForECS\/[0-9a-f-]{36}$/,
    );
    expect(status.Status).toBe('SUCCEEDED');
    expect(await awsError(iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForECS' })))).toMatchObject({
      code: 'NoSuchEntity',
    });
  });

  it('reports FAILED with a reason, and keeps the role, while the service still uses it', async () => {
    // Prepare
    const { emulator, iam } = await emulatorWithClients();
    await iam.send(new CreateServiceLinkedRoleCommand({ AWSServiceName: 'ecs.amazonaws.com' }));
    const state = emulator.snapshot();
    const role = state.roles.awsserviceroleforecs;
    if (role) role.inUse = true;
    emulator.seed(state);

    // Act
    const task = await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: 'AWSServiceRoleForECS' }));
    const status = await iam.send(
      new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: task.DeletionTaskId }),
    );

    // Assess
    expect(status.Status).toBe('FAILED');
    expect(status.Reason?.Reason).toMatch(/still using role AWSServiceRoleForECS/);
    expect(status.Reason?.RoleUsageList?.[0]?.Region).toBe('us-east-1');
    expect((await iam.send(new GetRoleCommand({ RoleName: 'AWSServiceRoleForECS' }))).Role?.RoleName).toBe(
      'AWSServiceRoleForECS',
    );
  });

  it('reports the staged NOT_STARTED and IN_PROGRESS polls before the final status', async () => {
    // Prepare
    const { iam } = await emulatorWithClients({
      seed: {
        roles: {
          r: {
            name: 'AWSServiceRoleForRDS',
            path: '/aws-service-role/rds.amazonaws.com/',
            service: 'rds.amazonaws.com',
            deletionSteps: ['NOT_STARTED', 'IN_PROGRESS'],
          },
        },
      },
    });
    const task = await iam.send(new DeleteServiceLinkedRoleCommand({ RoleName: 'AWSServiceRoleForRDS' }));
    const poll = async () =>
      (await iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: task.DeletionTaskId })))
        .Status;

    // Act
    const statuses = [await poll(), await poll(), await poll(), await poll()];

    // Assess
    expect(statuses).toEqual(['NOT_STARTED', 'IN_PROGRESS', 'SUCCEEDED', 'SUCCEEDED']);
  });

  it('answers NoSuchEntity for an unknown deletion task and InvalidInput for a malformed id', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();

    // Act
    const unknown = await awsError(
      iam.send(
        new GetServiceLinkedRoleDeletionStatusCommand({
          DeletionTaskId:
            'task/aws-service-role/ecs.amazonaws.com/AWSServiceRoleForECS/00000000-0000-0000-0000-000000000000',
        }),
      ),
    );
    const malformed = await awsError(
      iam.send(new GetServiceLinkedRoleDeletionStatusCommand({ DeletionTaskId: 'nope' })),
    );

    // Assess
    expect(unknown).toMatchObject({ code: 'NoSuchEntity', status: 404 });
    expect(malformed).toMatchObject({ code: 'InvalidInput', status: 400 });
  });
});
