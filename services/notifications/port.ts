/**
 * notifications' door. No other service reads its subscriptions, contacts or messages: the services
 * publish events on the bus and notifications decides, on its own, who hears of them. When another
 * service comes to need one of its reads, it is exported here, and only here.
 */
export {};
