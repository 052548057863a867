// The configuration of one stage: config/onboarding.json, with config/stages/<stage>.json (when it
// exists) merged over it — objects key by key, anything else (a list, a string, a number) replaced.
// serverless-env.cjs packages a stage with it; src/config.ts validates it with the stage named.
const path = require('node:path');
const fs = require('node:fs');

const STAGES_DIR = path.join(__dirname, 'stages');
const STAGE_NAME = /^[a-z0-9][a-z0-9-]{0,31}$/;

const isObject = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);

function merge(base, override) {
  if (!isObject(base) || !isObject(override)) return override;
  const out = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = k in base ? merge(base[k], v) : v;
  return out;
}

/** `{ raw, label, file? }`: the merged configuration, and how errors name it (the stage included). */
function stageConfig(
  stage,
  base = JSON.parse(fs.readFileSync(path.join(__dirname, 'onboarding.json'), 'utf8')),
) {
  if (!STAGE_NAME.test(String(stage))) {
    throw new Error(`stage "${stage}": lower-case letters, digits and -, at most 32 (e.g. dev, prod)`);
  }
  const file = path.join(STAGES_DIR, `${stage}.json`);
  if (!fs.existsSync(file)) return { raw: base, label: `config/onboarding.json (stage ${stage})` };
  const label = `config/onboarding.json + config/stages/${stage}.json (stage ${stage})`;
  let override;
  try {
    override = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`config/stages/${stage}.json (stage ${stage}) is not valid JSON: ${error.message}`);
  }
  if (!isObject(override)) {
    throw new Error(
      `config/stages/${stage}.json (stage ${stage}) must be a JSON object of the keys it changes in config/onboarding.json`,
    );
  }
  const { $schema: _schema, ...changes } = override;
  return { raw: merge(base, changes), label, file };
}

module.exports = { stageConfig, merge, STAGES_DIR };
