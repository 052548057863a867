// `npm run package` runs this first: the stage's configuration (config/stages/<stage>.json over
// config/onboarding.json) is validated, the stage and the key named, before anything is packaged.
import { loadStageConfig } from '../src/deploy/stage-config.ts';

const stage = process.argv[2] ?? 'dev';
try {
  const config = loadStageConfig(stage);
  console.log(
    `configuration of stage ${stage}: ${Object.keys(config.profiles).length} profiles, boundaries ${config.boundaries.path}${config.boundaries.namePrefix}*, API secrets ${config.api.webhookSecretName}, ...`,
  );
} catch (error) {
  console.error(`npm run package: ${(error as Error).message}`);
  process.exit(4);
}
