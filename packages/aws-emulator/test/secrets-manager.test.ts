import {
  CreateSecretCommand,
  DeleteResourcePolicyCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  GetResourcePolicyCommand,
  GetSecretValueCommand,
  ListSecretsCommand,
  PutResourcePolicyCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  TagResourceCommand,
  UntagResourceCommand,
} from '@aws-sdk/client-secrets-manager';
import { describe, expect, it } from 'vitest';
import { awsError, emulatorWithClients } from './helpers.ts';

const TOKEN = 'a'.repeat(32);

describe('Secrets Manager secrets', () => {
  it('creates a secret with a description and tags, and describes it by name, ARN or partial ARN', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();

    // Act
    const created = await sm.send(
      new CreateSecretCommand({
        Name: 'onboarding/alice/key',
        SecretString: 's3cr3t',
        Description: 'the key',
        Tags: [{ Key: 'onboarding:request-id', Value: 'HR-1' }],
      }),
    );
    const byName = await sm.send(new DescribeSecretCommand({ SecretId: 'onboarding/alice/key' }));
    const byArn = await sm.send(new DescribeSecretCommand({ SecretId: created.ARN }));
    const byPartialArn = await sm.send(new DescribeSecretCommand({ SecretId: created.ARN?.slice(0, -7) }));

    // Assess
    expect(created.ARN).toMatch(
      /^arn:aws:secretsmanager:us-east-1:000000000000:secret:onboarding\/alice\/key-[A-Za-z0-9]{6}$/,
    );
    expect(byName).toMatchObject({
      ARN: created.ARN,
      Description: 'the key',
      Tags: [{ Key: 'onboarding:request-id', Value: 'HR-1' }],
    });
    expect(byName.CreatedDate).toBeInstanceOf(Date);
    expect(byName.DeletedDate).toBeUndefined();
    expect(byName.VersionIdsToStages).toEqual({ [created.VersionId ?? '']: ['AWSCURRENT'] });
    expect(byArn.Name).toBe('onboarding/alice/key');
    expect(byPartialArn.Name).toBe('onboarding/alice/key');
  });

  it('puts a new current value, and answers a retried put with the version it made', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();
    const created = await sm.send(new CreateSecretCommand({ Name: 'k', SecretString: 'first' }));

    // Act
    const put = await sm.send(
      new PutSecretValueCommand({ SecretId: 'k', SecretString: 'second', ClientRequestToken: TOKEN }),
    );
    const retried = await sm.send(
      new PutSecretValueCommand({ SecretId: created.ARN, SecretString: 'second', ClientRequestToken: TOKEN }),
    );
    const read = await sm.send(new GetSecretValueCommand({ SecretId: 'k' }));

    // Assess
    expect(put).toMatchObject({ ARN: created.ARN, VersionId: TOKEN, VersionStages: ['AWSCURRENT'] });
    expect(put.VersionId).not.toBe(created.VersionId);
    expect(retried.VersionId).toBe(TOKEN);
    expect(read).toMatchObject({ SecretString: 'second', VersionId: TOKEN });
    await expect(
      sm.send(new PutSecretValueCommand({ SecretId: 'missing', SecretString: 'x' })),
    ).rejects.toMatchObject({ name: 'ResourceNotFoundException' });
  });

  it('returns the value of the current version by name or ARN', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();
    const created = await sm.send(new CreateSecretCommand({ Name: 'k', SecretString: 's3cr3t' }));

    // Act
    const byArn = await sm.send(new GetSecretValueCommand({ SecretId: created.ARN }));
    const byStage = await sm.send(new GetSecretValueCommand({ SecretId: 'k', VersionStage: 'AWSCURRENT' }));
    const wrongStage = await awsError(
      sm.send(new GetSecretValueCommand({ SecretId: 'k', VersionStage: 'AWSPREVIOUS' })),
    );

    // Assess
    expect(byArn).toMatchObject({
      SecretString: 's3cr3t',
      VersionId: created.VersionId,
      VersionStages: ['AWSCURRENT'],
    });
    expect(byStage.SecretString).toBe('s3cr3t');
    expect(wrongStage).toMatchObject({ code: 'ResourceNotFoundException', status: 400 });
  });

  it('answers a retried create with the same token and value with the same version', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();
    const first = await sm.send(
      new CreateSecretCommand({ Name: 'x', SecretString: 'v', ClientRequestToken: TOKEN }),
    );

    // Act
    const again = await sm.send(
      new CreateSecretCommand({ Name: 'x', SecretString: 'v', ClientRequestToken: TOKEN }),
    );

    // Assess
    expect(again).toMatchObject({ ARN: first.ARN, VersionId: TOKEN });
  });

  it('answers ResourceExistsException (400) for a taken name, with another token or another value', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();
    await sm.send(new CreateSecretCommand({ Name: 'x', SecretString: 'v', ClientRequestToken: TOKEN }));

    // Act
    const otherToken = await awsError(sm.send(new CreateSecretCommand({ Name: 'x', SecretString: 'v' })));
    const otherValue = await awsError(
      sm.send(new CreateSecretCommand({ Name: 'x', SecretString: 'w', ClientRequestToken: TOKEN })),
    );

    // Assess
    expect(otherToken).toEqual({
      code: 'ResourceExistsException',
      status: 400,
      message: 'The operation failed because the secret x already exists.',
    });
    expect(otherValue).toMatchObject({ code: 'ResourceExistsException' });
  });

  it('refuses a name with characters Secrets Manager does not allow (InvalidParameterException)', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();

    // Act
    const error = await awsError(sm.send(new CreateSecretCommand({ Name: 'a secret', SecretString: 'v' })));

    // Assess
    expect(error).toMatchObject({ code: 'InvalidParameterException', status: 400 });
  });

  it('answers ResourceNotFoundException (400) for a secret that does not exist', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();

    // Act
    const error = await awsError(sm.send(new DescribeSecretCommand({ SecretId: 'nope' })));

    // Assess
    expect(error).toEqual({
      code: 'ResourceNotFoundException',
      status: 400,
      message: "Secrets Manager can't find the specified secret.",
    });
  });
});

