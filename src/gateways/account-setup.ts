import {
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  DeletePolicyVersionCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  type IAMClient,
  ListPolicyVersionsCommand,
} from '@aws-sdk/client-iam';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { isAwsError, toDomainError } from '../aws/errors.ts';
import type { AccountSetup } from '../bootstrap.ts';
import type { PolicyDocument } from '../deploy/roles.ts';

/** IAM keeps at most five versions of a managed policy. */
const MAX_POLICY_VERSIONS = 5;

export class SdkAccountSetup implements AccountSetup {
  constructor(
    private readonly iam: IAMClient,
    private readonly secrets: SecretsManagerClient,
  ) {}

  async policyDocument(arn: string): Promise<PolicyDocument | undefined> {
    let versionId: string | undefined;
    try {
      const out = await this.iam.send(new GetPolicyCommand({ PolicyArn: arn }));
      versionId = out.Policy?.DefaultVersionId;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return undefined;
      throw toDomainError(error, `GetPolicy ${arn}`);
    }
    if (!versionId) throw new Error(`GetPolicy ${arn} answered without a default version`);
    try {
      const out = await this.iam.send(new GetPolicyVersionCommand({ PolicyArn: arn, VersionId: versionId }));
      // IAM returns the document URL-encoded (RFC 3986).
      const text = out.PolicyVersion?.Document ?? '{}';
      return JSON.parse(text.trimStart().startsWith('{') ? text : decodeURIComponent(text)) as PolicyDocument;
    } catch (error) {
      throw toDomainError(error, `GetPolicyVersion ${arn} ${versionId}`);
    }
  }

  async policyExists(arn: string): Promise<boolean> {
    try {
      await this.iam.send(new GetPolicyCommand({ PolicyArn: arn }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'NoSuchEntity')) return false;
      throw toDomainError(error, `GetPolicy ${arn}`);
    }
  }

  async createPolicy(input: { name: string; path: string; document: PolicyDocument; description: string }) {
    try {
      await this.iam.send(
        new CreatePolicyCommand({
          PolicyName: input.name,
          Path: input.path,
          PolicyDocument: JSON.stringify(input.document),
          Description: input.description,
        }),
      );
    } catch (error) {
      throw toDomainError(error, `CreatePolicy ${input.path}${input.name}`);
    }
  }

  async updatePolicy(arn: string, document: PolicyDocument) {
    try {
      const out = await this.iam.send(new ListPolicyVersionsCommand({ PolicyArn: arn }));
      const versions = out.Versions ?? [];
      if (versions.length >= MAX_POLICY_VERSIONS) {
        const oldest = versions
          .filter((v) => !v.IsDefaultVersion)
          .sort((a, b) => (a.CreateDate?.getTime() ?? 0) - (b.CreateDate?.getTime() ?? 0))[0];
        if (oldest?.VersionId) {
          await this.iam.send(
            new DeletePolicyVersionCommand({ PolicyArn: arn, VersionId: oldest.VersionId }),
          );
        }
      }
      await this.iam.send(
        new CreatePolicyVersionCommand({
          PolicyArn: arn,
          PolicyDocument: JSON.stringify(document),
          SetAsDefault: true,
        }),
      );
    } catch (error) {
      throw toDomainError(error, `CreatePolicyVersion ${arn}`);
    }
  }

  async secretExists(name: string): Promise<boolean> {
    try {
      await this.secrets.send(new DescribeSecretCommand({ SecretId: name }));
      return true;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return false;
      throw toDomainError(error, `DescribeSecret ${name}`);
    }
  }

  async createSecret(input: { name: string; value: string; description: string }) {
    try {
      await this.secrets.send(
        new CreateSecretCommand({
          Name: input.name,
          SecretString: input.value,
          Description: input.description,
          Tags: [{ Key: 'onboarding:purpose', Value: 'api' }],
        }),
      );
    } catch (error) {
      throw toDomainError(error, `CreateSecret ${input.name}`);
    }
  }
}
