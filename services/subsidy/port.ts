/**
 * subsidy's door. No other service reads subsidy's runs, decisions or policies today: they hear its
 * events (subsidy.held, subsidy.determined — shared/events/catalogue.ts), and people read the decisions
 * through subsidy's own API. When another service comes to need one of its reads, it is exported here,
 * and only here.
 */
export {};