describe('Secrets Manager deletion', () => {
  it('schedules a deletion by default: the name stays taken, the value unreadable, DeletedDate set', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();
    await sm.send(new CreateSecretCommand({ Name: 'x', SecretString: 'v' }));

    // Act
    const deleted = await sm.send(new DeleteSecretCommand({ SecretId: 'x', RecoveryWindowInDays: 7 }));
    const described = await sm.send(new DescribeSecretCommand({ SecretId: 'x' }));
    const read = await awsError(sm.send(new GetSecretValueCommand({ SecretId: 'x' })));
    const recreated = await awsError(sm.send(new CreateSecretCommand({ Name: 'x', SecretString: 'v' })));
    const deletedAgain = await awsError(sm.send(new DeleteSecretCommand({ SecretId: 'x' })));

    // Assess
    const inSevenDays = Date.now() + 7 * 86_400_000;
    expect(Math.abs((deleted.DeletionDate?.getTime() ?? 0) - inSevenDays)).toBeLessThan(5_000);
    expect(described.DeletedDate?.getTime()).toBe(deleted.DeletionDate?.getTime());
    expect(read).toMatchObject({ code: 'InvalidRequestException', status: 400 });
    expect(recreated).toMatchObject({ code: 'InvalidRequestException', status: 400 });
    expect(recreated.message).toMatch(/scheduled for deletion/);
    expect(deletedAgain).toMatchObject({ code: 'InvalidRequestException' });
  });

  it('restores a secret scheduled for deletion', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();
    await sm.send(new CreateSecretCommand({ Name: 'x', SecretString: 'v' }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'x' }));

    // Act
    await sm.send(new RestoreSecretCommand({ SecretId: 'x' }));

    // Assess
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'x' }))).SecretString).toBe('v');
  });

  it('deletes at once with ForceDeleteWithoutRecovery, even a secret already scheduled for deletion', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();
    await sm.send(new CreateSecretCommand({ Name: 'x', SecretString: 'v' }));
    await sm.send(new CreateSecretCommand({ Name: 'y', SecretString: 'v' }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'y' }));

    // Act
    await sm.send(new DeleteSecretCommand({ SecretId: 'x', ForceDeleteWithoutRecovery: true }));
    await sm.send(new DeleteSecretCommand({ SecretId: 'y', ForceDeleteWithoutRecovery: true }));

    // Assess
    expect(await awsError(sm.send(new DescribeSecretCommand({ SecretId: 'x' })))).toMatchObject({
      code: 'ResourceNotFoundException',
    });
    expect(await awsError(sm.send(new DescribeSecretCommand({ SecretId: 'y' })))).toMatchObject({
      code: 'ResourceNotFoundException',
    });
    await sm.send(new CreateSecretCommand({ Name: 'x', SecretString: 'again' }));
  });

  it.each([
    [
      'a recovery window with ForceDeleteWithoutRecovery',
      { ForceDeleteWithoutRecovery: true, RecoveryWindowInDays: 7 },
      /in conjunction/,
    ],
    ['a recovery window of 6 days', { RecoveryWindowInDays: 6 }, /between 7 and 30/],
    ['a recovery window of 31 days', { RecoveryWindowInDays: 31 }, /between 7 and 30/],
  ])('refuses %s (InvalidParameterException)', async (_what, options, message) => {
    // Prepare
    const { sm } = await emulatorWithClients();
    await sm.send(new CreateSecretCommand({ Name: 'x', SecretString: 'v' }));

    // Act
    const error = await awsError(sm.send(new DeleteSecretCommand({ SecretId: 'x', ...options })));

    // Assess
    expect(error).toMatchObject({ code: 'InvalidParameterException', status: 400 });
    expect(error.message).toMatch(message);
    expect((await sm.send(new GetSecretValueCommand({ SecretId: 'x' }))).SecretString).toBe('v');
  });
});

