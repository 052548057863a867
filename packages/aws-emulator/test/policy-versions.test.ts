import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import { describe, expect, it } from 'vitest';
import { awsError, emulatorWithClients } from './helpers.ts';

const doc = (action: string) =>
  JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: action, Resource: '*' }] });

describe('IAM managed policy versions', () => {
  it('creates versions, makes the new one the default (the document evaluated), and reads each back URL-encoded', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    const created = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'boundary', PolicyDocument: doc('s3:Get*') }),
    );
    const arn = created.Policy?.Arn as string;

    // Act
    const v2 = await iam.send(
      new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:*'), SetAsDefault: true }),
    );
    const v3 = await iam.send(
      new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('ec2:*') }),
    );
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));
    const listed = await iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
    const got = await iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));

    // Assess
    expect(v2.PolicyVersion).toMatchObject({ VersionId: 'v2', IsDefaultVersion: true });
    expect(v3.PolicyVersion).toMatchObject({ VersionId: 'v3', IsDefaultVersion: false });
    expect(policy.Policy?.DefaultVersionId).toBe('v2');
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsDefaultVersion])).toEqual([
      ['v3', false],
      ['v2', true],
      ['v1', false],
    ]);
    expect(got.PolicyVersion?.Document).toBe(encodeURIComponent(doc('s3:*')));
    expect(JSON.parse(decodeURIComponent(got.PolicyVersion?.Document ?? ''))).toEqual(
      JSON.parse(doc('s3:*')),
    );
  });

  it('keeps five versions at most, never deletes the default one, and answers NoSuchEntity for an unknown version', async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    const created = await iam.send(
      new CreatePolicyCommand({ PolicyName: 'p', PolicyDocument: doc('s3:Get*') }),
    );
    const arn = created.Policy?.Arn as string;
    for (const action of ['s3:A', 's3:B', 's3:C', 's3:D']) {
      await iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc(action) }));
    }

    // Act
    const sixth = await awsError(
      iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:E') })),
    );
    const deleteDefault = await awsError(
      iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v1' })),
    );
    await iam.send(new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' }));
    const afterDelete = await iam.send(
      new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:E') }),
    );
    const unknown = await awsError(
      iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: 'v2' })),
    );

    // Assess
    expect(sixth).toMatchObject({ code: 'LimitExceeded', status: 409 });
    expect(deleteDefault).toMatchObject({ code: 'DeleteConflict', status: 409 });
    expect(afterDelete.PolicyVersion?.VersionId).toBe('v6');
    expect(unknown).toMatchObject({ code: 'NoSuchEntity', status: 404 });
  });

  it("reads an AWS managed policy's vendored default version", async () => {
    // Prepare
    const { iam } = await emulatorWithClients();
    const arn = 'arn:aws:iam::aws:policy/ReadOnlyAccess';
    const policy = await iam.send(new GetPolicyCommand({ PolicyArn: arn }));

    // Act
    const got = await iam.send(
      new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: policy.Policy?.DefaultVersionId }),
    );
    const changed = await awsError(
      iam.send(new CreatePolicyVersionCommand({ PolicyArn: arn, PolicyDocument: doc('s3:*') })),
    );

    // Assess
    expect(got.PolicyVersion?.IsDefaultVersion).toBe(true);
    expect(
      JSON.parse(decodeURIComponent(got.PolicyVersion?.Document ?? '')).Statement.length,
    ).toBeGreaterThan(0);
    expect(changed).toMatchObject({ status: 400 });
  });
});
