import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

/**
 * Longest files first, across all projects (vitest's own order runs the projects one after another,
 * longest first only within each): with one worker per core, the run ends when its longest file does,
 * so that file must start first. Durations come from vitest's results cache of the last run; on a fresh
 * clone, the fault matrices (by far the longest files) go first.
 */
const HEAVY_WITHOUT_HISTORY = /fault-matrix[^/]*\.test\.ts$/;

export default class LongestFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const base = await super.sort(files);
    const { cache, config } = this.ctx;
    const weight = (spec: TestSpecification) => {
      const key = `${spec.project.name}:${relative(config.root, spec.moduleId)}`;
      const known = cache.getFileTestResults(key)?.duration;
      if (known !== undefined) return known;
      return HEAVY_WITHOUT_HISTORY.test(spec.moduleId) ? Number.MAX_SAFE_INTEGER : 0;
    };
    const order = new Map(base.map((spec, i) => [spec, i]));
    return [...base].sort((a, b) => weight(b) - weight(a) || (order.get(a) ?? 0) - (order.get(b) ?? 0));
  }
}