describe('Secrets Manager resource policies and tags', () => {
  it('stores, returns and deletes a resource policy, and refuses one that is not JSON', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();
    await sm.send(new CreateSecretCommand({ Name: 'k', SecretString: 'v' }));
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: 'arn:aws:iam::000000000000:user/alice' },
          Action: 'secretsmanager:GetSecretValue',
          Resource: '*',
        },
      ],
    });

    // Act
    await sm.send(new PutResourcePolicyCommand({ SecretId: 'k', ResourcePolicy: policy }));
    const stored = await sm.send(new GetResourcePolicyCommand({ SecretId: 'k' }));
    const malformed = await awsError(
      sm.send(new PutResourcePolicyCommand({ SecretId: 'k', ResourcePolicy: '{' })),
    );
    await sm.send(new DeleteResourcePolicyCommand({ SecretId: 'k' }));
    const removed = await sm.send(new GetResourcePolicyCommand({ SecretId: 'k' }));

    // Assess
    expect(stored).toMatchObject({ Name: 'k', ResourcePolicy: policy });
    expect(malformed).toMatchObject({ code: 'MalformedPolicyDocumentException', status: 400 });
    expect(removed.ResourcePolicy).toBeUndefined();
  });

  it('adds and replaces tags, and removes them by key', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();
    await sm.send(
      new CreateSecretCommand({ Name: 'k', SecretString: 'v', Tags: [{ Key: 'a', Value: '1' }] }),
    );

    // Act
    await sm.send(
      new TagResourceCommand({
        SecretId: 'k',
        Tags: [
          { Key: 'a', Value: '2' },
          { Key: 'b', Value: '3' },
        ],
      }),
    );
    const tagged = await sm.send(new DescribeSecretCommand({ SecretId: 'k' }));
    await sm.send(new UntagResourceCommand({ SecretId: 'k', TagKeys: ['a'] }));
    const untagged = await sm.send(new DescribeSecretCommand({ SecretId: 'k' }));

    // Assess
    expect(tagged.Tags).toEqual([
      { Key: 'a', Value: '2' },
      { Key: 'b', Value: '3' },
    ]);
    expect(untagged.Tags).toEqual([{ Key: 'b', Value: '3' }]);
  });
});

