/**
 * roster-intake's door: what the other services may read of the rosters it accepted. The comparison,
 * the subsidy run and the cases service (attendance rule, ledgers, statistics) read the current roster
 * of each kind, organisation and term, and its rows page by page — never a whole roster at once. The
 * shape of a row is shared (shared/rosters/rows.ts); uploads, reports and the intake engine stay inside.
 */
export {
  type CurrentRoster,
  listCurrentRosters,
  rowPages,
} from './adapters/uploads-repo';
