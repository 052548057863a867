import {
  CreateSecretCommand,
  DeleteSecretCommand,
  DescribeSecretCommand,
  PutResourcePolicyCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { isAccessDenied, isAwsError, toDomainError } from '../aws/errors.ts';
import { NotYetVisibleError } from '../errors.ts';
import type { Tags } from './iam.ts';

/** Secrets Manager as the onboarding sees it. Values go in; nothing here ever reads one back. */

export interface SecretInfo {
  arn: string;
  name: string;
  tags: Tags;
  /** Set when the secret is scheduled for deletion: its name stays taken until then. */
  deletedDate?: string;
}

export interface SecretStore {
  describeSecret(name: string): Promise<SecretInfo | undefined>;
  /** `created: false` when the name is taken. */
  createSecret(input: {
    name: string;
    value: string;
    description: string;
    tags: Tags;
  }): Promise<{ created: true; arn: string } | { created: false }>;
  putResourcePolicy(secretId: string, policy: string): Promise<void>;
  /**
   * Deletes at once, without a recovery window: the key it held is deleted with it. False when there
   * was no such secret (ResourceNotFound, or AccessDenied on a secret that is gone).
   */
  deleteSecret(secretId: string): Promise<boolean>;
}

export class SdkSecretStore implements SecretStore {
  constructor(private readonly client: SecretsManagerClient) {}

  async describeSecret(name: string): Promise<SecretInfo | undefined> {
    try {
      const out = await this.client.send(new DescribeSecretCommand({ SecretId: name }));
      return {
        arn: out.ARN ?? '',
        name: out.Name ?? name,
        tags: Object.fromEntries((out.Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])),
        ...(out.DeletedDate ? { deletedDate: out.DeletedDate.toISOString() } : {}),
      };
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return undefined;
      throw toDomainError(error, `DescribeSecret ${name}`);
    }
  }

  async createSecret(input: { name: string; value: string; description: string; tags: Tags }) {
    try {
      const out = await this.client.send(
        new CreateSecretCommand({
          Name: input.name,
          SecretString: input.value,
          Description: input.description,
          Tags: Object.entries(input.tags).map(([Key, Value]) => ({ Key, Value })),
        }),
      );
      return { created: true as const, arn: out.ARN ?? '' };
    } catch (error) {
      if (isAwsError(error, 'ResourceExistsException')) return { created: false as const };
      // Never let an SDK error carry the request (and so the value) into a log: keep only its name.
      throw toDomainError(
        {
          name: (error as Error).name,
          message: (error as Error).message,
          $metadata: (error as { $metadata?: unknown }).$metadata,
        },
        `CreateSecret ${input.name}`,
      );
    }
  }

  async putResourcePolicy(secretId: string, policy: string): Promise<void> {
    try {
      await this.client.send(new PutResourcePolicyCommand({ SecretId: secretId, ResourcePolicy: policy }));
    } catch (error) {
      // A user created seconds ago is not yet a principal Secrets Manager can name while IAM propagates.
      if (
        isAwsError(error, 'MalformedPolicyDocumentException') &&
        /unsupported principal/i.test((error as Error).message)
      ) {
        throw new NotYetVisibleError(`PutResourcePolicy ${secretId}: ${(error as Error).message}`, {
          cause: error,
        });
      }
      throw toDomainError(error, `PutResourcePolicy ${secretId}`);
    }
  }

  async deleteSecret(secretId: string): Promise<boolean> {
    try {
      await this.client.send(
        new DeleteSecretCommand({ SecretId: secretId, ForceDeleteWithoutRecovery: true }),
      );
      return true;
    } catch (error) {
      if (isAwsError(error, 'ResourceNotFoundException')) return false;
      // A tag-conditioned role cannot match a secret that is gone (see isAccessDenied): read it back.
      // One still listed with a deletion date is on its way out (deletion is asynchronous): done too.
      if (isAccessDenied(error)) {
        const still = await this.describeSecret(secretId);
        if (!still || still.deletedDate !== undefined) return false;
      }
      throw toDomainError(error, `DeleteSecret ${secretId}`);
    }
  }
}