describe('Secrets Manager ListSecrets', () => {
  async function threeSecrets() {
    const clients = await emulatorWithClients();
    const { sm } = clients;
    await sm.send(
      new CreateSecretCommand({
        Name: 'onboarding/a',
        SecretString: 'v',
        Tags: [{ Key: 'team', Value: 'platform' }],
      }),
    );
    await sm.send(
      new CreateSecretCommand({ Name: 'onboarding/b', SecretString: 'v', Description: 'Access key' }),
    );
    await sm.send(
      new CreateSecretCommand({ Name: 'other/c', SecretString: 'v', Tags: [{ Key: 'team', Value: 'data' }] }),
    );
    return clients;
  }

  it.each([
    ['name prefix', [{ Key: 'name' as const, Values: ['onboarding/'] }], ['onboarding/a', 'onboarding/b']],
    ['negated name prefix', [{ Key: 'name' as const, Values: ['!onboarding/'] }], ['other/c']],
    ['tag key', [{ Key: 'tag-key' as const, Values: ['team'] }], ['onboarding/a', 'other/c']],
    ['tag value', [{ Key: 'tag-value' as const, Values: ['plat'] }], ['onboarding/a']],
    [
      'description, whatever the case',
      [{ Key: 'description' as const, Values: ['access'] }],
      ['onboarding/b'],
    ],
    [
      'name and tag key together',
      [
        { Key: 'name' as const, Values: ['onboarding/'] },
        { Key: 'tag-key' as const, Values: ['team'] },
      ],
      ['onboarding/a'],
    ],
  ])('filters by %s', async (_what, Filters, expected) => {
    // Prepare
    const { sm } = await threeSecrets();

    // Act
    const listed = await sm.send(new ListSecretsCommand({ Filters }));

    // Assess
    expect(listed.SecretList?.map((s) => s.Name)).toEqual(expected);
  });

  it('pages with MaxResults and NextToken', async () => {
    // Prepare
    const { sm } = await threeSecrets();

    // Act
    const first = await sm.send(new ListSecretsCommand({ MaxResults: 2 }));
    const second = await sm.send(new ListSecretsCommand({ MaxResults: 2, NextToken: first.NextToken }));

    // Assess
    expect(first.SecretList?.map((s) => s.Name)).toEqual(['onboarding/a', 'onboarding/b']);
    expect(first.NextToken).toBeDefined();
    expect(second.SecretList?.map((s) => s.Name)).toEqual(['other/c']);
    expect(second.NextToken).toBeUndefined();
  });

  it('leaves out secrets scheduled for deletion unless asked to include them', async () => {
    // Prepare
    const { sm } = await threeSecrets();
    await sm.send(new DeleteSecretCommand({ SecretId: 'other/c' }));

    // Act
    const live = await sm.send(new ListSecretsCommand({}));
    const all = await sm.send(new ListSecretsCommand({ IncludePlannedDeletion: true }));

    // Assess
    expect(live.SecretList?.map((s) => s.Name)).toEqual(['onboarding/a', 'onboarding/b']);
    expect(all.SecretList?.find((s) => s.Name === 'other/c')?.DeletedDate).toBeInstanceOf(Date);
  });

  it('refuses a NextToken it did not issue and MaxResults above 100', async () => {
    // Prepare
    const { sm } = await emulatorWithClients();

    // Act
    const badToken = await awsError(sm.send(new ListSecretsCommand({ NextToken: '!!!' })));
    const tooMany = await awsError(sm.send(new ListSecretsCommand({ MaxResults: 101 })));

    // Assess
    expect(badToken).toMatchObject({ code: 'InvalidNextTokenException', status: 400 });
    expect(tooMany).toMatchObject({ code: 'ValidationException', status: 400 });
  });
});
