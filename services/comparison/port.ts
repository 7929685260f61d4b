/**
 * comparison's door: what the other services may read of its runs. The subsidy run holds the money of a
 * child the latest comparison did not find at school, and the cases service's ledgers and statistics
 * list the age cohort of the latest comparison: both read the region's latest completed run and its
 * results page by page. The results name a child's flags, which the ledgers print in Chinese. Runs are
 * started and served by comparison alone (POST /comparisons, its events).
 */
export {
  latestCompletedRun as latestComparison,
  resultPages as comparisonResultPages,
  type StoredResult as ComparisonResult,
} from './adapters/comparisons-repo';
export { CHILD_FLAG_NAMES_ZH, type ChildFlag } from './domain/classify';
